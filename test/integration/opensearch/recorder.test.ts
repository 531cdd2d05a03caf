/** The recorder itself: it must catch malformed traffic and answer with OpenSearch's shapes. */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { indexBody } from '../../../src/adapters/index/mapping.ts';
import { startOpenSearchRecorder, type OpenSearchRecorder } from '../../support/opensearch-recorder.ts';
import { makeDoc, uniqueIndex } from './fixtures.ts';

let recorder: OpenSearchRecorder;
before(async () => {
  recorder = await startOpenSearchRecorder();
});
after(async () => {
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
