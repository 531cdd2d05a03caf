import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { OpenSearchIndex } from '../../../src/adapters/index/opensearch.ts';
import { documentId } from '../../../src/adapters/index/document-id.ts';
import { MAPPING_VERSION } from '../../../src/adapters/index/mapping.ts';
import { startOpenSearchRecorder, type OpenSearchRecorder } from '../../support/opensearch-recorder.ts';
import { ingestError, makeDoc, uniqueIndex } from './fixtures.ts';

let recorder: OpenSearchRecorder;
beforeAll(async () => {
  recorder = await startOpenSearchRecorder();
});
afterAll(async () => {
  await recorder.close();
});

function adapter(index: string, extra: Partial<ConstructorParameters<typeof OpenSearchIndex>[0]> = {}): OpenSearchIndex {
  return new OpenSearchIndex({ url: recorder.url, index, batch: { lingerMs: 5 }, ...extra });
}

test('ensureIndex creates the index with the kuromoji + knn mapping, and is idempotent', async (t) => {
  const index = uniqueIndex();
  const os = adapter(index);
  t.onTestFinished(() => os.close());
  const before = recorder.requests.length;

  assert.deepEqual(await os.ensureIndex({ textEmbeddingDims: 1024, imageEmbeddingDims: 384 }), { created: true });
  const created = recorder.requests.slice(before);
  assert.deepEqual(
    created.map((r) => `${r.method} ${r.path}`),
    [`HEAD /${index}`, `PUT /${index}`],
  );
  const state = recorder.indexState(index);
  assert.ok(state);
  const settings = state.settings as { index: { knn: boolean; analysis: { analyzer: Record<string, { tokenizer: string }> } } };
  assert.equal(settings.index.knn, true);
  const contentAnalyzer = (state.mappings as { properties: { content: { analyzer: string } } }).properties.content.analyzer;
  assert.equal(settings.index.analysis.analyzer[contentAnalyzer]?.tokenizer, 'kuromoji_tokenizer');

  // Second call: HEAD only; the existing index (even with other dims) is left alone.
  const mark = recorder.requests.length;
  assert.deepEqual(await os.ensureIndex({ textEmbeddingDims: 256 }), { created: false });
  assert.deepEqual(
    recorder.requests.slice(mark).map((r) => r.method),
    ['HEAD'],
  );
  assert.deepEqual(await os.describeIndex(), { exists: true, dims: { text: 1024, image: 384 }, kind: 'index', indices: [index], mappingVersion: MAPPING_VERSION });
  assert.deepEqual(recorder.violations, []);
});

test('ensureIndex losing a creation race is not an error', async (t) => {
  const index = uniqueIndex();
  const os = adapter(index);
  t.onTestFinished(() => os.close());
  // Another instance creates the index between our HEAD and PUT: make HEAD say 404 once.
  const other = adapter(index);
  await other.ensureIndex({});
  await other.close();
  recorder.failNextRequests(1, 404, { match: (r) => r.method === 'HEAD', type: 'index_not_found_exception' });
  assert.deepEqual(await os.ensureIndex({}), { created: false });
  assert.deepEqual(recorder.violations, []);
});

test('describeIndex: missing index, and an index without vectors', async (t) => {
  const index = uniqueIndex();
  const os = adapter(index);
  t.onTestFinished(() => os.close());
  assert.deepEqual(await os.describeIndex(), { exists: false, dims: { text: null, image: null }, kind: 'missing', indices: [], mappingVersion: null });
  await os.ensureIndex({ textEmbeddingDims: null, imageEmbeddingDims: null });
  assert.deepEqual(await os.describeIndex(), { exists: true, dims: { text: null, image: null }, kind: 'index', indices: [index], mappingVersion: MAPPING_VERSION });
  const state = recorder.indexState(index);
  assert.equal((state?.settings as { index: { knn?: boolean } }).index.knn, undefined);
});

test('upsert, get, search, delete round trip', async (t) => {
  const index = uniqueIndex();
  const os = adapter(index);
  t.onTestFinished(() => os.close());
  await os.ensureIndex({ textEmbeddingDims: 4, imageEmbeddingDims: 3 });

  const invoice = makeDoc('経理/2024/請求書.pdf', {
    content_type: 'application/pdf',
    content: '株式会社サンプル御中。今月の請求書を送付いたします。お支払い期限は月末です。',
    page_count: 2,
    text_embedding: [0.1, 0.2, 0.3, 0.4],
    image_embedding: [1, 0, 0],
  });
  const memo = makeDoc('notes/memo.txt', { content: 'Meeting notes about the Quarterly Report', encoding: 'UTF-8' });
  await Promise.all([os.upsert(invoice), os.upsert(memo)]);

  // The bulk body carries the document without `id`, under the stable _id.
  const stored = recorder.documents(index);
  assert.equal(stored.size, 2);
  assert.equal(stored.get(documentId('test-bucket', '経理/2024/請求書.pdf'))?.key, '経理/2024/請求書.pdf');
  assert.equal('id' in (stored.get(invoice.id) ?? {}), false);

  assert.deepEqual(await os.get(invoice.id), invoice);
  assert.equal(await os.get(documentId('test-bucket', 'nope')), null);

  await os.refresh();
  const hits = await os.search('請求書');
  assert.equal(hits.length, 1);
  const [hit] = hits;
  assert.ok(hit);
  assert.equal(hit.id, invoice.id);
  assert.equal(hit.key, invoice.key);
  assert.equal(hit.file_name, '請求書.pdf');
  assert.equal(hit.original_path, invoice.original_path);
  assert.equal(hit.text_source, 'text-layer');
  assert.ok(hit.score > 0);
  assert.match(hit.snippet, /<em>請求書<\/em>/);

  // Case-insensitive, matched on file name too; the snippet falls back to the start of content.
  const byName = await os.search('MEMO');
  assert.deepEqual(
    byName.map((h) => h.id),
    [memo.id],
  );
  assert.equal(byName[0]?.snippet, memo.content.slice(0, 160));
  assert.deepEqual(await os.search('   '), []);

  // The search request is the documented multi_match with a content highlight.
  const searchBody = JSON.parse(recorder.requests.findLast((r) => r.path === `/${index}/_search`)?.body ?? '{}');
  assert.deepEqual(searchBody.query.multi_match.fields, ['content', 'content.ngram', 'file_name']);
  assert.ok(searchBody.highlight.fields.content);

  // Overwrite, then delete (and deleting again is fine).
  await os.upsert({ ...memo, content: 'rewritten' });
  assert.equal((await os.get(memo.id))?.content, 'rewritten');
  await os.delete(memo.id);
  assert.equal(await os.get(memo.id), null);
  await os.delete(memo.id);
  assert.equal(recorder.documents(index).size, 1);

  const bulkBodies = recorder.bulkRequests().map((r) => r.body);
  assert.ok(bulkBodies.every((b) => b.endsWith('\n')));
  assert.ok(recorder.bulkRequests().every((r) => r.headers['content-type'] === 'application/x-ndjson'));
  assert.deepEqual(recorder.violations, []);
});

test('search on a missing index is a transient INDEX_NOT_FOUND', async (t) => {
  const os = adapter(uniqueIndex());
  t.onTestFinished(() => os.close());
  await assert.rejects(os.search('x'), ingestError('INDEX_NOT_FOUND', true));
});

test('basic auth from URL userinfo; the password never shows', async (t) => {
  const secure = await startOpenSearchRecorder({ auth: { username: 'ingest', password: 's3cr:et/pw' } });
  t.onTestFinished(() => secure.close());
  const url = new URL(secure.url);
  url.username = 'ingest';
  url.password = encodeURIComponent('s3cr:et/pw');
  const index = uniqueIndex();
  const os = new OpenSearchIndex({ url: url.toString(), index, batch: { lingerMs: 1 } });
  t.onTestFinished(() => os.close());
  assert.ok(!os.endpoint.includes('s3cr'), os.endpoint);
  assert.match(os.endpoint, /ingest:\*\*\*@/);
  await os.ensureIndex({});
  await os.upsert(makeDoc('a.txt'));
  assert.equal(secure.documents(index).size, 1);

  const wrong = new URL(secure.url);
  wrong.username = 'ingest';
  wrong.password = 'nope-wrong';
  const bad = new OpenSearchIndex({ url: wrong.toString(), index, batch: { lingerMs: 1 } });
  t.onTestFinished(() => bad.close());
  const rejection = await bad.upsert(makeDoc('b.txt')).then(
    () => assert.fail('expected a rejection'),
    (err: unknown) => err,
  );
  assert.ok(ingestError('INDEX_AUTH', true)(rejection));
  assert.ok(!JSON.stringify({ m: (rejection as Error).message, d: (rejection as { details?: unknown }).details }).includes('nope-wrong'));
  await assert.rejects(bad.describeIndex(), ingestError('INDEX_AUTH', true));
  assert.deepEqual(secure.violations, []);
});

test('constructor validates its options', () => {
  assert.throws(() => new OpenSearchIndex({ url: 'not a url', index: 'files' }), TypeError);
  assert.throws(() => new OpenSearchIndex({ url: 'ftp://host', index: 'files' }), TypeError);
  assert.throws(() => new OpenSearchIndex({ url: 'http://host', index: 'Files' }), TypeError);
  assert.throws(() => new OpenSearchIndex({ url: 'http://host', index: 'files', batch: { maxDocs: 0 } }), RangeError);
});
