/**
 * What every ContentStore must do (src/pipeline/ports/content.ts), run against each adapter:
 * SQLite (unit) and DynamoDB Local (integration).
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { ContentKey, ContentStore, StoredContent } from '../../src/pipeline/ports/content.ts';

export function sampleContent(o: Partial<StoredContent> = {}): StoredContent {
  return {
    from: 's3://uploads/a/contract.pdf',
    createdAt: '2026-12-04T10:00:00.000Z',
    text: '契約書 第1条 The parties agree.',
    textSource: 'ocr',
    pageCount: 2,
    ocrConfidence: 91.25,
    encoding: null,
    warnings: ['OCR_LOW_CONFIDENCE: page 2: 55'],
    width: null,
    height: null,
    takenAt: null,
    thumbnail: new Uint8Array([0x52, 0x49, 0x46, 0x46, 1, 2, 3, 250]),
    // doubles that do not survive a float32 round trip: vectors must come back exactly
    vectors: { text_embedding: [0.1, -0.30000000000000004, 1 / 3], text_embedding_truncated: false, embedding_pending: false },
    cost: { pages: 2, bedrockInputTokens: 37, bedrockImages: 0 },
    ...o,
  };
}

export const contentKey = (o: Partial<ContentKey> = {}): ContentKey => ({
  sha256: randomBytes(32).toString('hex'), mime: 'application/pdf', settings: '0123456789abcdef', ...o,
});

export function contentStoreContract(name: string, store: () => ContentStore): void {
  test(`${name}: a key never kept reads as null; a kept one reads back exactly (text, vectors, thumbnail bytes, cost)`, async () => {
    const key = contentKey();
    assert.equal(await store().get(key), null);
    const content = sampleContent();
    const kept = await store().keep(key, content);
    assert.equal(kept.kept, 'ours');
    assert.deepEqual(await store().get(key), content);
  });

  test(`${name}: the first writer wins — a later writer gets the kept content back, not its own`, async () => {
    const key = contentKey();
    const first = sampleContent({ from: 's3://uploads/first.pdf', text: 'first' });
    const second = sampleContent({ from: 's3://uploads/second.pdf', text: 'second' });
    assert.equal((await store().keep(key, first)).kept, 'ours');
    const later = await store().keep(key, second);
    assert.equal(later.kept, 'theirs');
    assert.deepEqual(later.content, first);
    assert.equal((await store().get(key))?.text, 'first');
  });

  test(`${name}: writers racing on one key all index the same content`, async () => {
    const key = contentKey();
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => store().keep(key, sampleContent({ from: `s3://uploads/copy-${i}.pdf`, text: `copy ${i}` }))));
    assert.equal(results.filter((r) => r.kept === 'ours').length, 1, results.map((r) => r.kept).join());
    assert.equal(new Set(results.map((r) => r.content.text)).size, 1);
  });

  test(`${name}: another settings fingerprint, another type or other bytes are other records`, async () => {
    const key = contentKey();
    await store().keep(key, sampleContent());
    assert.equal(await store().get({ ...key, settings: 'fedcba9876543210' }), null);
    assert.equal(await store().get({ ...key, mime: 'image/png' }), null);
    assert.equal(await store().get({ ...key, sha256: randomBytes(32).toString('hex') }), null);
  });

  test(`${name}: content without thumbnail or vectors (embeddings off) reads back as such`, async () => {
    const key = contentKey({ mime: 'text/plain' });
    const content = sampleContent({ textSource: 'text-layer', pageCount: null, ocrConfidence: null, encoding: 'Shift_JIS', warnings: [], thumbnail: null, vectors: null, cost: { pages: 0, bedrockInputTokens: 0, bedrockImages: 0 } });
    await store().keep(key, content);
    assert.deepEqual(await store().get(key), content);
  });

  test(`${name}: an aborted signal rejects before anything is read`, async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await assert.rejects(store().get(contentKey(), { signal: controller.signal }));
  });
}
