/** The recorder itself: it must catch malformed traffic and answer with OpenSearch's shapes. */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { REINDEX_DIMENSION_SCRIPT } from '../../../src/adapters/index/index-versions.ts';
import { indexBody } from '../../../src/adapters/index/mapping.ts';
import { startOpenSearchRecorder, type OpenSearchRecorder } from '../../support/opensearch-recorder.ts';
import { makeDoc, uniqueIndex } from './fixtures.ts';

let recorder: OpenSearchRecorder;
beforeAll(async () => {
  recorder = await startOpenSearchRecorder();
});
afterAll(async () => {
  await recorder.close();
});

const NDJSON = { 'content-type': 'application/x-ndjson' };
const JSON_CT = { 'content-type': 'application/json' };

async function call(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const res = await fetch(`${recorder.url}${path}`, { method, headers, body });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
}

async function createIndex(dims: { text?: number; image?: number } = {}): Promise<string> {
  const index = uniqueIndex('rec');
  const res = await call('PUT', `/${index}`, JSON.stringify(indexBody({ textEmbeddingDims: dims.text, imageEmbeddingDims: dims.image })), JSON_CT);
  assert.equal(res.status, 200, JSON.stringify(res.json));
  assert.deepEqual(res.json, { acknowledged: true, shards_acknowledged: true, index });
  return index;
}

function source(key: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const { id: _id, ...rest } = makeDoc(key);
  return { ...rest, ...overrides };
}

/** Runs `fn` and returns the violations it added. */
async function newViolations(fn: () => Promise<void>): Promise<string[]> {
  const before = recorder.violations.length;
  await fn();
  return recorder.violations.slice(before);
}

test('valid bulk traffic: documented response shape, no violations', async () => {
  const index = await createIndex({ text: 3 });
  const body =
    [
      { index: { _index: index, _id: 'a' } },
      source('a.txt', { text_embedding: [0.1, 0.2, 0.3] }),
      { delete: { _index: index, _id: 'missing' } },
      { index: { _id: 'b' } },
      source('b.txt'),
    ]
      .map((l) => JSON.stringify(l))
      .join('\n') + '\n';
  const violations = await newViolations(async () => {
    const res = await call('POST', `/${index}/_bulk`, body, NDJSON);
    assert.equal(res.status, 200);
    assert.equal(typeof res.json.took, 'number');
    assert.equal(res.json.errors, false);
    assert.equal(res.json.items.length, 3);
    assert.deepEqual(
      res.json.items.map((it: Record<string, { status: number; result: string; _index: string; _id: string }>) => {
        const [op, r] = Object.entries(it)[0]!;
        return [op, r._index, r._id, r.status, r.result];
      }),
      [
        ['index', index, 'a', 201, 'created'],
        ['delete', index, 'missing', 404, 'not_found'],
        ['index', index, 'b', 201, 'created'],
      ],
    );
    const again = await call('POST', '/_bulk', `${JSON.stringify({ index: { _index: index, _id: 'a' } })}\n${JSON.stringify(source('a.txt'))}\n`, NDJSON);
    assert.equal(again.json.items[0].index.result, 'updated');
    assert.equal(again.json.items[0].index.status, 200);
    assert.equal(again.json.items[0].index._version, 2);

    const doc = await call('GET', `/${index}/_doc/a`);
    assert.equal(doc.json.found, true);
    assert.equal(doc.json._source.key, 'a.txt');
    const none = await call('GET', `/${index}/_doc/zzz`);
    assert.equal(none.status, 404);
    assert.equal(none.json.found, false);
  });
  assert.deepEqual(violations, []);
  assert.deepEqual([...recorder.documents(index).keys()].sort(), ['a', 'b']);
});

test('malformed bulk bodies are violations answered 400 with the error shape', async () => {
  const index = await createIndex();
  const action = JSON.stringify({ index: { _index: index, _id: 'x' } });
  const doc = JSON.stringify(source('x.txt'));
  const cases: [string, string, Record<string, string>, RegExp][] = [
    ['no trailing newline', `${action}\n${doc}`, NDJSON, /terminated by a newline/],
    ['wrong content type', `${action}\n${doc}\n`, JSON_CT, /application\/x-ndjson/],
    ['action not JSON', `{index\n${doc}\n`, NDJSON, /Malformed action\/metadata line \[1\]/],
    ['unknown op', `${JSON.stringify({ upsert: { _index: index, _id: 'x' } })}\n${doc}\n`, NDJSON, /expected one of index/],
    ['no _id', `${JSON.stringify({ index: { _index: index } })}\n${doc}\n`, NDJSON, /no _id/],
    ['document missing', `${action}\n`, NDJSON, /not followed by a document/],
    ['document not JSON', `${action}\n{"bucket":\n`, NDJSON, /not valid JSON/],
    ['empty body', '', NDJSON, /body is required/],
  ];
  for (const [name, body, headers, expected] of cases) {
    const added = await newViolations(async () => {
      const res = await call('POST', '/_bulk', body, headers);
      assert.equal(res.status, 400, name);
      assert.equal(res.json.status, 400, name);
      assert.equal(typeof res.json.error.type, 'string', name);
      assert.match(res.json.error.reason, expected, name);
      assert.ok(Array.isArray(res.json.error.root_cause), name);
    });
    assert.equal(added.length, 1, `${name}: ${JSON.stringify(added)}`);
    assert.match(added[0]!, expected, name);
  }
  assert.equal(recorder.documents(index).size, 0);
});

test('documents not shaped like §6 fail per item (mapper_parsing_exception) and are recorded', async () => {
  const index = await createIndex({ text: 3 });
  const lines = (id: string, doc: Record<string, unknown>): string => `${JSON.stringify({ index: { _index: index, _id: id } })}\n${JSON.stringify(doc)}\n`;
  const { content: _c, ...noContent } = source('n.txt');
  const body =
    lines('ok', source('ok.txt')) +
    lines('no-content', noContent) +
    lines('bad-size', source('s.txt', { size: '12' })) +
    lines('bad-source', source('t.txt', { text_source: 'pdf' })) +
    lines('bad-dims', source('v.txt', { text_embedding: [1, 2] })) +
    lines('no-image-mapping', source('w.txt', { image_embedding: [1, 2, 3] })) +
    lines('with-id', { ...source('i.txt'), id: 'i' }) +
    lines('bad-date', source('d.txt', { indexed_at: 'yesterday' }));
  const added = await newViolations(async () => {
    const res = await call('POST', '/_bulk', body, NDJSON);
    assert.equal(res.status, 200);
    assert.equal(res.json.errors, true);
    const statuses = res.json.items.map((it: { index: { _id: string; status: number; error?: { type: string } } }) => [it.index._id, it.index.status, it.index.error?.type]);
    assert.deepEqual(statuses, [
      ['ok', 201, undefined],
      ['no-content', 400, 'mapper_parsing_exception'],
      ['bad-size', 400, 'mapper_parsing_exception'],
      ['bad-source', 400, 'mapper_parsing_exception'],
      ['bad-dims', 400, 'mapper_parsing_exception'],
      ['no-image-mapping', 400, 'mapper_parsing_exception'],
      ['with-id', 400, 'mapper_parsing_exception'],
      ['bad-date', 400, 'mapper_parsing_exception'],
    ]);
  });
  const text = added.join('\n');
  for (const expected of [/missing field \[content\]/, /\[size\] must be a non-negative integer/, /\[text_source\]/, /dimension mismatch/, /image_embedding.*no knn_vector/, /unknown field \[id\]/, /\[indexed_at\] must be an ISO-8601/]) {
    assert.match(text, expected);
  }
  assert.deepEqual([...recorder.documents(index).keys()], ['ok']);
});

test('index bodies without a kuromoji content analyser (and other mapping errors) are refused', async () => {
  const good = indexBody({ textEmbeddingDims: 4 }) as any;
  const variants: [string, (b: any) => void, RegExp][] = [
    ['standard analyser', (b) => (b.mappings.properties.content.analyzer = 'standard'), /kuromoji analyser/],
    ['undefined analyser', (b) => delete b.settings.index.analysis.analyzer[b.mappings.properties.content.analyzer], /has not been configured/],
    ['no ngram subfield', (b) => delete b.mappings.properties.content.fields, /content\.ngram/],
    ['ngram too wide', (b) => (Object.values(b.settings.index.analysis.tokenizer)[0] as any).max_gram = 5, /max_ngram_diff/],
    ['unknown filter', (b) => Object.values(b.settings.index.analysis.analyzer as Record<string, any>)[0].filter.push('kuromoji_magic'), /failed to find filter/],
    ['knn without index.knn', (b) => delete b.settings.index.knn, /index\.knn/],
    ['bad engine', (b) => (b.mappings.properties.text_embedding.method.engine = 'annoy'), /unknown engine/],
    ['size as text', (b) => (b.mappings.properties.size = { type: 'text' }), /\[size\] must be mapped as long/],
    ['missing field', (b) => delete b.mappings.properties.sha256, /\[sha256\] is not mapped/],
  ];
  for (const [name, mutate, expected] of variants) {
    const body = structuredClone(good);
    mutate(body);
    const index = uniqueIndex('bad');
    const added = await newViolations(async () => {
      const res = await call('PUT', `/${index}`, JSON.stringify(body), JSON_CT);
      assert.equal(res.status, 400, name);
      assert.equal(res.json.error.type, 'mapper_parsing_exception', name);
    });
    assert.ok(added.some((v) => expected.test(v)), `${name}: ${JSON.stringify(added)}`);
    assert.equal((await call('HEAD', `/${index}`)).status, 404, `${name}: not created`);
  }
});

test('index management answers', async () => {
  const index = await createIndex({ text: 8 });
  assert.equal((await call('HEAD', `/${index}`)).status, 200);
  const again = await call('PUT', `/${index}`, JSON.stringify(indexBody({})), JSON_CT);
  assert.equal(again.status, 400);
  assert.equal(again.json.error.type, 'resource_already_exists_exception');
  const mapping = await call('GET', `/${index}/_mapping`);
  assert.equal(mapping.json[index].mappings.properties.text_embedding.dimension, 8);
  const info = await call('GET', `/${index}`);
  assert.ok(info.json[index].settings.index.analysis);
  assert.equal((await call('POST', `/${index}/_refresh`)).json._shards.failed, 0);
  const missing = await call('GET', '/nope-nope/_mapping');
  assert.equal(missing.status, 404);
  assert.equal(missing.json.error.type, 'index_not_found_exception');
  assert.deepEqual(await call('DELETE', `/${index}`), { status: 200, json: { acknowledged: true } });
  assert.equal((await call('HEAD', `/${index}`)).status, 404);
  const root = await call('GET', '/');
  assert.equal(root.json.version.distribution, 'opensearch');
  const added = await newViolations(async () => {
    const res = await call('GET', '/_cat/indices');
    assert.equal(res.status, 400);
  });
  assert.equal(added.length, 1);
});

test('search: substring match over content and file_name, highlight, _source filtering', async () => {
  const index = await createIndex();
  const body =
    [
      { index: { _id: '1' } },
      source('docs/東京支社レポート.pdf', { content: '東京都の売上は前年比で増加しました。東京の天気は晴れ。' }),
      { index: { _id: '2' } },
      source('docs/osaka.txt', { content: 'Osaka branch report' }),
    ]
      .map((l) => JSON.stringify(l))
      .join('\n') + '\n';
  await call('POST', `/${index}/_bulk`, body, NDJSON);
  const res = await call(
    'POST',
    `/${index}/_search`,
    JSON.stringify({
      size: 5,
      query: { multi_match: { query: '東京', fields: ['content', 'content.ngram', 'file_name^2'] } },
      _source: ['key', 'file_name'],
      highlight: { fields: { content: { fragment_size: 40, number_of_fragments: 1, no_match_size: 10 } } },
    }),
    JSON_CT,
  );
  assert.equal(res.status, 200);
  assert.equal(res.json.timed_out, false);
  assert.deepEqual(res.json.hits.total, { value: 1, relation: 'eq' });
  const hit = res.json.hits.hits[0];
  assert.equal(hit._id, '1');
  assert.deepEqual(Object.keys(hit._source).sort(), ['file_name', 'key']);
  assert.match(hit.highlight.content[0], /<em>東京<\/em>都/);

  const upper = await call('POST', `/${index}/_search`, JSON.stringify({ query: { match: { content: 'OSAKA' } } }), JSON_CT);
  assert.deepEqual(
    upper.json.hits.hits.map((h: { _id: string }) => h._id),
    ['2'],
  );
  const all = await call('GET', `/${index}/_search`);
  assert.equal(all.json.hits.total.value, 2);
});

test('fault injection: failNextRequests counts only matching requests', async () => {
  const index = await createIndex();
  recorder.failNextRequests(2, 503, { match: (r) => r.method === 'HEAD' });
  assert.equal((await call('GET', `/${index}/_mapping`)).status, 200);
  assert.equal((await call('HEAD', `/${index}`)).status, 503);
  const second = await call('GET', '/');
  assert.equal(second.status, 200);
  assert.equal((await call('HEAD', `/${index}`)).status, 503);
  assert.equal((await call('HEAD', `/${index}`)).status, 200);
  recorder.failNextRequests(1, 429);
  const throttled = await call('GET', '/');
  assert.equal(throttled.status, 429);
  assert.equal(throttled.json.error.type, 'es_rejected_execution_exception');
});

// ── aliases, _msearch, k-NN, sort, _reindex ───────────────────────────────────────────────────

async function aliasActions(actions: unknown[]): Promise<{ status: number; json: any }> {
  return call('POST', '/_aliases', JSON.stringify({ actions }), JSON_CT);
}

test('aliases: atomic _aliases, resolution for reads, writes and _mapping, and the errors OpenSearch gives', async () => {
  const a = await createIndex({ text: 2 });
  const b = await createIndex({ text: 2 });
  const alias = uniqueIndex('alias');
  const added = await newViolations(async () => {
    assert.deepEqual(await aliasActions([{ add: { index: a, alias } }]), { status: 200, json: { acknowledged: true } });
    assert.equal((await call('HEAD', `/${alias}`)).status, 200);
    const mapping = await call('GET', `/${alias}/_mapping`);
    assert.deepEqual(Object.keys(mapping.json), [a], 'keyed by the concrete index');
    assert.deepEqual((await call('GET', `/_alias/${alias}`)).json, { [a]: { aliases: { [alias]: {} } } });
    assert.equal((await call('GET', '/_alias/nope-alias')).status, 404);
    // The single-alias endpoints.
    const other = uniqueIndex('alias');
    assert.equal((await call('PUT', `/${b}/_alias/${other}`)).status, 200);
    assert.deepEqual((await call('GET', `/${b}/_alias`)).json, { [b]: { aliases: { [other]: {} } } });
    assert.equal((await call('DELETE', `/${b}/_alias/${other}`)).status, 200);
    assert.equal((await call('DELETE', `/${b}/_alias/${other}`)).json.error.type, 'aliases_not_found_exception');
    assert.equal((await call('HEAD', `/${other}`)).status, 404);

    // Writes through the alias land in the index; _doc and _search answer with the concrete name.
    const bulk = await call('POST', '/_bulk', `${JSON.stringify({ index: { _index: alias, _id: 'x' } })}\n${JSON.stringify(source('x.txt'))}\n`, NDJSON);
    assert.equal(bulk.json.items[0].index._index, a);
    assert.equal((await call('GET', `/${alias}/_doc/x`)).json._index, a);
    assert.equal((await call('GET', `/${alias}/_search`)).json.hits.hits[0]._index, a);

    // Swap: remove + add in one call; a failing action changes nothing.
    assert.equal((await aliasActions([{ remove: { index: a, alias } }, { add: { index: 'missing-index', alias } }])).status, 404);
    assert.deepEqual(recorder.aliasTargets(alias), [a]);
    assert.equal((await aliasActions([{ remove: { index: a, alias } }, { add: { index: b, alias } }])).status, 200);
    assert.deepEqual(recorder.aliasTargets(alias), [b]);
    assert.equal((await aliasActions([{ remove: { index: a, alias } }])).json.error.type, 'aliases_not_found_exception');

    // Two indices behind the alias: reads see both, single-index ops are refused.
    await aliasActions([{ add: { index: a, alias } }]);
    assert.equal((await call('GET', `/${alias}/_search`)).json.hits.total.value, 1);
    const two = await call('POST', '/_bulk', `${JSON.stringify({ index: { _index: alias, _id: 'y' } })}\n${JSON.stringify(source('y.txt'))}\n`, NDJSON);
    assert.match(two.json.items[0].index.error.reason, /no write index is defined for alias/);
    assert.match((await call('GET', `/${alias}/_doc/x`)).json.error.reason, /more than one index/);

    // Names: an alias may not shadow an index, nor an index an alias; DELETE does not take an alias.
    assert.equal((await aliasActions([{ add: { index: a, alias: b } }])).json.error.type, 'invalid_alias_name_exception');
    assert.equal((await call('PUT', `/${alias}`, JSON.stringify(indexBody({})), JSON_CT)).json.error.type, 'invalid_index_name_exception');
    assert.match((await call('DELETE', `/${alias}`)).json.error.reason, /matches an alias/);

    // remove_index runs first, so an index can be replaced by an alias of its name in one call.
    assert.equal((await aliasActions([{ add: { index: b, alias: a } }, { remove_index: { index: a } }])).status, 200);
    assert.ok(!recorder.indexNames().includes(a));
    assert.deepEqual(recorder.aliasTargets(a), [b]);
    assert.deepEqual(recorder.aliasTargets(alias), [b], 'the removed index left its aliases');
  });
  assert.deepEqual(added, []);
  const bad = await newViolations(async () => {
    assert.equal((await aliasActions([])).status, 400);
    assert.equal((await aliasActions([{ rename: { index: b, alias } }])).status, 400);
  });
  assert.equal(bad.length, 2);
});

test('_msearch answers per search (errors included) with the k-NN shard failure OpenSearch gives', async () => {
  const index = await createIndex({ text: 3 });
  const lines = [
    { index: { _id: 'near' } },
    source('near.txt', { content: 'alpha', text_embedding: [1, 0, 0] }),
    { index: { _id: 'far' } },
    source('far.txt', { content: 'beta', text_embedding: [-1, 0.1, 0] }),
  ];
  await call('POST', `/${index}/_bulk`, lines.map((l) => JSON.stringify(l)).join('\n') + '\n', NDJSON);
  const searches = [
    {},
    { query: { knn: { text_embedding: { vector: [1, 0, 0], k: 2 } } } },
    { index },
    { query: { knn: { text_embedding: { vector: [1, 0], k: 2 } } } },
    {},
    { query: { knn: { image_embedding: { vector: [1, 0, 0], k: 2 } } } },
  ];
  const added = await newViolations(async () => {
    const res = await call('POST', `/${index}/_msearch`, searches.map((l) => JSON.stringify(l)).join('\n') + '\n', NDJSON);
    assert.equal(res.status, 200);
    const [ok, dims, field] = res.json.responses;
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.hits.hits.map((h: { _id: string }) => h._id), ['near', 'far']);
    assert.ok(ok.hits.hits[0]._score > ok.hits.hits[1]._score);
    assert.ok(Math.abs(ok.hits.hits[0]._score - 1) < 1e-9, 'lucene cosinesimil: (1 + cos) / 2');
    assert.equal(dims.status, 400);
    assert.equal(dims.error.type, 'search_phase_execution_exception');
    assert.equal(dims.error.root_cause[0].type, 'query_shard_exception');
    assert.match(dims.error.failed_shards[0].reason.caused_by.reason, /Query vector has invalid dimension: 2\. Dimension should be: 3/);
    assert.match(field.error.root_cause[0].reason, /Field 'image_embedding' is not knn_vector type/);
  });
  assert.deepEqual(added, [], 'data errors are answers, not violations');
  const bad = await newViolations(async () => {
    assert.equal((await call('POST', `/${index}/_msearch`, '{}\n{}\n', JSON_CT)).status, 400);
    assert.equal((await call('POST', `/${index}/_msearch`, '{}\n', NDJSON)).status, 400);
  });
  assert.equal(bad.length, 2);
});

test('term/bool queries, sort + search_after, and sorts OpenSearch refuses', async () => {
  const index = await createIndex();
  const docs = ['c', 'a', 'b', 'd'].map((k, i) => [{ index: { _id: k } }, source(`${k}.txt`, { indexed_at: `2025-01-0${i + 1}T00:00:00.000Z`, embedding_pending: k !== 'd' })]).flat();
  await call('POST', `/${index}/_bulk`, docs.map((l) => JSON.stringify(l)).join('\n') + '\n', NDJSON);
  const search = (body: unknown) => call('POST', `/${index}/_search`, JSON.stringify(body), JSON_CT);
  const added = await newViolations(async () => {
    const first = await search({ size: 2, query: { term: { embedding_pending: true } }, sort: [{ indexed_at: { order: 'asc' } }, { key: 'asc' }], track_total_hits: false });
    assert.deepEqual(first.json.hits.hits.map((h: { _id: string }) => h._id), ['c', 'a']);
    assert.equal(first.json.hits.total, undefined);
    assert.equal(first.json.hits.hits[0]._score, null);
    assert.deepEqual(first.json.hits.hits[1].sort, [Date.parse('2025-01-02T00:00:00.000Z'), 'a.txt']);
    const next = await search({ size: 2, query: { term: { embedding_pending: true } }, sort: [{ indexed_at: { order: 'asc' } }, { key: 'asc' }], search_after: first.json.hits.hits[1].sort });
    assert.deepEqual(next.json.hits.hits.map((h: { _id: string }) => h._id), ['b']);
    const bool = await search({ query: { bool: { filter: [{ range: { indexed_at: { gte: '2025-01-02T00:00:00.000Z' } } }], must_not: [{ term: { key: 'b.txt' } }] } } });
    assert.deepEqual(bool.json.hits.hits.map((h: { _id: string }) => h._id).sort(), ['a', 'd']);
  });
  assert.deepEqual(added, []);
  const bad = await newViolations(async () => {
    assert.match((await search({ sort: [{ _id: 'asc' }] })).json.error.reason, /Fielddata access on the _id field is disallowed/);
    assert.match((await search({ sort: [{ content: 'asc' }] })).json.error.reason, /Text fields are not optimised/);
    assert.match((await search({ sort: ['key'], search_after: [1, 2] })).json.error.reason, /search_after has 2 value\(s\) but sort has 1/);
    assert.equal((await search({ search_after: [1] })).status, 400);
    assert.equal((await search({ query: { fuzzy: { key: 'x' } } })).status, 400);
  });
  assert.equal(bad.length, 5);
});

test('_reindex: copies (as a task too), validates against the destination, runs only spot-ingest\'s script', async () => {
  const from = await createIndex({ text: 2 });
  const to = await createIndex({ text: 3 });
  await call('POST', `/${from}/_bulk`, [{ index: { _id: 'v' } }, source('v.txt', { content: 'x', text_embedding: [1, 0] })].map((l) => JSON.stringify(l)).join('\n') + '\n', NDJSON);
  const reindex = (body: unknown, query = '') => call('POST', `/_reindex${query}`, JSON.stringify(body), JSON_CT);

  // The 2-dimension vector does not fit the 3-dimension destination: a failure (and a violation: the script should have dropped it).
  const failed = await newViolations(async () => {
    const res = await reindex({ source: { index: from }, dest: { index: to } });
    assert.equal(res.status, 200);
    assert.equal(res.json.failures.length, 1);
    assert.equal(res.json.failures[0].cause.type, 'mapper_parsing_exception');
  });
  assert.equal(failed.length, 1);
  const script = { lang: 'painless', source: REINDEX_DIMENSION_SCRIPT, params: { drop: ['text_embedding'], text: true, image: false } };
  const ok = await newViolations(async () => {
    const started = await reindex({ source: { index: from }, dest: { index: to }, script }, '?wait_for_completion=false');
    assert.match(started.json.task, /^recorder-node:\d+$/);
    const task = await call('GET', `/_tasks/${started.json.task}`);
    assert.equal(task.json.completed, true);
    assert.deepEqual([task.json.response.total, task.json.response.created, task.json.response.failures], [1, 1, []]);
    assert.equal(recorder.documents(to).get('v')?.embedding_pending, true);
    assert.equal('text_embedding' in (recorder.documents(to).get('v') ?? {}), false);
    assert.equal((await call('GET', '/_tasks/recorder-node:99999')).status, 404);
  });
  assert.deepEqual(ok, []);
  const refused = await newViolations(async () => {
    assert.equal((await reindex({ source: { index: from }, dest: { index: to }, script: { ...script, source: 'ctx._source.x = 1' } })).status, 400);
    assert.equal((await reindex({ source: { index: from }, dest: { index: from } })).status, 400);
  });
  assert.equal(refused.length, 2);
  assert.equal((await reindex({ source: { index: from }, dest: { index: 'nope-nope' } })).status, 404);
});
