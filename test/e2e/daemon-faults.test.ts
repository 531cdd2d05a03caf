/**
 * Faults and shutdown with the spawned daemon (docs/design.md §4, §7): transient failures are retried
 * and never dead-lettered; SIGTERM during processing loses nothing; a second SIGTERM releases at
 * once; a SIGKILLed daemon's work is finished by the next one.
 */
import { test, beforeEach, afterEach } from 'vitest';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { queueCounts, send } from '../support/aws.ts';
import { outcomeLines, spawnDaemon } from '../support/daemon.ts';
import { createE2eStack, type E2eStack } from '../support/e2e-stack.ts';
import { nativeEvent } from '../support/events.ts';
import { waitFor } from '../support/wait-for.ts';
import { freePort } from '../support/free-port.ts';

// Each test gets its own queue, bucket, table and index: leftovers of one must not skew another.
let stack: E2eStack;
beforeEach(async () => {
  stack = await createE2eStack('e2e-faults');
});
afterEach(async () => {
  assert.deepEqual(stack.recorder.violations, []);
  await stack.close();
});

const upload = (prefix: string, count: number) => stack.upload(prefix, count);
const indexed = (key: string) => stack.indexed(key);
const outcomes = outcomeLines;

test('transient OpenSearch failures are retried with backoff, never dead-lettered', async () => {
  const keys = await upload('flaky', 3);
  stack.recorder.failNextRequests(2, 503, { match: (r) => r.path.endsWith('/_bulk') });
  stack.recorder.failItems((doc, ctx) => (typeof doc === 'object' && doc.key === keys[2] && !seen.has(ctx.id) && seen.add(ctx.id) ? { status: 429, type: 'es_rejected_execution_exception', reason: 'queue full' } : null));
  const seen = new Set<string>();
  const daemon = spawnDaemon(stack.env());
  for (const key of keys) await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, key));
  await waitFor(() => keys.every(indexed), { what: 'all flaky files indexed', timeoutMs: 30_000 });
  await waitFor(async () => (await queueCounts(stack.sqs, stack.queueUrl)).total === 0, { what: 'queue empty' });
  assert.equal((await queueCounts(stack.sqs, stack.dlqUrl)).total, 0, 'nothing dead-lettered');
  const retries = outcomes(daemon.logs()).filter((l) => l.outcome === 'retry');
  assert.ok(retries.length >= 1, 'at least one retry was logged');
  assert.ok(retries.every((l) => l.code === 'INDEX_UNAVAILABLE' || l.code === 'INDEX_THROTTLED'), JSON.stringify(retries.map((l) => l.code)));
  stack.recorder.failItems(null);
  assert.equal((await daemon.stop()).code, 0);
});

test('SIGTERM during processing loses nothing: every message is done or visible again, and a second daemon finishes', async () => {
  const keys = await upload('sigterm', 16);
  const first = spawnDaemon(stack.env({ INGEST_SHUTDOWN_GRACE_SECONDS: '1', INGEST_CONCURRENCY: '4' }));
  await first.waitForLog((l) => l.msg === 'consuming', 'daemon to start');
  stack.recorder.delayResponses(2_500);
  for (const key of keys) await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, key));
  await waitFor(() => outcomes(first.logs()).some((l) => l.outcome === 'done'), { what: 'a first message done', timeoutMs: 20_000 });
  const exit = await first.stop('SIGTERM', 40_000);
  assert.equal(exit.code, 0);
  stack.recorder.delayResponses(0);
  const firstOutcomes = outcomes(first.logs());
  const done = firstOutcomes.filter((l) => l.outcome === 'done').length;
  const released = firstOutcomes.filter((l) => l.outcome === 'released').length;
  assert.ok(released >= 1, `in-flight work past the grace period was released: ${JSON.stringify(first.logs().filter((l) => l.level !== 'debug').map((l) => [l.msg, l.outcome, l.code]))}`);
  const counts = await queueCounts(stack.sqs, stack.queueUrl);
  assert.equal(counts.inFlight, 0, 'nothing left invisible: released messages are visible at once');
  assert.equal(counts.total, keys.length - done, `${done} done + ${counts.total} back on the queue = ${keys.length}`);
  assert.ok(first.logs().some((l) => l.msg === 'drained: every received message is done or back on the queue'));

  const second = spawnDaemon(stack.env());
  await waitFor(() => keys.every(indexed), { what: 'every file indexed by the second daemon', timeoutMs: 30_000 });
  await waitFor(async () => (await queueCounts(stack.sqs, stack.queueUrl)).total === 0, { what: 'queue empty' });
  assert.equal((await second.stop()).code, 0);
  assert.equal((await queueCounts(stack.sqs, stack.dlqUrl)).total, 0);
  const tmp = await readdir(join(stack.dataDir, 'tmp'));
  assert.deepEqual(tmp, [], 'no temp files left behind');
});

test('a second SIGTERM releases in-flight work at once instead of waiting out the grace period', async () => {
  const keys = await upload('second-signal', 2);
  const port = await freePort();
  const daemon = spawnDaemon(stack.env({ INGEST_SHUTDOWN_GRACE_SECONDS: '300', INGEST_HTTP_PORT: String(port) }));
  await daemon.waitForLog((l) => l.msg === 'consuming', 'daemon to start');
  assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200);
  stack.recorder.delayResponses(60_000);
  for (const key of keys) await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, key));
  // both in flight (each one's index write held) before the signals: both must then be released
  await waitFor(() => keys.every((k) => stack.recorder.bulkRequests().some((r) => r.body.includes(k))), { what: 'indexing of both to start', timeoutMs: 20_000 });
  daemon.child.kill('SIGTERM');
  await daemon.waitForLog((l) => l.msg === 'draining: stopped receiving', 'drain to start');
  const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
  assert.equal(ready.status, 503, '/readyz turns 503 while draining');
  assert.deepEqual(((await ready.json()) as { reasons: string[] }).reasons, ['draining']);
  assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200, 'still alive');
  const exit = await daemon.stop('SIGTERM');
  stack.recorder.delayResponses(0);
  assert.equal(exit.code, 0);
  // OpenSearch answers only after 60 s and the grace is 300 s: 'released' (not 'done'), logged after
  // the second signal, means the work was let go at the signal, not waited out
  const logs = daemon.logs();
  const second = logs.findIndex((l) => l.msg === 'second signal: releasing all in-flight messages now');
  assert.ok(second >= 0, 'the second signal was logged');
  const released = outcomes(logs).filter((l) => l.outcome === 'released');
  assert.equal(released.length, keys.length);
  assert.ok(released.every((l) => logs.indexOf(l) > second), 'released after the second signal');
  assert.equal((await queueCounts(stack.sqs, stack.queueUrl)).visible, keys.length, 'both messages visible again, not hidden by an abandoned poll');
  const finisher = spawnDaemon(stack.env());
  await waitFor(() => keys.every(indexed), { what: 'released files indexed later', timeoutMs: 30_000 });
  await waitFor(async () => (await queueCounts(stack.sqs, stack.queueUrl)).total === 0, { what: 'queue empty' });
  assert.equal((await finisher.stop()).code, 0);
});

test('a SIGKILLed daemon loses nothing: its messages reappear and the next daemon takes over the leases', async () => {
  const keys = await upload('killed', 3);
  const victim = spawnDaemon(stack.env({ INGEST_VISIBILITY_TIMEOUT: '10' }));
  await victim.waitForLog((l) => l.msg === 'consuming', 'daemon to start');
  stack.recorder.delayResponses(60_000);
  for (const key of keys) await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, key));
  await waitFor(() => stack.recorder.bulkRequests().some((r) => keys.some((k) => r.body.includes(k))), { what: 'indexing to start', timeoutMs: 20_000 });
  victim.child.kill('SIGKILL');
  await victim.exited;
  stack.recorder.delayResponses(0);
  const successor = spawnDaemon(stack.env({ INGEST_VISIBILITY_TIMEOUT: '10' }));
  await waitFor(() => keys.every(indexed), { what: 'files indexed after the crash', timeoutMs: 60_000 });
  await waitFor(async () => (await queueCounts(stack.sqs, stack.queueUrl)).total === 0, { what: 'queue empty', timeoutMs: 30_000 });
  assert.equal((await successor.stop()).code, 0);
  assert.equal((await queueCounts(stack.sqs, stack.dlqUrl)).total, 0);
  assert.deepEqual(await readdir(join(stack.dataDir, 'tmp')), [], 'orphan temp files cleared');
});
