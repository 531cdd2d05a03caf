/**
 * The reuse decision: which settings make another fingerprint, which results are kept, what a
 * document is built from, and one extraction per content on a daemon (ContentReuse).
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { decodeContent, encodeContent } from '../../../src/adapters/content/codec.ts';
import { ContentReuse } from '../../../src/pipeline/content-reuse.ts';
import { settingsFingerprint, type ExtractionSettings } from '../../../src/pipeline/extraction-settings.ts';
import type { ContentKey, ContentStore, KeepResult, StoredContent } from '../../../src/pipeline/ports/content.ts';
import { contentOf, extractionOf, notReusable, vectorFieldsOf } from '../../../src/pipeline/stored-content.ts';
import { sampleContent } from '../../support/content-contract.ts';

const SETTINGS: ExtractionSettings = {
  ocrLangs: 'jpn+eng', ocrDpi: 300, pdfMaxPages: 1000, pdfMinTextChars: 20, ocrLowConfidence: 60, thumbnailSize: 256,
  textModel: { id: 'amazon.titan-embed-text-v2:0', dimensions: 1024 }, imageModel: null,
};

test('the fingerprint is stable for the same settings and changes with every one of them', () => {
  const base = settingsFingerprint(SETTINGS);
  assert.match(base, /^[0-9a-f]{16}$/);
  assert.equal(settingsFingerprint({ ...SETTINGS }), base);
  const changes: Array<Partial<ExtractionSettings>> = [
    { ocrLangs: 'eng' }, { ocrDpi: 200 }, { pdfMaxPages: 10 }, { pdfMinTextChars: 0 }, { ocrLowConfidence: 70 }, { thumbnailSize: 0 },
    { textModel: null }, { textModel: { id: 'amazon.titan-embed-text-v2:0', dimensions: 256 } }, { textModel: { id: 'cohere.embed-multilingual-v3', dimensions: 1024 } },
    { imageModel: { id: 'amazon.titan-embed-image-v1', dimensions: 1024 } },
  ];
  const seen = new Set([base]);
  for (const change of changes) {
    const fp = settingsFingerprint({ ...SETTINGS, ...change });
    assert.ok(!seen.has(fp), `${JSON.stringify(change)} must give another fingerprint`);
    seen.add(fp);
  }
});

test('a result made without its vectors (budget spent) or with a failed page is not kept; anything else is', () => {
  assert.equal(notReusable(sampleContent()), null);
  assert.equal(notReusable(sampleContent({ vectors: null })), null, 'embeddings off: kept (the fingerprint says so)');
  assert.equal(notReusable(sampleContent({ warnings: ['EMBEDDING_TEXT_REJECTED: too long'] })), null, 'a refusal is the input’s, not a hiccup');
  assert.match(notReusable(sampleContent({ vectors: { embedding_pending: true } })) ?? '', /budget/);
  assert.match(notReusable(sampleContent({ warnings: ['PAGE_FAILED: page 3: worker crashed'] })) ?? '', /page 3/);
});

test('extraction + embedding → content → the extraction and vector fields a document is built from', () => {
  const content = contentOf({
    from: 's3://uploads/scan.png',
    extraction: {
      text: 'スキャン', textSource: 'ocr', pageCount: 1, ocrConfidence: 88, encoding: null, warnings: ['OCR_LOW_CONFIDENCE: x'],
      thumbnail: new Uint8Array([1, 2]), width: 640, height: 480, takenAt: '2026-01-02T03:04:05.000Z', substeps: { ocr: 1200 },
    },
    embedded: {
      fields: { text_embedding: [0.5], image_embedding: [0.25], text_embedding_truncated: false, embedding_pending: false },
      warnings: ['EMBEDDING_TEXT_TRUNCATED: y'], usage: { inputTokens: 12, images: 1 },
    },
    pagesRead: 1,
    now: new Date('2026-12-04T00:00:00Z'),
  });
  assert.deepEqual(content.warnings, ['OCR_LOW_CONFIDENCE: x', 'EMBEDDING_TEXT_TRUNCATED: y']);
  assert.deepEqual(content.cost, { pages: 1, bedrockInputTokens: 12, bedrockImages: 1 });
  assert.equal(content.createdAt, '2026-12-04T00:00:00.000Z');
  const x = extractionOf(content);
  assert.deepEqual({ ...x, thumbnail: [...(x.thumbnail ?? [])] }, {
    text: 'スキャン', textSource: 'ocr', pageCount: 1, ocrConfidence: 88, encoding: null, warnings: ['OCR_LOW_CONFIDENCE: x', 'EMBEDDING_TEXT_TRUNCATED: y'],
    thumbnail: [1, 2], width: 640, height: 480, takenAt: '2026-01-02T03:04:05.000Z',
  });
  assert.deepEqual(vectorFieldsOf(content), { text_embedding: [0.5], image_embedding: [0.25], text_embedding_truncated: false, embedding_pending: false });
  // embeddings off: no vector fields at all (not nulls), as an extraction without an embedder gives
  assert.deepEqual(vectorFieldsOf(contentOf({ from: 's3://b/k', extraction: x, pagesRead: 0 })), {});
});

test('a payload that is not ours (not gzip, not JSON, another format) decodes as no record', async () => {
  assert.equal(await decodeContent(new Uint8Array([1, 2, 3])), null);
  assert.equal(await decodeContent(gzipSync('not json')), null);
  assert.equal(await decodeContent(gzipSync(JSON.stringify({ format: 2, text: 'x' }))), null);
  const ours = await encodeContent(sampleContent());
  assert.deepEqual(await decodeContent(ours), sampleContent());
});

/** A ContentStore in memory, with a gate on get() so tests can hold a lookup open. */
class MemoryStore implements ContentStore {
  readonly records = new Map<string, StoredContent>();
  gets = 0;
  keeps = 0;
  hold: Promise<void> | undefined;
  async get(key: ContentKey): Promise<StoredContent | null> {
    this.gets += 1;
    await this.hold;
    return this.records.get(`${key.settings}/${key.sha256}/${key.mime}`) ?? null;
  }
  async keep(key: ContentKey, content: StoredContent): Promise<KeepResult> {
    this.keeps += 1;
    const id = `${key.settings}/${key.sha256}/${key.mime}`;
    const there = this.records.get(id);
    if (there) return { kept: 'theirs', content: there };
    this.records.set(id, content);
    return { kept: 'ours', content };
  }
}

test('a kept extraction is found by the next lookup of the same bytes and type, and only then', async () => {
  const store = new MemoryStore();
  const reuse = new ContentReuse(store, 'fp');
  const key = reuse.key('a'.repeat(64), 'application/pdf');
  const first = await reuse.acquire(key);
  assert.equal(first.kind, 'miss');
  if (first.kind === 'miss') assert.equal((await first.settle(sampleContent()))?.kept, 'ours');
  const second = await reuse.acquire(key);
  assert.equal(second.kind, 'hit');
  assert.equal((await reuse.acquire(reuse.key('a'.repeat(64), 'image/png'))).kind, 'miss');
});

test('copies in flight together on one daemon: the others wait for the first, then index its result — one extraction', async () => {
  const store = new MemoryStore();
  const reuse = new ContentReuse(store, 'fp');
  const key = reuse.key('b'.repeat(64), 'text/plain');
  const first = await reuse.acquire(key);
  assert.equal(first.kind, 'miss');
  const waiting = [reuse.acquire(key), reuse.acquire(key)];
  let settled = false;
  void Promise.all(waiting).then(() => { settled = true; });
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, 'the copies wait while the first extracts');
  if (first.kind === 'miss') await first.settle(sampleContent({ text: 'made once' }));
  const results = await Promise.all(waiting);
  assert.deepEqual(results.map((r) => r.kind), ['hit', 'hit']);
  assert.deepEqual(results.map((r) => (r.kind === 'hit' ? r.content.text : '')), ['made once', 'made once']);
  assert.equal(store.gets, 1, 'one lookup for the three of them');
  assert.equal(store.keeps, 1);
});

test('when the first ends without a reusable result, the next copy takes its turn to extract', async () => {
  const store = new MemoryStore();
  const reuse = new ContentReuse(store, 'fp');
  const key = reuse.key('c'.repeat(64), 'application/pdf');
  const first = await reuse.acquire(key);
  const next = reuse.acquire(key);
  if (first.kind === 'miss') await first.settle(null);
  const second = await next;
  assert.equal(second.kind, 'miss', 'nothing was kept: the waiting copy extracts itself');
  if (second.kind === 'miss') await second.settle(sampleContent());
  assert.equal((await reuse.acquire(key)).kind, 'hit');
});

test('a waiting copy whose job is aborted stops waiting at once; an aborted lookup ends its job and lets the next try', async () => {
  const store = new MemoryStore();
  const reuse = new ContentReuse(store, 'fp');
  const key = reuse.key('d'.repeat(64), 'application/pdf');
  const first = await reuse.acquire(key);
  const controller = new AbortController();
  const waiting = reuse.acquire(key, { signal: controller.signal });
  controller.abort(new Error('drain'));
  await assert.rejects(waiting, /drain/);
  if (first.kind === 'miss') await first.settle(null);

  // the first lookup hangs until its job is aborted; the next one answers
  const aborting = new AbortController();
  let lookups = 0;
  const hanging: ContentStore = {
    get: (k) => (++lookups === 1 ? new Promise((_, reject) => aborting.signal.addEventListener('abort', () => reject(aborting.signal.reason))) : store.get(k)),
    keep: store.keep.bind(store),
  };
  const cut = new ContentReuse(hanging, 'fp');
  const lookup = cut.acquire(key, { signal: aborting.signal });
  aborting.abort(new Error('interrupted'));
  await assert.rejects(lookup, /interrupted/);
  // on the same instance: a turn left behind would make this wait forever
  assert.equal((await cut.acquire(key)).kind, 'miss');
});

test('a lookup that fails (store unreachable) is a miss that says why: the job extracts, it does not fail', async () => {
  const store = new MemoryStore();
  const failing: ContentStore = { get: () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), keep: store.keep.bind(store) };
  const reuse = new ContentReuse(failing, 'fp');
  const key = reuse.key('d'.repeat(64), 'application/pdf');
  const first = await reuse.acquire(key);
  assert.equal(first.kind, 'miss');
  if (first.kind !== 'miss') return;
  assert.ok(first.lookupFailed, 'the failure is reported');
  assert.equal(typeof first.lookupFailed.code, 'string');
  // the failing job still holds the turn: a copy waits for its extraction instead of extracting too
  const copy = reuse.acquire(key);
  const kept = await first.settle(sampleContent());
  assert.equal(kept?.kept, 'ours');
  const got = await copy;
  assert.equal(got.kind, 'hit');
});

test('a keep that fails (throttled) returns the result as not kept, with the error; the waiting copies index it', async () => {
  const store = new MemoryStore();
  const failingKeep: ContentStore = { get: store.get.bind(store), keep: () => Promise.reject(new Error('throttled')) };
  const reuse = new ContentReuse(failingKeep, 'fp');
  const key = reuse.key('e'.repeat(64), 'application/pdf');
  const first = await reuse.acquire(key);
  const next = reuse.acquire(key);
  assert.equal(first.kind, 'miss');
  if (first.kind !== 'miss') return;
  const made = sampleContent();
  const kept = await first.settle(made);
  assert.equal(kept?.kept, 'no');
  assert.equal(kept?.content, made, 'the job indexes what it made');
  assert.ok(kept?.kept === 'no' && kept.error?.message.includes('throttled'), 'the error is kept for the log line');
  const copy = await next;
  assert.equal(copy.kind, 'hit', 'the copy waiting for this extraction indexes it');
  if (copy.kind === 'hit') assert.equal(copy.content, made);
  // nothing was kept: a later copy looks up and extracts again
  assert.equal((await reuse.acquire(key)).kind, 'miss');
});

test('a keep cut by an abort ends the job and the turn: the next copy extracts', async () => {
  const store = new MemoryStore();
  const controller = new AbortController();
  const aborted: ContentStore = { get: store.get.bind(store), keep: () => { controller.abort(new Error('drain')); return Promise.reject(new Error('drain')); } };
  const reuse = new ContentReuse(aborted, 'fp');
  const key = reuse.key('f'.repeat(64), 'application/pdf');
  const first = await reuse.acquire(key);
  const next = reuse.acquire(key);
  if (first.kind === 'miss') await assert.rejects(first.settle(sampleContent(), { signal: controller.signal }), /drain/);
  assert.equal((await next).kind, 'miss');
});

test('a waiting copy lends its slot while it waits, takes it back when done, and hears of every page the extraction finishes', async () => {
  const store = new MemoryStore();
  const reuse = new ContentReuse(store, 'fp');
  const key = reuse.key('f'.repeat(64), 'application/pdf');
  const first = await reuse.acquire(key);
  assert.equal(first.kind, 'miss');
  let parked = 0;
  let pages = 0;
  const waiting = reuse.acquire(key, {
    park: () => {
      parked += 1;
      return () => { parked -= 1; };
    },
    pageDone: () => { pages += 1; },
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(parked, 1, 'parked while the first extracts');
  if (first.kind === 'miss') {
    first.pageDone();
    first.pageDone();
    await first.settle(sampleContent());
  }
  assert.equal((await waiting).kind, 'hit');
  assert.equal(parked, 0, 'the slot is taken back');
  assert.equal(pages, 2, 'its deadline moved on with the extraction');
  if (first.kind === 'miss') first.pageDone();
  assert.equal(pages, 2, 'no longer listening once it has its result');
});
