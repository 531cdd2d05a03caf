import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { OpenSearchIndex } from '../../../src/adapters/index/opensearch.ts';
import { bulkItemError, responseError } from '../../../src/adapters/index/opensearch-errors.ts';
import { startOpenSearchRecorder, type OpenSearchRecorder } from '../../support/opensearch-recorder.ts';
import { freePort } from '../../support/free-port.ts';
import { ingestError, makeDoc, uniqueIndex } from './fixtures.ts';

let recorder: OpenSearchRecorder;
beforeAll(async () => {
  recorder = await startOpenSearchRecorder();
});
afterAll(async () => {
  await recorder.close();
});

async function freshIndex(extra: Partial<ConstructorParameters<typeof OpenSearchIndex>[0]> = {}): Promise<{ os: OpenSearchIndex; index: string }> {
  const index = uniqueIndex();
  const os = new OpenSearchIndex({ url: recorder.url, index, batch: { lingerMs: 5 }, ...extra });
  await os.ensureIndex({});
  return { os, index };
}

const isBulk = (r: { path: string }): boolean => r.path.endsWith('/_bulk');

for (const [status, code, retryable] of [
  [429, 'INDEX_THROTTLED', true],
  [503, 'INDEX_UNAVAILABLE', true],
  [500, 'INDEX_UNAVAILABLE', true],
  [401, 'INDEX_AUTH', true],
  [403, 'INDEX_AUTH', true],
  [400, 'INDEX_REQUEST_REJECTED', false],
  [413, 'INDEX_REQUEST_REJECTED', false],
] as const) {
  test(`whole bulk request answered ${status} → ${code} for every caller of the batch`, async (t) => {
    const { os, index } = await freshIndex();
    t.onTestFinished(() => os.close());
    recorder.failNextRequests(1, status, { match: isBulk });
    const results = await Promise.allSettled([os.upsert(makeDoc('w/1.txt')), os.delete(makeDoc('w/2.txt').id)]);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.ok(ingestError(code, retryable)((r as PromiseRejectedResult).reason));
    }
    assert.equal(recorder.documents(index).size, 0);
    // The next attempt goes through.
    await os.upsert(makeDoc('w/1.txt'));
    assert.equal(recorder.documents(index).size, 1);
  });
}

test('per-item 429 and es_rejected_execution_exception → transient INDEX_THROTTLED', async (t) => {
  const { os } = await freshIndex();
  t.onTestFinished(() => os.close());
  t.onTestFinished(() => recorder.failItems(null));
  recorder.failItems((doc) => {
    if (typeof doc !== 'object') return null;
    if (doc.key === 'i/429.txt') return { status: 429, type: 'es_rejected_execution_exception', reason: 'rejected execution of coordinating operation' };
    if (doc.key === 'i/rejected-503.txt') return { status: 503, type: 'es_rejected_execution_exception', reason: 'queue full' };
    if (doc.key === 'i/500.txt') return { status: 500, type: 'exception', reason: 'shard failure' };
    if (doc.key === 'i/400.txt') return { status: 400, type: 'mapper_parsing_exception', reason: 'failed to parse field [modified_at] of type [date]' };
    if (doc.key === 'i/409.txt') return { status: 409, type: 'version_conflict_engine_exception', reason: 'version conflict' };
    return null;
  });
  const [r429, r503, r500, r400, r409, ok] = await Promise.allSettled(
    ['429', 'rejected-503', '500', '400', '409', 'ok'].map((k) => os.upsert(makeDoc(`i/${k}.txt`))),
  );
  const reason = (r: PromiseSettledResult<void> | undefined): unknown => (r as PromiseRejectedResult).reason;
  assert.ok(ingestError('INDEX_THROTTLED', true)(reason(r429)));
  assert.ok(ingestError('INDEX_THROTTLED', true)(reason(r503)));
  assert.ok(ingestError('INDEX_UNAVAILABLE', true)(reason(r500)));
  assert.ok(ingestError('INDEX_DOCUMENT_REJECTED', false, 'failed to parse field [modified_at]')(reason(r400)));
  assert.ok(ingestError('INDEX_DOCUMENT_REJECTED', false)(reason(r409)));
  assert.equal(ok?.status, 'fulfilled');
});

test('a per-item failure on delete fails that delete; a missing document does not', async (t) => {
  const { os } = await freshIndex();
  t.onTestFinished(() => os.close());
  t.onTestFinished(() => recorder.failItems(null));
  const victim = makeDoc('d/victim.txt');
  recorder.failItems((id, ctx) => (ctx.op === 'delete' && id === victim.id ? { status: 503, type: 'unavailable_shards_exception', reason: 'primary shard is not active' } : null));
  await assert.rejects(os.delete(victim.id), ingestError('INDEX_UNAVAILABLE', true, 'primary shard is not active'));
  await os.delete(makeDoc('d/never-existed.txt').id);
});

test('writing into a missing index is a transient INDEX_NOT_FOUND, deleting from it is fine', async (t) => {
  const os = new OpenSearchIndex({ url: recorder.url, index: uniqueIndex(), batch: { lingerMs: 1 } });
  t.onTestFinished(() => os.close());
  await assert.rejects(os.upsert(makeDoc('missing/a.txt')), ingestError('INDEX_NOT_FOUND', true));
  await os.delete(makeDoc('missing/a.txt').id);
  assert.deepEqual(recorder.violations, []);
});

test('a request that outlives requestTimeoutMs is aborted → INDEX_UNAVAILABLE', async (t) => {
  const { os } = await freshIndex({ requestTimeoutMs: 150 });
  t.onTestFinished(() => os.close());
  t.onTestFinished(() => recorder.delayResponses(0));
  recorder.delayResponses(5_000);
  await assert.rejects(os.upsert(makeDoc('slow/1.txt')), ingestError('INDEX_UNAVAILABLE', true, 'timed out after 150 ms'));
  await assert.rejects(os.get(makeDoc('slow/1.txt').id), ingestError('INDEX_UNAVAILABLE', true, 'timed out'));
});

test('nobody listening → INDEX_UNAVAILABLE', async (t) => {
  const port = await freePort();
  const os = new OpenSearchIndex({ url: `http://127.0.0.1:${port}`, index: 'files', batch: { lingerMs: 1 }, requestTimeoutMs: 2_000 });
  t.onTestFinished(() => os.close());
  await assert.rejects(os.upsert(makeDoc('down/1.txt')), ingestError('INDEX_UNAVAILABLE', true));
  await assert.rejects(os.describeIndex(), ingestError('INDEX_UNAVAILABLE', true));
  await assert.rejects(os.ensureIndex({}), ingestError('INDEX_UNAVAILABLE', true));
});

test('single requests map statuses the same way; a caller abort rejects with its reason', async (t) => {
  const { os } = await freshIndex();
  t.onTestFinished(() => os.close());
  recorder.failNextRequests(1, 503, { match: (r) => r.path.includes('/_doc/') });
  await assert.rejects(os.get('x'), ingestError('INDEX_UNAVAILABLE', true));
  recorder.failNextRequests(1, 429, { match: (r) => r.path.endsWith('/_search') });
  await assert.rejects(os.search('x'), ingestError('INDEX_THROTTLED', true));
  recorder.failNextRequests(1, 403, { match: (r) => r.path.endsWith('/_mapping') });
  await assert.rejects(os.describeIndex(), ingestError('INDEX_AUTH', true));
  recorder.failNextRequests(1, 403, { match: (r) => r.method === 'HEAD' });
  await assert.rejects(os.indexExists(os.index), ingestError('INDEX_AUTH', true));
  recorder.failNextRequests(1, 503, { match: (r) => r.path.endsWith('/_refresh') });
  await assert.rejects(os.refresh(), ingestError('INDEX_UNAVAILABLE', true));
  recorder.failNextRequests(1, 400, { match: (r) => r.method === 'PUT', type: 'illegal_argument_exception', reason: 'unknown setting' });
  const fresh = new OpenSearchIndex({ url: recorder.url, index: uniqueIndex() });
  t.onTestFinished(() => fresh.close());
  await assert.rejects(fresh.ensureIndex({}), ingestError('INDEX_REQUEST_REJECTED', false, 'unknown setting'));

  const reason = new Error('caller gave up');
  await assert.rejects(os.get('x', { signal: AbortSignal.abort(reason) }), (err) => err === reason);
  t.onTestFinished(() => recorder.delayResponses(0));
  recorder.delayResponses(5_000);
  const controller = new AbortController();
  const pending = os.search('x', { signal: controller.signal });
  setImmediate(() => controller.abort(reason));
  await assert.rejects(pending, (err) => err === reason);
});

test('classification functions', () => {
  assert.equal(bulkItemError('index', 'a', 201, undefined), null);
  assert.equal(bulkItemError('delete', 'a', 404, undefined), null);
  assert.equal(bulkItemError('delete', 'a', 404, { type: 'index_not_found_exception', reason: 'no such index' }), null);
  const nested = bulkItemError('index', 'a', 400, {
    type: 'mapper_parsing_exception',
    reason: 'failed to parse field [size] of type [long]',
    caused_by: { type: 'number_format_exception', reason: 'For input string: "x"' },
  });
  assert.ok(nested && !nested.retryable);
  assert.equal(nested.code, 'INDEX_DOCUMENT_REJECTED');
  assert.match(nested.message, /number_format_exception/);
  assert.equal(responseError(502, 'Bad Gateway', 'POST /_bulk').code, 'INDEX_UNAVAILABLE');
  assert.equal(responseError(400, { error: { type: 'es_rejected_execution_exception' } }, 'x').code, 'INDEX_THROTTLED');
  assert.equal(responseError(403, { Message: 'User: anonymous is not authorized' }, 'x').code, 'INDEX_AUTH');
  assert.match(responseError(403, { Message: 'User: anonymous is not authorized' }, 'x').message, /not authorized/);
  assert.equal(responseError(404, { error: 'no handler found' }, 'x').code, 'INDEX_REQUEST_REJECTED');
});
