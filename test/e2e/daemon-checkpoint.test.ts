/**
 * A spot notice during a mixed batch with one slow many-page scanned PDF: the fast files finish,
 * the PDF is released at once (it cannot finish before the deadline) with its finished pages
 * checkpointed in S3, the first daemon exits 0 before the notice time, and a second daemon resumes
 * from the checkpoint instead of starting over — every message done, nothing indexed twice, the
 * checkpoint removed once the document is indexed.
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { PDFDocument } from 'pdf-lib';
import { documentId } from '../../src/adapters/index/document-id.ts';
import { createBucket, putObject, queueCounts, send } from '../support/aws.ts';
import { isOutcomeLine, outcomeLines, spawnDaemon, type SpawnedDaemon } from '../support/daemon.ts';
import { FIXTURES } from '../support/documents.ts';
import { createE2eStack, type E2eStack } from '../support/e2e-stack.ts';
import { nativeEvent } from '../support/events.ts';
import { startImdsSimulator, type ImdsSimulator } from '../support/imds-simulator.ts';
import { waitFor } from '../support/wait-for.ts';

const PAGES = 10;
let stack: E2eStack;
let imds: ImdsSimulator;
let bucket: string;

beforeAll(async () => {
  stack = await createE2eStack('e2e-checkpoint');
  imds = await startImdsSimulator();
  bucket = `${stack.bucket}-work`;
  await createBucket(stack.s3, bucket);
});
afterAll(async () => {
  try {
    assert.deepEqual(stack.recorder.violations, []);
  } finally {
    await imds.close();
    await stack.close();
  }
});

/** A scanned PDF of `pages` pages (the scanned fixture's page, repeated). */
async function manyPageScan(pages: number): Promise<Uint8Array> {
  const source = await PDFDocument.load(await readFile(join(FIXTURES, 'scanned-ja.pdf')));
  const out = await PDFDocument.create();
  out.setCreationDate(new Date('2026-11-20T00:00:00Z'));
  for (let i = 0; i < pages; i++) {
    const [page] = await out.copyPages(source, [0]);
    out.addPage(page!);
  }
  return out.save();
}

async function exitOnItsOwn(daemon: SpawnedDaemon, timeoutMs: number) {
  await waitFor(() => daemon.child.exitCode !== null || daemon.child.signalCode !== null, { what: 'the daemon to exit on its own', timeoutMs, intervalMs: 20 });
  return daemon.exited;
}

test('a notice releases the slow PDF with its pages checkpointed; a second daemon resumes from them', async () => {
  const env = (extra: Record<string, string> = {}) =>
    stack.env({ INGEST_CHECKPOINT_BUCKET: bucket, INGEST_POOL_SIZE: '2', INGEST_CONCURRENCY: '4', INGEST_SHUTDOWN_GRACE_SECONDS: '300', ...extra });
  const first = spawnDaemon(env({ INGEST_IMDS: 'on', AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url, INGEST_SPOT_SAFETY_MARGIN_SECONDS: '15' }));
  await first.waitForLog((l) => l.msg === 'consuming' && l.imds === true, 'the first daemon to start with the watcher');

  // fast files first: once five have finished, the drain can tell a job that will not finish in time
  const fast = await stack.upload('fast', 6);
  const fastIds = await Promise.all(fast.map((key) => send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, key))));
  await waitFor(() => fast.every((k) => stack.indexed(k)), { what: 'the fast files indexed', timeoutMs: 20_000 });

  const slowKey = 'scans/long-scan.pdf';
  await putObject(stack.s3, stack.bucket, slowKey, await manyPageScan(PAGES));
  const slowId = await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, slowKey));
  const id = documentId(stack.bucket, slowKey);
  const checkpointKey = `checkpoints/${id}.json`;
  // a periodic save while it runs (every 5 s): the notice comes once some pages are safe
  await first.waitForLog((l) => l.msg === 'checkpoint saved', 'a first checkpoint', 60_000);
  const noticeTime = imds.interrupt({ inSeconds: 45 });
  const detected = await first.waitForLog((l) => l.msg === 'draining: stopped receiving', 'the drain to start', 15_000);
  const released = await first.waitForLog((l) => l.messageId === slowId && l.outcome === 'released', 'the slow PDF to be released', 20_000);
  assert.ok(Date.parse(String(released.time)) >= Date.parse(String(detected.time)), 'released by the drain the notice started');
  const exit = await exitOnItsOwn(first, 30_000);
  assert.equal(exit.code, 0, first.stderr());
  assert.ok(Date.now() < noticeTime.getTime(), 'the first daemon exited before the notice time');
  for (const fastId of fastIds) assert.ok(outcomeLines(first.logs()).some((l) => l.messageId === fastId && l.outcome === 'done'));

  const saved = JSON.parse(
    await (await stack.s3.send(new GetObjectCommand({ Bucket: bucket, Key: checkpointKey }))).Body!.transformToString(),
  ) as { pages: Array<{ page: number; source: string }> };
  const checkpointed = saved.pages.length;
  // at least the first periodic save; how many more depends on how busy the machine is
  assert.ok(checkpointed >= 1 && checkpointed < PAGES, `${checkpointed} of ${PAGES} pages checkpointed`);
  assert.ok(saved.pages.every((p) => p.source === 'ocr'));
  assert.equal(stack.indexed(slowKey), false);
  assert.equal((await queueCounts(stack.sqs, stack.queueUrl)).visible, 1, 'the released PDF is back on the queue at once');

  const second = spawnDaemon(env({ INGEST_IMDS: 'off' }));
  try {
    const resumed = await second.waitForLog((l) => l.msg === 'resuming from a checkpoint', 'the second daemon to resume', 30_000);
    assert.ok(Number(resumed.pages) >= checkpointed, `resumed ${String(resumed.pages)} pages`);
    const done = await second.waitForLog((l) => l.messageId === slowId && isOutcomeLine(l), 'the slow PDF to finish', 90_000);
    assert.equal(done.outcome, 'done');
    const doc = stack.recorder.documents(stack.index).get(id)!;
    assert.equal(doc.page_count, PAGES);
    assert.equal(doc.text_source, 'ocr');
    const pagesOfText = String(doc.content).split('\n\n').filter((block) => block.includes('請求'));
    assert.ok(pagesOfText.length >= PAGES, `the text of all ${PAGES} pages (${pagesOfText.length} blocks)`);
    // resumed, not redone: the checkpoint's pages were taken as they were
    const events = done.events as Array<{ resumedPages?: number }>;
    assert.equal(events[0]?.resumedPages, Number(resumed.pages));
    await assert.rejects(stack.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: checkpointKey })), (err: Error) => err.name === 'NotFound', 'the checkpoint is removed once indexed');
  } finally {
    assert.equal((await second.stop('SIGTERM')).code, 0, second.stderr());
  }
  // nothing indexed twice: one index action per document across both daemons
  for (const key of [...fast, slowKey]) {
    const actions = stack.recorder.bulkRequests().flatMap((r) => r.body.split('\n')).filter((line) => line.includes(`"_id":"${documentId(stack.bucket, key)}"`) && line.includes('"index"'));
    assert.equal(actions.length, 1, `${key} indexed once`);
  }
});
