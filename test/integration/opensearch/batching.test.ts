import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { OpenSearchIndex } from '../../../src/adapters/index/opensearch.ts';
import { startOpenSearchRecorder, type OpenSearchRecorder } from '../../support/opensearch-recorder.ts';
import { waitFor } from '../../support/wait-for.ts';
import { activeTimers, ingestError, makeDoc, uniqueIndex } from './fixtures.ts';

let recorder: OpenSearchRecorder;
beforeAll(async () => {
  recorder = await startOpenSearchRecorder();
});
afterAll(async () => {
  await recorder.close();
});

async function freshIndex(batch: ConstructorParameters<typeof OpenSearchIndex>[0]['batch']): Promise<{ os: OpenSearchIndex; index: string }> {
  const index = uniqueIndex();
  const os = new OpenSearchIndex({ url: recorder.url, index, batch });
  await os.ensureIndex({ textEmbeddingDims: 3 });
  return { os, index };
}

function bulksFor(index: string): string[] {
  return recorder
    .bulkRequests()
    .map((r) => r.body)
    .filter((b) => b.includes(`"_index":"${index}"`));
}

test('concurrent upserts share bulk requests (maxDocs)', async (t) => {
  const { os, index } = await freshIndex({ maxDocs: 10, lingerMs: 50 });
  t.onTestFinished(() => os.close());
  const docs = Array.from({ length: 25 }, (_, i) => makeDoc(`batch/${i}.txt`, { text_embedding: [i, 1, 0] }));
  await Promise.all(docs.map((d) => os.upsert(d)));
  const bulks = bulksFor(index);
  assert.equal(bulks.length, 3, `25 docs with maxDocs 10 → 3 requests, got ${bulks.length}`);
  assert.deepEqual(
    bulks.map((b) => b.split('\n').length - 1),
    [20, 20, 10],
  );
  assert.equal(recorder.documents(index).size, 25);
  assert.deepEqual(recorder.violations, []);
});

test('maxBytes bounds each bulk body', async (t) => {
  const maxBytes = 4096;
  const { os, index } = await freshIndex({ maxDocs: 1000, maxBytes, lingerMs: 50 });
  t.onTestFinished(() => os.close());
  const docs = Array.from({ length: 12 }, (_, i) => makeDoc(`big/${i}.txt`, { content: 'あ'.repeat(400) }));
  await Promise.all(docs.map((d) => os.upsert(d)));
  const bulks = bulksFor(index);
  assert.ok(bulks.length >= 3, `expected several requests, got ${bulks.length}`);
  for (const b of bulks) assert.ok(Buffer.byteLength(b) <= maxBytes, `bulk of ${Buffer.byteLength(b)} bytes`);
  assert.equal(recorder.documents(index).size, 12);
});

test('a lone write is sent after lingerMs; mixed upserts and deletes in one request', async (t) => {
  const { os, index } = await freshIndex({ maxDocs: 100, lingerMs: 30 });
  t.onTestFinished(() => os.close());
  const keep = makeDoc('mixed/keep.txt');
  const gone = makeDoc('mixed/gone.txt');
  await os.upsert(gone);
  const started = Date.now();
  await Promise.all([os.upsert(keep), os.delete(gone.id), os.delete(makeDoc('mixed/never.txt').id)]);
  assert.ok(Date.now() - started >= 25, 'waited for the linger');
  const last = bulksFor(index).at(-1) ?? '';
  const actions = last
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, { _id?: string }>)
    .filter((l) => 'index' in l || 'delete' in l)
    .map((l) => Object.keys(l)[0]);
  assert.deepEqual(actions, ['index', 'delete', 'delete']);
  assert.deepEqual([...recorder.documents(index).keys()], [keep.id]);
});

test('one bad item fails only its own caller', async (t) => {
  const { os, index } = await freshIndex({ maxDocs: 100, lingerMs: 20 });
  t.onTestFinished(() => os.close());
  t.onTestFinished(() => recorder.failItems(null));
  recorder.failItems((doc) =>
    typeof doc === 'object' && doc.key === 'items/bad.pdf'
      ? { status: 400, type: 'mapper_parsing_exception', reason: 'failed to parse field [size] of type [long]' }
      : null,
  );
  const before = bulksFor(index).length;
  const good = ['a', 'b', 'c'].map((k) => makeDoc(`items/${k}.txt`));
  const bad = makeDoc('items/bad.pdf');
  const results = await Promise.allSettled([os.upsert(good[0]!), os.upsert(bad), os.upsert(good[1]!), os.upsert(good[2]!)]);
  assert.equal(bulksFor(index).length - before, 1, 'all four travelled in one request');
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
  );
  const reason = (results[1] as PromiseRejectedResult).reason;
  assert.ok(ingestError('INDEX_DOCUMENT_REJECTED', false, 'failed to parse field [size]')(reason));
  assert.equal(reason.details.type, 'mapper_parsing_exception');
  assert.equal(recorder.documents(index).size, 3);
});

test('abort before send removes the item and rejects with the signal reason', async (t) => {
  const { os, index } = await freshIndex({ maxDocs: 100, lingerMs: 60_000 });
  t.onTestFinished(() => os.close());
  const aborted = makeDoc('abort/me.txt');
  const kept = makeDoc('abort/keep.txt');
  const controller = new AbortController();
  const reason = new Error('job cancelled');
  const pending = os.upsert(aborted, { signal: controller.signal });
  const keptDone = os.upsert(kept);
  assert.equal(os.pendingWrites, 2);
  controller.abort(reason);
  await assert.rejects(pending, (err) => err === reason);
  assert.equal(os.pendingWrites, 1);

  // An already-aborted signal never enqueues.
  await assert.rejects(os.upsert(makeDoc('abort/late.txt'), { signal: AbortSignal.abort(reason) }), (err) => err === reason);
  assert.equal(os.pendingWrites, 1);

  await os.close();
  await keptDone;
  const sent = bulksFor(index).join('');
  assert.ok(!sent.includes(aborted.id), 'the aborted item was never sent');
  assert.deepEqual([...recorder.documents(index).keys()], [kept.id]);
});

test('aborting after the batch was sent stops the wait at once; the write itself may still land', async (t) => {
  const { os, index } = await freshIndex({ maxDocs: 1, lingerMs: 0 });
  t.onTestFinished(() => os.close());
  recorder.delayResponses(2_000);
  t.onTestFinished(() => recorder.delayResponses(0));
  const controller = new AbortController();
  const doc = makeDoc('abort/after-send.txt');
  const done = os.upsert(doc, { signal: controller.signal });
  await waitFor(() => recorder.bulkRequests().some((r) => r.body.includes(doc.id)), { what: 'bulk request sent' });
  controller.abort(new Error('deadline'));
  // the answer comes only after 2 s: a caller that waited for it would have resolved, not rejected
  await assert.rejects(done, /deadline/);
  assert.ok(recorder.documents(index).has(doc.id), 'the request was not recalled (indexing by id is idempotent)');
});

test('close() flushes pending writes at once, is idempotent, and leaves no timer', async () => {
  const { os, index } = await freshIndex({ maxDocs: 100, lingerMs: 60_000 });
  const timersBefore = activeTimers();
  const docs = [makeDoc('close/1.txt'), makeDoc('close/2.txt')];
  const writes = docs.map((d) => os.upsert(d));
  assert.equal(activeTimers(), timersBefore + 1, 'one linger timer while items wait');
  const closing = os.close();
  assert.equal(activeTimers(), timersBefore, 'close() clears the 60 s linger timer at once: it does not wait for it');
  assert.equal(os.close(), closing, 'same promise while closing');
  await closing;
  await Promise.all(writes);
  assert.equal(recorder.documents(index).size, 2);
  assert.equal(activeTimers(), timersBefore, 'linger timer cleared');
  await os.close();
  await assert.rejects(os.upsert(makeDoc('close/3.txt')), ingestError('INDEX_CLOSED', true));
  await assert.rejects(os.get(docs[0]!.id), ingestError('INDEX_CLOSED', true));
});

test('close() waits for requests in flight', async (t) => {
  const { os, index } = await freshIndex({ maxDocs: 1, lingerMs: 0 });
  t.onTestFinished(() => recorder.delayResponses(0));
  recorder.delayResponses(200);
  const write = os.upsert(makeDoc('inflight/1.txt'));
  await waitFor(() => os.pendingWrites === 0, { what: 'batch sent' });
  let settled = false;
  void write.then(() => {
    settled = true;
  });
  await os.close();
  assert.equal(settled, true, 'close resolved only after the in-flight write settled');
  assert.equal(recorder.documents(index).size, 1);
});

test('close({timeoutMs}) gives up on a hung request: it is aborted with INDEX_CLOSED', async (t) => {
  const { os } = await freshIndex({ maxDocs: 1, lingerMs: 0 });
  t.onTestFinished(() => recorder.delayResponses(0));
  recorder.delayResponses(10_000);
  const write = assert.rejects(os.upsert(makeDoc('hung/1.txt')), ingestError('INDEX_CLOSED', true));
  await os.close({ timeoutMs: 100 });
  // the answer comes only after 10 s: INDEX_CLOSED means close() aborted the request
  await write;
});

test('a process that writes and closes can exit on its own (no leaked timers or handles)', async () => {
  const index = uniqueIndex();
  const setup = new OpenSearchIndex({ url: recorder.url, index });
  await setup.ensureIndex({});
  await setup.close();
  const adapterUrl = new URL('../../../src/adapters/index/opensearch.ts', import.meta.url).href;
  const doc = makeDoc('child/exit.txt');
  const script = `
    const { OpenSearchIndex } = await import(${JSON.stringify(adapterUrl)});
    const os = new OpenSearchIndex({ url: ${JSON.stringify(recorder.url)}, index: ${JSON.stringify(index)}, batch: { lingerMs: 600000 } });
    const write = os.upsert(${JSON.stringify(doc)});
    await os.close();
    await write;
    console.log('closed');
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), 10_000);
  });
  try {
    const result = await Promise.race([exited, deadline]);
    if (result === 'hung') {
      child.kill('SIGKILL');
      assert.fail(`child did not exit on its own; output: ${output}`);
    }
    assert.equal(result, 0, output);
  } finally {
    clearTimeout(timer);
  }
  assert.match(output, /closed/);
  assert.ok(recorder.documents(index).has(doc.id));
});
