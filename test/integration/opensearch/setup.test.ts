/**
 * `spot-ingest setup` against the recorder, through its exported function: the versioned index
 * behind the alias, idempotence, --roll (atomic swap), --reindex (copy, dimension change, catch-up)
 * and the migration of a concrete index from an older install.
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { indexBody, MAPPING_VERSION } from '../../../src/adapters/index/mapping.ts';
import { REINDEX_DIMENSION_SCRIPT, setupIndex } from '../../../src/adapters/index/index-versions.ts';
import { OpenSearchIndex } from '../../../src/adapters/index/opensearch.ts';
import { setupCommand, type SetupCommandOptions } from '../../../src/commands/setup.ts';
import { ConfigError, loadConfig } from '../../../src/config.ts';
import { StartupError } from '../../../src/core/errors.ts';
import { runCli } from '../../support/daemon.ts';
import { startOpenSearchRecorder, type OpenSearchRecorder } from '../../support/opensearch-recorder.ts';
import { makeDoc, uniqueIndex } from './fixtures.ts';

let recorder: OpenSearchRecorder;
beforeAll(async () => {
  recorder = await startOpenSearchRecorder();
});
afterAll(async () => {
  await recorder.close();
});

interface Models {
  text?: number | 'none';
  image?: number | 'none';
}

function config(alias: string, models: Models = {}) {
  const env: Record<string, string> = { INGEST_OPENSEARCH_URL: recorder.url, INGEST_OPENSEARCH_INDEX: alias };
  if (models.text === undefined || models.text === 'none') env.INGEST_TEXT_EMBEDDING_MODEL = 'none';
  else {
    env.INGEST_TEXT_EMBEDDING_MODEL = 'amazon.titan-embed-text-v2:0';
    env.INGEST_TEXT_EMBEDDING_DIMENSIONS = String(models.text);
  }
  if (models.image === undefined || models.image === 'none') env.INGEST_IMAGE_EMBEDDING_MODEL = 'none';
  else {
    env.INGEST_IMAGE_EMBEDDING_MODEL = 'amazon.titan-embed-image-v1';
    env.INGEST_IMAGE_EMBEDDING_DIMENSIONS = String(models.image);
  }
  return loadConfig(env);
}

/** Runs the setup command; its output and exit code. */
async function setup(alias: string, models: Models, options: SetupCommandOptions = {}): Promise<{ code: number; out: string }> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  const index = new OpenSearchIndex({ url: recorder.url, index: alias, batch: { lingerMs: 1 } });
  try {
    const code = await setupCommand(config(alias, models), options, out, { index, pollIntervalMs: 5 });
    return { code, out: text };
  } finally {
    await index.close();
  }
}

function adapter(alias: string): OpenSearchIndex {
  return new OpenSearchIndex({ url: recorder.url, index: alias, batch: { lingerMs: 1 } });
}

function requestsSince(mark: number): string[] {
  return recorder.requests.slice(mark).map((r) => `${r.method} ${r.path}`);
}

function dims(index: string): { text: unknown; image: unknown } {
  const props = recorder.indexState(index)?.mappings.properties as Record<string, { dimension?: number }> | undefined;
  return { text: props?.text_embedding?.dimension ?? null, image: props?.image_embedding?.dimension ?? null };
}

test('setup creates <alias>-v1 with the configured vector dimensions and points the alias at it', async () => {
  const alias = uniqueIndex('st');
  const mark = recorder.requests.length;
  const { code, out } = await setup(alias, { text: 256, image: 384 });
  assert.equal(code, 0, out);
  assert.deepEqual(requestsSince(mark), [`GET /${alias}/_mapping`, `PUT /${alias}-v1`, 'POST /_aliases']);
  assert.deepEqual(recorder.aliasTargets(alias), [`${alias}-v1`]);
  assert.deepEqual(dims(`${alias}-v1`), { text: 256, image: 384 });
  assert.deepEqual((recorder.indexState(`${alias}-v1`)?.mappings._meta as Record<string, unknown>).spot_ingest, { mapping_version: MAPPING_VERSION });
  assert.match(out, new RegExp(`created alias "${alias}" → index "${alias}-v1"`));
  assert.match(out, /text_embedding: 256 dimensions/);
  assert.match(out, /image_embedding: 384 dimensions/);

  // Models off: no vector fields at all.
  const plain = uniqueIndex('st');
  assert.equal((await setup(plain, {})).code, 0);
  assert.deepEqual(dims(`${plain}-v1`), { text: null, image: null });
  assert.deepEqual(recorder.violations, []);
});

test('setup twice: the second run only reads, changes nothing and says what exists', async () => {
  const alias = uniqueIndex('st');
  await setup(alias, { text: 512 });
  const indicesBefore = recorder.indexNames();
  const mark = recorder.requests.length;
  const { code, out } = await setup(alias, { text: 512 });
  assert.equal(code, 0, out);
  assert.ok(
    recorder.requests.slice(mark).every((r) => r.method === 'GET' || r.method === 'HEAD'),
    requestsSince(mark).join(', '),
  );
  assert.deepEqual(recorder.indexNames(), indicesBefore);
  assert.deepEqual(recorder.aliasTargets(alias), [`${alias}-v1`]);
  assert.match(out, new RegExp(`alias "${alias}" → index "${alias}-v1" \\(unchanged\\)`));
  assert.match(out, /text_embedding: 512 dimensions {3}\(configured: 512 dimensions\)/);
  assert.doesNotMatch(out, /does not fit/);
});

test('setup against an index of other dimensions: exit 1, the reason and the roll command; nothing changed', async () => {
  const alias = uniqueIndex('st');
  await setup(alias, { text: 256 });
  const mark = recorder.requests.length;
  const { code, out } = await setup(alias, { text: 1024, image: 384 });
  assert.equal(code, 1);
  assert.match(out, /does not fit the configuration: text_embedding: 256 dimensions in the index, the configured model makes 1024/);
  assert.match(out, /image_embedding: the index has no such field/);
  assert.match(out, /spot-ingest setup --roll --reindex/);
  assert.ok(recorder.requests.slice(mark).every((r) => r.method === 'GET' || r.method === 'HEAD'));
  assert.deepEqual(dims(`${alias}-v1`), { text: 256, image: null });
});

test('--roll --reindex: v2 with the documents, one atomic alias swap, searches see the documents before, during and after', async (t) => {
  const alias = uniqueIndex('st');
  await setup(alias, { text: 256 });
  const writer = adapter(alias);
  t.onTestFinished(() => writer.close());
  const docs = [makeDoc('r/請求書.txt', { content: '請求書の控え', text_embedding: Array.from({ length: 256 }, (_, i) => (i === 0 ? 1 : 0)) }), makeDoc('r/memo.txt', { content: '請求書 メモ' })];
  await Promise.all(docs.map((d) => writer.upsert(d)));
  const reader = adapter(alias);
  t.onTestFinished(() => reader.close());
  assert.equal((await reader.search('請求書')).length, 2, 'before');

  // Search through the alias at the very moment the swap is sent.
  let during: number | undefined;
  recorder.intercept({
    before: async (request) => {
      if (request.path === '/_aliases' && request.method === 'POST') during = (await reader.search('請求書')).length;
    },
  });
  t.onTestFinished(() => recorder.intercept({}));
  const mark = recorder.requests.length;
  const { code, out } = await setup(alias, { text: 256 }, { roll: true, reindex: true });
  assert.equal(code, 0, out);
  assert.equal(during, 2, 'during the roll the alias still serves v1');

  const swaps = recorder.requests.slice(mark).filter((r) => r.path === '/_aliases');
  assert.equal(swaps.length, 1, 'one _aliases call');
  assert.deepEqual(JSON.parse(swaps[0]!.body), {
    actions: [{ remove: { index: `${alias}-v1`, alias } }, { add: { index: `${alias}-v2`, alias } }],
  });
  assert.deepEqual(recorder.aliasTargets(alias), [`${alias}-v2`]);
  assert.deepEqual(
    [...recorder.documents(`${alias}-v2`).keys()].sort(),
    docs.map((d) => d.id).sort(),
  );
  assert.equal(recorder.documents(`${alias}-v1`).size, 2, 'the old index is kept');
  assert.equal((await reader.search('請求書')).length, 2, 'after');
  assert.deepEqual(await reader.get(docs[0]!.id), docs[0], 'copied unchanged (same dimensions)');
  assert.match(out, new RegExp(`rolled alias "${alias}" → index "${alias}-v2" \\(was "${alias}-v1"\\)`));
  assert.match(out, /copied 2 documents/);
  assert.match(out, new RegExp(`curl -X DELETE "${recorder.url}/${alias}-v1"`));
  const reindex = recorder.requests.slice(mark).find((r) => r.path === '/_reindex')!;
  assert.equal(reindex.query.wait_for_completion, 'false');
  assert.equal(JSON.parse(reindex.body).script, undefined, 'no script when the dimensions stay');
  assert.deepEqual(recorder.violations, []);
});

test('--roll without --reindex: an empty v2 takes over; v1 is kept; a third roll makes v3', async () => {
  const alias = uniqueIndex('st');
  await setup(alias, {});
  const writer = adapter(alias);
  await writer.upsert(makeDoc('e/a.txt'));
  await writer.close();
  const { code, out } = await setup(alias, {}, { roll: true });
  assert.equal(code, 0, out);
  assert.deepEqual(recorder.aliasTargets(alias), [`${alias}-v2`]);
  assert.equal(recorder.documents(alias).size, 0);
  assert.equal(recorder.documents(`${alias}-v1`).size, 1);
  assert.match(out, /the new index is empty/);
  assert.equal(recorder.requests.filter((r) => r.path === '/_reindex' && r.body.includes(`${alias}-v1`)).length, 0);
  await setup(alias, {}, { roll: true });
  assert.deepEqual(recorder.aliasTargets(alias), [`${alias}-v3`]);
});

test('--roll --reindex after a dimension change: old vectors left out, documents that need new ones marked embedding_pending', async (t) => {
  const alias = uniqueIndex('st');
  await setup(alias, { text: 256, image: 384 });
  const writer = adapter(alias);
  t.onTestFinished(() => writer.close());
  const unit = (n: number) => Array.from({ length: n }, (_, i) => (i === 1 ? 1 : 0));
  const text = makeDoc('d/report.txt', { content: '月次報告', text_embedding: unit(256), text_embedding_truncated: true });
  const photo = makeDoc('d/photo.jpg', { content: '', content_type: 'image/jpeg', text_source: 'none', image_embedding: unit(384) });
  const archive = makeDoc('d/archive.zip', { content: '', content_type: 'application/zip', text_source: 'none' });
  await Promise.all([text, photo, archive].map((d) => writer.upsert(d)));

  const mark = recorder.requests.length;
  const { code, out } = await setup(alias, { text: 1024, image: 384 }, { roll: true, reindex: true });
  assert.equal(code, 0, out);
  assert.deepEqual(dims(`${alias}-v2`), { text: 1024, image: 384 });
  const copied = recorder.documents(`${alias}-v2`);
  const report = copied.get(text.id)!;
  assert.equal(report.embedding_pending, true);
  assert.equal('text_embedding' in report, false, 'the 256-dimension vector is left out');
  assert.equal('text_embedding_truncated' in report, false);
  assert.equal(report.content, '月次報告');
  assert.deepEqual(copied.get(photo.id)!.image_embedding, unit(384), 'the image vector (same dimension) is kept');
  assert.equal(copied.get(photo.id)!.embedding_pending, undefined);
  assert.equal(copied.get(archive.id)!.embedding_pending, undefined, 'nothing to embed');

  const body = JSON.parse(recorder.requests.slice(mark).find((r) => r.path === '/_reindex')!.body);
  assert.deepEqual(body.script, {
    lang: 'painless',
    source: REINDEX_DIMENSION_SCRIPT,
    params: { drop: ['text_embedding', 'text_embedding_truncated'], text: true, image: false },
  });
  assert.match(out, /left out the vectors of text_embedding/);
  assert.match(out, /spot-ingest reembed/);

  // reembed's view: exactly the document that lost its vector.
  const pending = await writer.listPendingEmbeddings({ size: 10 });
  assert.deepEqual(
    pending.docs.map((d) => d.id),
    [text.id],
  );
  assert.deepEqual(recorder.violations, []);
});

test('writes that reach the old index while it is copied are copied again after the swap', async (t) => {
  const alias = uniqueIndex('st');
  await setup(alias, {});
  const writer = adapter(alias);
  t.onTestFinished(() => writer.close());
  await writer.upsert(makeDoc('c/before.txt'));
  const late = makeDoc('c/late.txt');
  let copies = 0;
  recorder.intercept({
    after: (request) => {
      // The daemon writes to v1 (through the alias) right after the first copy was made.
      if (request.path === '/_reindex' && ++copies === 1) {
        const { id, ...source } = late;
        recorder.writeDocument(alias, id, source);
      }
    },
  });
  t.onTestFinished(() => recorder.intercept({}));
  const os = new OpenSearchIndex({ url: recorder.url, index: alias });
  t.onTestFinished(() => os.close());
  const report = await setupIndex(os, { wanted: { text: null, image: null }, roll: true, reindex: true, pollIntervalMs: 5 });
  assert.equal(copies, 2, 'the copy, and the catch-up after the swap');
  assert.deepEqual(report.copied, { total: 1, caughtUp: 2 });
  assert.ok(recorder.documents(`${alias}-v2`).has(late.id), 'the late write made it');
  assert.ok(recorder.documents(alias).has(late.id));
  const catchUp = JSON.parse(recorder.requests.filter((r) => r.path === '/_reindex').at(-1)!.body);
  assert.ok(catchUp.source.query.range.indexed_at.gte, 'the catch-up copies only recent writes');
});

test('an older install with a concrete index of the alias name: reported by setup, migrated by --roll in one _aliases call', async (t) => {
  const alias = uniqueIndex('old');
  // The index as older versions made it: no _meta (mapping version 1).
  const old = indexBody({ textEmbeddingDims: 256 }) as { mappings: Record<string, unknown> };
  delete old.mappings._meta;
  const created = await fetch(`${recorder.url}/${alias}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(old) });
  assert.equal(created.status, 200);
  const writer = adapter(alias);
  t.onTestFinished(() => writer.close());
  const docs = [makeDoc('m/1.txt', { content: '旧索引の文書' }), makeDoc('m/2.txt')];
  await Promise.all(docs.map((d) => writer.upsert(d)));

  const mark = recorder.requests.length;
  const plain = await setup(alias, { text: 256 });
  assert.equal(plain.code, 0, plain.out);
  assert.match(plain.out, /is a concrete index, not an alias/);
  assert.match(plain.out, /mapping version 1 \(current: 2\)/);
  assert.ok(recorder.requests.slice(mark).every((r) => r.method === 'GET' || r.method === 'HEAD'));

  const { code, out } = await setup(alias, { text: 256 }, { roll: true });
  assert.equal(code, 0, out);
  assert.match(out, new RegExp(`migrated the concrete index "${alias}" to alias "${alias}" → index "${alias}-v1"`));
  const swap = recorder.requests.filter((r) => r.path === '/_aliases').at(-1)!;
  assert.deepEqual(JSON.parse(swap.body), { actions: [{ add: { index: `${alias}-v1`, alias } }, { remove_index: { index: alias } }] });
  assert.deepEqual(recorder.aliasTargets(alias), [`${alias}-v1`]);
  assert.ok(!recorder.indexNames().includes(alias), 'the concrete index is gone');
  assert.deepEqual(
    [...recorder.documents(alias).keys()].sort(),
    docs.map((d) => d.id).sort(),
  );
  // Writes and reads go through the alias now.
  await writer.upsert(makeDoc('m/3.txt'));
  assert.equal(recorder.documents(`${alias}-v1`).size, 3);
  assert.deepEqual(await writer.describeIndex(), { exists: true, kind: 'alias', indices: [`${alias}-v1`], dims: { text: 256, image: null }, mappingVersion: MAPPING_VERSION });
  assert.deepEqual(recorder.violations, []);
});

test('a roll skips (and names) a leftover of an interrupted roll; an alias over two indices is refused', async () => {
  const alias = uniqueIndex('st');
  await setup(alias, {});
  await fetch(`${recorder.url}/${alias}-v2`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(indexBody({})) });
  const report = await setup(alias, {});
  assert.match(report.out, new RegExp(`"${alias}-v2" exists but the alias does not point at it`));
  const { out } = await setup(alias, {}, { roll: true });
  assert.deepEqual(recorder.aliasTargets(alias), [`${alias}-v3`]);
  assert.match(out, new RegExp(`"${alias}-v2" exists but the alias does not point at it`));

  await fetch(`${recorder.url}/_aliases`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ actions: [{ add: { index: `${alias}-v1`, alias } }] }),
  });
  await assert.rejects(setup(alias, {}), (err: unknown) => err instanceof StartupError && /points at 2 indices/.test(err.message));
});

test('a failed copy leaves the alias where it was and says how to clean up', async () => {
  const alias = uniqueIndex('st');
  await setup(alias, {});
  recorder.failNextRequests(1, 400, { match: (r) => r.path === '/_reindex', type: 'illegal_argument_exception', reason: 'no reindex here' });
  await assert.rejects(setup(alias, {}, { roll: true, reindex: true }), (err: unknown) => {
    assert.ok(err instanceof StartupError, String(err));
    assert.match(err.message, /no reindex here/);
    assert.match(err.message, new RegExp(`The alias was not changed; delete the new index \\(DELETE /${alias}-v2\\)`));
    return true;
  });
  assert.deepEqual(recorder.aliasTargets(alias), [`${alias}-v1`]);
});

test('a copy task is polled until it completes', async (t) => {
  const alias = uniqueIndex('st');
  await setup(alias, {});
  recorder.setTaskPolls(2);
  t.onTestFinished(() => recorder.setTaskPolls(0));
  const mark = recorder.requests.length;
  const { code } = await setup(alias, {}, { roll: true, reindex: true });
  assert.equal(code, 0);
  const polls = recorder.requests.slice(mark).filter((r) => r.path.startsWith('/_tasks/'));
  assert.equal(polls.length, 6, 'two copies, each answered "not yet" twice, then the result');
});

test('usage: --reindex needs --roll (exit 2); --print-mapping needs no OpenSearch', async () => {
  await assert.rejects(setupCommand(config('x'), { reindex: true }, new PassThrough()), ConfigError);
  const cli = await runCli(['setup', '--reindex'], { INGEST_QUEUE_URL: '', INGEST_OPENSEARCH_URL: recorder.url, INGEST_OPENSEARCH_INDEX: 'cli-usage' });
  assert.equal(cli.code, 2, cli.stderr);
  assert.match(cli.stderr, /--reindex goes with --roll/);

  const printed = await runCli(['setup', '--print-mapping'], {
    INGEST_QUEUE_URL: '',
    INGEST_OPENSEARCH_URL: '',
    INGEST_TEXT_EMBEDDING_MODEL: 'amazon.titan-embed-text-v2:0',
    INGEST_TEXT_EMBEDDING_DIMENSIONS: '512',
    INGEST_IMAGE_EMBEDDING_MODEL: 'none',
  });
  assert.equal(printed.code, 0, printed.stderr);
  const body = JSON.parse(printed.stdout);
  assert.equal(body.mappings.properties.text_embedding.dimension, 512);
  assert.equal(body.mappings.properties.image_embedding, undefined);
});
