/**
 * The OpenSearch adapter against a real OpenSearch 2.x (with analysis-kuromoji and k-NN), e.g.
 *   docker compose -f docker-compose.test.yml up -d --wait
 *   INGEST_OPENSEARCH_URL=http://localhost:9200 npm test
 * Skipped unless INGEST_OPENSEARCH_URL is set (TEST_OPENSEARCH_URL is read too, for a global setup
 * that moves the variable out of the way of spawned CLIs). Everything it makes lives under a unique
 * alias and is deleted at the end. Amazon OpenSearch Service endpoints work too (requests are
 * signed as the daemon signs them); OpenSearch Serverless does not (no lucene engine, no _reindex).
 */
import { describe, test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createOpenSearchIndex } from '../../../src/adapters/index/create-opensearch.ts';
import { setupIndex } from '../../../src/adapters/index/index-versions.ts';
import type { OpenSearchIndex } from '../../../src/adapters/index/opensearch.ts';
import { ingestError, makeDoc } from './fixtures.ts';

const url = process.env.INGEST_OPENSEARCH_URL || process.env.TEST_OPENSEARCH_URL || undefined;

/** 8-dimension unit vectors along one axis, plus a little of another. */
function vec(axis: number, other = -1, amount = 0): number[] {
  return Array.from({ length: 8 }, (_, i) => (i === axis ? 1 : i === other ? amount : 0));
}

// Skipped unless INGEST_OPENSEARCH_URL (or TEST_OPENSEARCH_URL) is set.
describe.skipIf(url === undefined)('real OpenSearch', () => {
  const alias = `spot-ingest-test-${randomUUID().slice(0, 8)}`;
  let os: OpenSearchIndex;
  const tokyo = makeDoc('real/tokyo.txt', { content: '私は東京都に住んでいます。', text_embedding: vec(0) });
  const run = makeDoc('real/run.txt', { content: '昨日は公園で走った。', text_embedding: vec(1) });
  const revenue = makeDoc('real/revenue.txt', { content: 'The quarterly revenue report for the Osaka branch.', text_embedding: vec(2) });
  const kyoto = makeDoc('real/kyoto.txt', { content: '京都の旅行の計画です。', text_embedding: vec(3), embedding_pending: true });
  const pending = makeDoc('real/pending.txt', { content: 'まだベクトルがありません', embedding_pending: true });

  beforeAll(async () => {
    os = createOpenSearchIndex({ openSearchUrl: url!, openSearchIndex: alias }, { requestTimeoutMs: 60_000 });
    const report = await setupIndex(os, { wanted: { text: 8, image: null } });
    assert.equal(report.outcome, 'created');
    await Promise.all([tokyo, run, revenue, kyoto, pending].map((d) => os.upsert(d)));
    await os.refresh();
  });

  afterAll(async () => {
    if (!os) return;
    // Best effort: what the tests made, whatever state they left it in (the alias goes with its index).
    const described = await os.describeIndex().catch(() => ({ indices: [] as string[] }));
    for (const index of new Set([...described.indices, `${alias}-v1`, `${alias}-v2`])) {
      await os.deleteIndex(index).catch((err: unknown) => console.error(`could not delete test index ${index}: ${String(err)}`));
    }
    await os.close();
  });

  test('setup made a versioned index behind the alias, and a second setup changes nothing', async () => {
    assert.deepEqual(await os.describeIndex(), { exists: true, kind: 'alias', indices: [`${alias}-v1`], dims: { text: 8, image: null }, mappingVersion: 2 });
    const again = await setupIndex(os, { wanted: { text: 8, image: null } });
    assert.equal(again.outcome, 'exists');
    assert.deepEqual(again.mismatches, []);
  });

  test('kuromoji: 東京都 finds 東京都に住んでいます first; 走る finds 走った (base form)', async () => {
    const tokyoHits = await os.search('東京都');
    assert.equal(tokyoHits[0]?.id, tokyo.id, JSON.stringify(tokyoHits));
    assert.match(tokyoHits[0]!.snippet, /<em>/);
    const runHits = await os.search('走る');
    assert.ok(runHits.some((h) => h.id === run.id), JSON.stringify(runHits));
    assert.equal(runHits[0]?.id, run.id);
    const english = await os.search('REVENUE');
    assert.equal(english[0]?.id, revenue.id);
  });

  test('k-NN: the nearest document first (no text match)', async () => {
    const hits = await os.search('zzqqxxjj', { size: 3, vectors: { text: vec(2, 3, 0.2) } });
    assert.equal(hits[0]?.id, revenue.id, JSON.stringify(hits));
    assert.equal(hits[1]?.id, kyoto.id);
    assert.equal(hits[0]!.snippet, revenue.content, 'a k-NN hit gets the start of its content');
  });

  test('hybrid: text and vector hits fused (both kinds in the result)', async () => {
    const hits = await os.search('東京都', { size: 5, vectors: { text: vec(1) } });
    const ids = hits.map((h) => h.id);
    assert.ok(ids.includes(tokyo.id), 'found by the text query');
    assert.ok(ids.includes(run.id), 'found by the vector');
    assert.ok(hits.every((h) => h.score > 0 && h.score <= 2 / 61 + 1e-12), 'fused RRF scores');
  });

  test('a query vector of the wrong dimension is INDEX_VECTOR_DIMENSION', async () => {
    await assert.rejects(os.search('東京', { vectors: { text: [1, 0, 0] } }), ingestError('INDEX_VECTOR_DIMENSION', false, 'has 3 dimensions'));
  });

  test('listPendingEmbeddings pages through the pending documents', async () => {
    const first = await os.listPendingEmbeddings({ size: 1 });
    assert.equal(first.docs.length, 1);
    assert.ok(first.next);
    const second = await os.listPendingEmbeddings({ size: 1, after: first.next });
    assert.equal(second.docs.length, 1);
    const ids = [...first.docs, ...second.docs].map((d) => d.id).sort();
    assert.deepEqual(ids, [kyoto.id, pending.id].sort());
    const third = second.next === undefined ? { docs: [] } : await os.listPendingEmbeddings({ size: 1, after: second.next });
    assert.deepEqual(third.docs, []);
  });

  test('setup --roll --reindex to another dimension runs the painless script: vectors dropped, documents marked pending', async () => {
    const report = await setupIndex(os, { wanted: { text: 6, image: null }, roll: true, reindex: true, pollIntervalMs: 200 });
    assert.equal(report.outcome, 'rolled');
    assert.equal(report.index, `${alias}-v2`);
    assert.equal(report.copied?.total, 5);
    assert.deepEqual(await os.describeIndex().then((d) => [d.indices, d.dims]), [[`${alias}-v2`], { text: 6, image: null }]);
    const copied = await os.get(tokyo.id);
    assert.equal(copied?.embedding_pending, true);
    assert.equal(copied?.text_embedding, undefined);
    assert.equal(copied?.content, tokyo.content);
    await os.refresh();
    const all: string[] = [];
    let after: string | undefined;
    do {
      const page = await os.listPendingEmbeddings({ size: 2, ...(after ? { after } : {}) });
      all.push(...page.docs.map((d) => d.id));
      after = page.next;
    } while (after !== undefined);
    assert.equal(all.length, 5, 'every document has content, so every one needs a new vector');
    assert.equal((await os.search('東京都'))[0]?.id, tokyo.id, 'text search works on the new index');
  });
});
