/**
 * OOXML documents through the real document pool (src/pool/office-task.ts in a worker thread):
 * the same answer as in this thread, the codes of the errors kept across the thread boundary (the
 * four hostile packages of issue 13), and an abort that ends a running task at once.
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { isIngestError } from '../../../src/core/errors.ts';
import { extractOffice } from '../../../src/pipeline/extract-office.ts';
import { FIXTURES, assertPermanent, testDocumentPool, type TestPool } from '../../support/documents.ts';
import { ENTITY_BOMB_TEXT, XXE_TEXT, entityBomb, honestZipBomb, lyingZipBomb, xxe } from '../../support/office-bombs.ts';
import { tempDir } from '../../unit/pipeline/support.ts';

const MIME = {
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
} as const;

let docs: TestPool;
const files = await tempDir();
beforeAll(async () => {
  docs = await testDocumentPool({ size: 1 });
});
afterAll(async () => {
  await docs.close();
  await files.cleanup();
});

const never = () => new AbortController().signal;

test('sample.docx, .xlsx and .pptx: the worker answers exactly what extractOffice gives in this thread', async () => {
  for (const kind of ['docx', 'xlsx', 'pptx'] as const) {
    const path = `${FIXTURES}sample.${kind}`;
    const out = await docs.pool.office(path, MIME[kind], { signal: never() });
    assert.deepEqual(out, await extractOffice(path, MIME[kind]), kind);
    assert.ok(out.text.length > 0, kind);
  }
});

test('the four hostile packages: OFFICE_TOO_LARGE, OFFICE_CORRUPT (permanent, codes kept across the thread), and inert entities', async () => {
  await assertPermanent(docs.pool.office(await files.write('honest.docx', honestZipBomb()), MIME.docx, { signal: never() }), 'OFFICE_TOO_LARGE');
  await assertPermanent(docs.pool.office(await files.write('lying.docx', lyingZipBomb()), MIME.docx, { signal: never() }), 'OFFICE_CORRUPT');
  assert.deepEqual(await docs.pool.office(await files.write('laughs.docx', entityBomb()), MIME.docx, { signal: never() }), { text: ENTITY_BOMB_TEXT, pageCount: 1, warnings: [] });
  assert.deepEqual(await docs.pool.office(await files.write('xxe.docx', xxe()), MIME.docx, { signal: never() }), { text: XXE_TEXT, pageCount: 1, warnings: [] });
  assert.equal(docs.pool.pool.counters.crashed, 0, 'no worker died');
});

test('an abort ends a running office task at once with the abort reason; the pool keeps working', async () => {
  const path = await files.write('slow.docx', lyingZipBomb(190 * 1024 * 1024));
  const controller = new AbortController();
  const pending = docs.pool.office(path, MIME.docx, { signal: controller.signal });
  const started = Date.now();
  setTimeout(() => controller.abort(new Error('stop')), 100);
  await assert.rejects(pending, (err: unknown) => {
    assert.ok(!isIngestError(err));
    assert.equal((err as Error).message, 'stop');
    return true;
  });
  assert.ok(Date.now() - started < 2_000, 'not after the task finished on its own');
  assert.equal((await docs.pool.office(`${FIXTURES}sample.docx`, MIME.docx, { signal: never() })).pageCount, 1);
});
