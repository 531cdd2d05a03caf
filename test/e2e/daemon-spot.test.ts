/**
 * Spot interruption, rebalance and IMDS faults with the spawned daemon and the IMDS simulator
 * (docs/design.md §7): a notice drains to (notice time − safety margin) and exits 0 before the notice
 * time, losing nothing; a rebalance recommendation drains without a deadline; a failing IMDS never
 * disturbs processing.
 */
import { test, beforeEach, afterEach } from 'vitest';
import assert from 'node:assert/strict';
import { queueCounts, send } from '../support/aws.ts';
import { outcomeLines, spawnDaemon, type Exit, type SpawnedDaemon } from '../support/daemon.ts';
import { createE2eStack, type E2eStack } from '../support/e2e-stack.ts';
import { nativeEvent } from '../support/events.ts';
import { freePort } from '../support/free-port.ts';
import { startImdsSimulator, type ImdsSimulator } from '../support/imds-simulator.ts';
import { waitFor } from '../support/wait-for.ts';

let stack: E2eStack;
let imds: ImdsSimulator;
beforeEach(async () => {
  stack = await createE2eStack('e2e-spot');
  imds = await startImdsSimulator();
});
afterEach(async () => {
  assert.deepEqual(stack.recorder.violations, []);
  await imds.close();
  await stack.close();
});

const upload = (prefix: string, count: number) => stack.upload(prefix, count);
const indexed = (key: string) => stack.indexed(key);
const outcomes = outcomeLines;
async function exitWithin(daemon: SpawnedDaemon, timeoutMs: number): Promise<Exit> {
  await waitFor(() => daemon.child.exitCode !== null || daemon.child.signalCode !== null, { what: 'the daemon to exit on its own', timeoutMs, intervalMs: 20 });
  return await daemon.exited;
}
const spotEnv = (extra: Record<string, string> = {}) =>
  stack.env({ INGEST_IMDS: 'on', AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url, INGEST_SPOT_SAFETY_MARGIN_SECONDS: '15', ...extra });

test('a spot interruption notice drains to (notice − margin), releases what cannot finish, and exits 0 before the notice time', async () => {
  const keys = await upload('notice', 6);
  const port = await freePort();
  // grace 300 s: only the notice's deadline can end this drain in time
  const daemon = spawnDaemon(spotEnv({ INGEST_CONCURRENCY: '4', INGEST_HTTP_PORT: String(port), INGEST_SHUTDOWN_GRACE_SECONDS: '300' }));
  await daemon.waitForLog((l) => l.msg === 'consuming' && l.imds === true, 'daemon to start with the watcher');
  await waitFor(() => imds.count('/latest/meta-data/spot/instance-action') >= 2, { what: 'the watcher polling' });
  stack.recorder.delayResponses(60_000); // indexing never finishes before the deadline
  for (const key of keys) await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, key));
  await waitFor(() => stack.recorder.bulkRequests().some((r) => keys.some((k) => r.body.includes(k))), { what: 'indexing to start', timeoutMs: 20_000 });
  const noticeTime = imds.interrupt({ inSeconds: 26 });
  const deadline = noticeTime.getTime() - 15_000;
  const drain = await daemon.waitForLog((l) => l.msg === 'draining: stopped receiving', 'drain to start', 10_000);
  assert.equal(drain.reason, 'spot interruption');
  assert.equal(drain.deadline, new Date(deadline).toISOString());
  const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
  assert.equal(ready.status, 503);
  assert.deepEqual(((await ready.json()) as { reasons: string[] }).reasons, ['draining', 'spot interruption']);
  const exit = await exitWithin(daemon, 40_000); // on its own: no signal
  const exitedAt = Date.now();
  stack.recorder.delayResponses(0);
  assert.equal(exit.code, 0, daemon.stderr());
  assert.ok(exitedAt < noticeTime.getTime(), `exited ${noticeTime.getTime() - exitedAt} ms before the notice time`);
  const all = outcomes(daemon.logs());
  const released = all.filter((l) => l.outcome === 'released');
  const done = all.filter((l) => l.outcome === 'done').length;
  assert.ok(released.length >= 1, 'in-flight work that could not finish was released');
  for (const l of released) {
    const at = Date.parse(String(l.time));
    assert.ok(at >= deadline - 1_000 && at < deadline + 5_000, `released at the deadline (${at - deadline} ms from it)`);
  }
  const counts = await queueCounts(stack.sqs, stack.queueUrl);
  assert.equal(counts.inFlight, 0, 'released messages are visible at once');
  assert.equal(counts.total, keys.length - done, `${done} done + ${counts.total} back on the queue = ${keys.length}`);
  assert.ok(daemon.logs().some((l) => l.msg === 'drained: every received message is done or back on the queue'));
});

test('a rebalance recommendation stops receiving, lets in-flight work finish (no deadline) and exits 0', async () => {
  const keys = await upload('rebalance', 3);
  const daemon = spawnDaemon(spotEnv({ INGEST_CONCURRENCY: '4', INGEST_SHUTDOWN_GRACE_SECONDS: '1' }));
  await daemon.waitForLog((l) => l.msg === 'consuming' && l.imds === true, 'daemon to start with the watcher');
  stack.recorder.delayResponses(4_000); // longer than the 1 s grace: a SIGTERM-like deadline would release
  for (const key of keys) await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, key));
  await waitFor(() => keys.every((k) => stack.recorder.bulkRequests().some((r) => r.body.includes(k))), { what: 'indexing of all three to start', timeoutMs: 20_000 });
  imds.rebalance();
  const drain = await daemon.waitForLog((l) => l.msg === 'draining: stopped receiving', 'drain to start', 10_000);
  assert.equal(drain.reason, 'rebalance recommendation');
  assert.equal(drain.deadline, 'none');
  const late = await upload('late', 1);
  await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, late[0]!));
  const exit = await exitWithin(daemon, 40_000);
  stack.recorder.delayResponses(0);
  assert.equal(exit.code, 0, daemon.stderr());
  const all = outcomes(daemon.logs());
  assert.equal(all.filter((l) => l.outcome === 'done').length, keys.length, 'every in-flight message finished');
  assert.equal(all.filter((l) => l.outcome === 'released').length, 0);
  assert.ok(keys.every(indexed));
  assert.equal(indexed(late[0]!), false, 'nothing new was started after the recommendation');
  const counts = await queueCounts(stack.sqs, stack.queueUrl);
  assert.equal(counts.total, 1, 'only the late message is left, on the queue');
});

test('IMDS answering 500s does not disturb processing (the watcher logs with backoff and keeps trying)', async () => {
  imds.failNext(1_000_000, 500);
  const keys = await upload('imds-down', 3);
  const daemon = spawnDaemon(spotEnv());
  await daemon.waitForLog((l) => l.msg === 'consuming', 'daemon to start');
  for (const key of keys) await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, key));
  await waitFor(() => keys.every(indexed), { what: 'all files indexed', timeoutMs: 30_000 });
  await waitFor(async () => (await queueCounts(stack.sqs, stack.queueUrl)).total === 0, { what: 'queue empty' });
  await waitFor(() => imds.requests().filter((r) => r.status === 500).length >= 4, { what: 'the watcher to keep trying' });
  const warnings = daemon.logs().filter((l) => l.msg === 'IMDS poll failed; the spot watcher keeps trying');
  assert.ok(warnings.length >= 1 && warnings.length <= 5, `${warnings.length} warnings`);
  assert.equal(daemon.logs().some((l) => l.msg === 'draining: stopped receiving'), false);
  assert.equal((await daemon.stop()).code, 0);
});

// its own test (own queue): an abandoned long poll of the daemon above could hide a new message
test('an unreachable IMDS in auto mode costs one info line and no wait; processing is normal', async () => {
  const url = imds.url;
  await imds.close();
  const laptop = spawnDaemon(stack.env({ INGEST_IMDS: 'auto', AWS_EC2_METADATA_SERVICE_ENDPOINT: url }));
  const started = await laptop.waitForLog((l) => l.msg === 'consuming', 'daemon to start');
  assert.equal(started.imds, false);
  const more = await upload('no-imds', 1);
  await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, more[0]!));
  await waitFor(() => indexed(more[0]!), { what: 'file indexed without IMDS', timeoutMs: 30_000 });
  const imdsLines = laptop.logs().filter((l) => typeof l.msg === 'string' && /IMDS|spot/.test(l.msg));
  assert.deepEqual(imdsLines.map((l) => [l.level, l.msg]), [['info', 'IMDS not reachable (not on EC2?): no spot interruption watcher; set INGEST_IMDS=on to insist']]);
  assert.equal((await laptop.stop()).code, 0);
  imds = await startImdsSimulator(); // for afterEach
});
