/** Hybrid search (text + k-NN in one _msearch, fused by RRF) and listPendingEmbeddings, against the recorder. */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { setupIndex } from '../../../src/adapters/index/index-versions.ts';
import { OpenSearchIndex } from '../../../src/adapters/index/opensearch.ts';
import type { IndexDocument } from '../../../src/core/index-document.ts';
import { startOpenSearchRecorder, type OpenSearchRecorder } from '../../support/opensearch-recorder.ts';
import { ingestError, makeDoc, uniqueIndex } from './fixtures.ts';

let recorder: OpenSearchRecorder;
beforeAll(async () => {
  recorder = await startOpenSearchRecorder();
});
afterAll(async () => {
  await recorder.close();
});

/** An alias (setup's way) with text vectors of 4 and image vectors of 3 dimensions. */
async function aliasIndex(dims: { text: number | null; image: number | null } = { text: 4, image: 3 }): Promise<OpenSearchIndex> {
  const os = new OpenSearchIndex({ url: recorder.url, index: uniqueIndex('hy'), batch: { lingerMs: 2 } });
  await setupIndex(os, { wanted: dims });
  return os;
}

function requestsSince(mark: number): string[] {
  return recorder.requests.slice(mark).map((r) => `${r.method} ${r.path}`);
}

const close = (actual: number | undefined, expected: number): void => assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-12, `${actual} ≠ ${expected}`);

test('hybrid: text + text k-NN in one _msearch, fused by RRF; a document only the k-NN finds appears with a snippet', async (t) => {
  const os = await aliasIndex();
  t.onTestFinished(() => os.close());
  const tokyo = makeDoc('a/tokyo.txt', { content: '東京都の天気。東京は晴れ。', text_embedding: [1, 0, 0, 0] });
  const tower = makeDoc('a/tower.txt', { content: '東京 タワーの話', text_embedding: null });
  const onsen = makeDoc('a/onsen.txt', { content: '温泉旅行の計画を立てました。箱根に行きます。', text_embedding: [0.9, 0.1, 0, 0] });
  const osaka = makeDoc('a/osaka.txt', { content: '大阪の天気', text_embedding: [0, 1, 0, 0] });
  await Promise.all([tokyo, tower, onsen, osaka].map((d) => os.upsert(d)));

  const mark = recorder.requests.length;
  const hits = await os.search('東京', { size: 4, vectors: { text: [1, 0, 0, 0] } });
  assert.deepEqual(requestsSince(mark), [`POST /${os.index}/_msearch`], 'one request, through the alias');

  // text ranking: tokyo (2 occurrences), tower (1); k-NN ranking: tokyo, onsen, osaka (tower has no vector).
  assert.deepEqual(
    hits.map((h) => h.key),
    ['a/tokyo.txt', 'a/tower.txt', 'a/onsen.txt', 'a/osaka.txt'],
  );
  close(hits[0]?.score, 2 / 61);
  close(hits[1]?.score, 1 / 62); // tower ties with onsen (both 2nd once): the text ranking wins the tie
  close(hits[2]?.score, 1 / 62);
  close(hits[3]?.score, 1 / 63);
  assert.match(hits[0]!.snippet, /<em>東京<\/em>/);
  assert.equal(hits[2]!.snippet, onsen.content, 'k-NN only: the start of its content');
  assert.equal(hits[2]!.file_name, 'onsen.txt');
  assert.equal(hits[2]!.id, onsen.id);

  const request = recorder.requests[mark]!;
  assert.equal(request.headers['content-type'], 'application/x-ndjson');
  const lines = request.body.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 4);
  assert.deepEqual(lines[0], {});
  assert.deepEqual(lines[1].query.multi_match.fields, ['content', 'content.ngram', 'file_name']);
  assert.deepEqual(lines[3].query, { knn: { text_embedding: { vector: [1, 0, 0, 0], k: 4 } } });
  assert.equal(lines[3].size, 4);
  assert.deepEqual(recorder.violations, []);
});

test('hybrid with an image vector: an image only the image k-NN finds is ranked in; size cuts the fused list', async (t) => {
  const os = await aliasIndex();
  t.onTestFinished(() => os.close());
  const text = makeDoc('b/notes.txt', { content: 'cat pictures are here', text_embedding: [0, 0, 1, 0] });
  const photo = makeDoc('b/IMG_0001.jpg', { content: '', content_type: 'image/jpeg', text_source: 'none', image_embedding: [0, 0, 1] });
  const other = makeDoc('b/IMG_0002.jpg', { content: '', content_type: 'image/jpeg', text_source: 'none', image_embedding: [1, 0, 0] });
  await Promise.all([text, photo, other].map((d) => os.upsert(d)));

  const hits = await os.search('cat', { size: 2, vectors: { text: [0, 0, 1, 0], image: [0, 0.1, 1] } });
  assert.deepEqual(
    hits.map((h) => h.key),
    ['b/notes.txt', 'b/IMG_0001.jpg'],
  );
  close(hits[0]?.score, 2 / 61);
  close(hits[1]?.score, 1 / 61);
  assert.equal(hits[1]!.snippet, '', 'no content, no snippet');
  const body = recorder.requests.findLast((r) => r.path.endsWith('/_msearch'))!.body;
  assert.equal(body.trimEnd().split('\n').length, 6, 'text, text k-NN and image k-NN');
});

test('without vectors (or with empty ones) search is the single _search it always was', async (t) => {
  const os = await aliasIndex();
  t.onTestFinished(() => os.close());
  await os.upsert(makeDoc('c/x.txt', { content: '請求書の控え' }));
  for (const vectors of [undefined, {}, { text: null, image: null }, { text: [] }]) {
    const mark = recorder.requests.length;
    const hits = await os.search('請求書', vectors === undefined ? {} : { vectors });
    assert.equal(hits.length, 1);
    assert.deepEqual(requestsSince(mark), [`POST /${os.index}/_search`]);
    assert.ok(hits[0]!.score > 0);
  }
});

test('a query vector of the wrong dimension is a clear permanent error; so is a vector field the index lacks', async (t) => {
  const os = await aliasIndex({ text: 4, image: null });
  t.onTestFinished(() => os.close());
  await os.upsert(makeDoc('d/x.txt', { content: 'abc', text_embedding: [1, 1, 1, 1] }));
  const err = await os.search('abc', { vectors: { text: [1, 0, 0] } }).then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(ingestError('INDEX_VECTOR_DIMENSION', false)(err));
  assert.match((err as Error).message, /text query vector has 3 dimensions, but text_embedding .* has 4/);
  assert.deepEqual((err as { details?: Record<string, unknown> }).details, { field: 'text_embedding', got: 3, expected: 4, status: 400 });

  await assert.rejects(os.search('abc', { vectors: { image: [1, 0, 0] } }), ingestError('INDEX_REQUEST_REJECTED', false, "is not knn_vector type"));
  const mark = recorder.requests.length;
  await assert.rejects(os.search('abc', { vectors: { text: [1, Number.NaN, 0, 0] } }), ingestError('INDEX_REQUEST_REJECTED', false, 'finite numbers'));
  assert.equal(recorder.requests.length, mark, 'refused before sending');
  assert.deepEqual(recorder.violations, []);
});

test('a failing _msearch as a whole keeps the usual classification', async (t) => {
  const os = await aliasIndex();
  t.onTestFinished(() => os.close());
  recorder.failNextRequests(1, 429, { match: (r) => r.path.endsWith('/_msearch') });
  await assert.rejects(os.search('x', { vectors: { text: [1, 0, 0, 0] } }), ingestError('INDEX_THROTTLED', true));
  const missing = new OpenSearchIndex({ url: recorder.url, index: uniqueIndex('none') });
  t.onTestFinished(() => missing.close());
  await assert.rejects(missing.search('x', { vectors: { text: [1, 0, 0, 0] } }), ingestError('INDEX_NOT_FOUND', true));
});

test('listPendingEmbeddings pages through every pending document exactly once, in (indexed_at, key, bucket) order', async (t) => {
  const os = await aliasIndex();
  t.onTestFinished(() => os.close());
  const pending: IndexDocument[] = [];
  const stamps = ['2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z', '2025-01-02T00:00:00.000Z', '2024-12-31T23:59:59.999Z'];
  for (let i = 0; i < 23; i++) {
    // Same indexed_at for several, and the same key in two buckets: only the full tuple is unique.
    const bucket = i % 2 === 0 ? 'bucket-a' : 'bucket-b';
    pending.push(makeDoc(`p/${Math.floor(i / 2)}.txt`, { bucket, indexed_at: stamps[i % stamps.length]!, embedding_pending: true }));
  }
  const done = [
    makeDoc('p/done-1.txt', { embedding_pending: false, text_embedding: [1, 0, 0, 0] }),
    makeDoc('p/done-2.txt', { text_embedding: [0, 1, 0, 0] }),
  ];
  await Promise.all([...pending, ...done].map((d) => os.upsert(d)));

  const seen: IndexDocument[] = [];
  let after: string | undefined;
  let pages = 0;
  const mark = recorder.requests.length;
  for (;;) {
    const page = await os.listPendingEmbeddings({ size: 5, ...(after !== undefined ? { after } : {}) });
    pages++;
    seen.push(...page.docs);
    // What reembed does meanwhile: the documents of this page stop being pending.
    await Promise.all(page.docs.map((d) => os.upsert({ ...d, embedding_pending: false, text_embedding: [1, 1, 1, 1] })));
    if (page.next === undefined) break;
    after = page.next;
    assert.ok(pages < 10, 'terminates');
  }
  assert.equal(pages, 5, '23 documents in pages of 5');
  assert.equal(seen.length, pending.length);
  assert.equal(new Set(seen.map((d) => d.id)).size, pending.length, 'each exactly once');
  const expected = [...pending].sort(
    (a, b) => a.indexed_at.localeCompare(b.indexed_at) || a.key.localeCompare(b.key) || a.bucket.localeCompare(b.bucket),
  );
  assert.deepEqual(
    seen.map((d) => d.id),
    expected.map((d) => d.id),
  );
  // Whole documents, id included.
  assert.deepEqual(seen.find((d) => d.id === pending[3]!.id), pending[3]);

  const body = JSON.parse(recorder.requests[mark]!.body);
  assert.deepEqual(body.query, { term: { embedding_pending: true } });
  assert.ok(!JSON.stringify(body.sort).includes('_id'), 'no _id sort');
  assert.deepEqual(recorder.violations, []);

  assert.deepEqual(await os.listPendingEmbeddings({ size: 5 }), { docs: [] }, 'none left');
});

test('listPendingEmbeddings: a foreign cursor and a bad size are refused', async (t) => {
  const os = await aliasIndex();
  t.onTestFinished(() => os.close());
  await assert.rejects(os.listPendingEmbeddings({ size: 5, after: 'not-a-cursor' }), ingestError('INDEX_CURSOR_INVALID', false));
  await assert.rejects(os.listPendingEmbeddings({ size: 5, after: Buffer.from('[1,2]').toString('base64url') }), ingestError('INDEX_CURSOR_INVALID', false));
  await assert.rejects(os.listPendingEmbeddings({ size: 0 }), ingestError('INDEX_REQUEST_REJECTED', false));
  await assert.rejects(os.listPendingEmbeddings({ size: 10_001 }), ingestError('INDEX_REQUEST_REJECTED', false));
});
