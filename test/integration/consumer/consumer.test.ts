/**
 * The consumer against real SQS semantics (fauxqs): slots, leases, and the outcomes of docs/design.md §4.
 * The processor is a stand-in so each outcome can be forced; SQS itself is not mocked.
 */
import { test, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { Acknowledger } from '../../../src/consumer/acknowledger.ts';
import { Consumer } from '../../../src/consumer/consumer.ts';
import { p90Remaining, type FinishPredictor } from '../../../src/consumer/finish-predictor.ts';
import { Shutdown } from '../../../src/consumer/shutdown.ts';
import { discoverDlqUrl } from '../../../src/consumer/dlq-discovery.ts';
import { permanent, transient } from '../../../src/core/errors.ts';
import { Metrics } from '../../../src/observability/metrics.ts';
import type { JobResult, MessageProcessor } from '../../../src/consumer/processor.ts';
import { createQueuePair, queueCounts, receiveVisible, send, testSqs, uniqueName } from '../../support/aws.ts';
import { memoryLogger } from '../../support/silent-logger.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { waitFor } from '../../support/wait-for.ts';

const sqs = testSqs();
afterAll(() => sqs.destroy());

function makeConsumer(
  queueUrl: string, dlqUrl: string | undefined, process: MessageProcessor, capacity = 4, visibilityTimeoutSeconds = 30,
  pauseReceiving?: () => { ms: number; reason: string } | undefined,
  extra: Partial<ConstructorParameters<typeof Consumer>[0]> = {},
) {
  const metrics = new Metrics();
  const { logger, lines } = memoryLogger();
  const acknowledger = new Acknowledger({ sqs, queueUrl, dlqUrl });
  const consumer = new Consumer({
    sqs, queueUrl, acknowledger, capacity, visibilityTimeoutSeconds, process, logger, metrics,
    waitTimeSeconds: 1, backoff: { baseSeconds: 1, maxSeconds: 2 },
    ...(pauseReceiving ? { pauseReceiving } : {}),
    ...extra,
  });
  return { consumer, metrics, lines };
}

const done: JobResult = { outcome: 'done', events: [] };

/** Drains the consumer through a Shutdown, as the daemon does; resolves when it is drained. */
function drain(consumer: Consumer, deadline = Number.POSITIVE_INFINITY, predict?: FinishPredictor): Promise<void> {
  const shutdown = new Shutdown({ target: consumer, logger: createLogger('silent'), ...(predict ? { predict } : {}) });
  shutdown.request('test', deadline);
  return shutdown.done;
}

/** A job that holds its slot until its signal is aborted (released), then reports a retry. */
const untilReleased = (onStart: () => void): MessageProcessor => async (_m, ctx) => {
  onStart();
  await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
  return { outcome: 'retry', error: transient('ABORTED', 'stopped'), events: [] };
};

test('the DLQ is discovered from the RedrivePolicy; a queue without one has none', async () => {
  const { queueUrl, dlqUrl } = await createQueuePair(sqs, uniqueName('discover'));
  assert.equal(await discoverDlqUrl(sqs, queueUrl), dlqUrl);
  const plain = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('plain') }))).QueueUrl!;
  assert.equal(await discoverDlqUrl(sqs, plain), undefined);
});

test('never holds more messages than free slots, and one slow message does not block the others', async () => {
  const { queueUrl, dlqUrl } = await createQueuePair(sqs, uniqueName('slots'));
  for (let i = 0; i < 12; i++) await send(sqs, queueUrl, i === 0 ? 'slow' : `fast-${i}`);
  let active = 0;
  let maxActive = 0;
  const finished: string[] = [];
  let releaseSlow: () => void = () => undefined;
  const slowGate = new Promise<void>((r) => (releaseSlow = r));
  const { consumer, metrics } = makeConsumer(queueUrl, dlqUrl, async (m) => {
    active += 1;
    maxActive = Math.max(maxActive, active);
    try {
      if (m.body === 'slow') await slowGate;
      else await sleep(20);
      finished.push(m.body);
      return done;
    } finally {
      active -= 1;
    }
  }, 3);
  consumer.start();
  // all 11 fast messages finish while the slow one still holds its slot
  await waitFor(() => finished.filter((b) => b.startsWith('fast')).length === 11, { what: 'fast messages', timeoutMs: 20_000 });
  assert.equal(finished.includes('slow'), false);
  releaseSlow();
  await waitFor(() => finished.length === 12, { what: 'slow message' });
  await drain(consumer, Date.now() + 5_000);
  assert.ok(maxActive <= 3, `at most 3 in flight, saw ${maxActive}`);
  assert.equal((await queueCounts(sqs, queueUrl)).total, 0, 'every message deleted');
  assert.match(await metrics.registry.metrics(), /spot_ingest_messages_total\{outcome="done"\} 12/);
});

test('a job waiting on another job (parked) lends its slot to a new message, at most capacity more, and takes it back', async () => {
  const { queueUrl, dlqUrl } = await createQueuePair(sqs, uniqueName('park'));
  for (let i = 0; i < 8; i++) await send(sqs, queueUrl, `m-${i}`);
  let active = 0;
  let maxActive = 0;
  let releaseAll: () => void = () => undefined;
  const gate = new Promise<void>((r) => (releaseAll = r));
  const { consumer } = makeConsumer(queueUrl, dlqUrl, async (_m, ctx) => {
    active += 1;
    maxActive = Math.max(maxActive, active);
    const unpark = ctx.park!();
    try {
      await gate; // every job waits, parked
      return done;
    } finally {
      unpark();
      unpark(); // idempotent
      active -= 1;
    }
  }, 2);
  consumer.start();
  // 2 slots, each lent once: 4 jobs in flight, never more, although all 8 messages wait
  await waitFor(() => active === 4, { what: 'four parked jobs', timeoutMs: 10_000 });
  await sleep(1_500); // a receive or two more would have happened by now if slots were still free
  assert.equal(maxActive, 4);
  releaseAll();
  await waitFor(async () => (await queueCounts(sqs, queueUrl)).total === 0, { what: 'every message done', timeoutMs: 20_000 });
  await drain(consumer, Date.now() + 5_000);
  assert.equal(maxActive, 4, 'at most twice the capacity in flight');
});

test('the lease keeps a slow message invisible past its visibility timeout, and stops after delete', async () => {
  const { queueUrl, dlqUrl } = await createQueuePair(sqs, uniqueName('lease'));
  await send(sqs, queueUrl, 'long job');
  let finish: () => void = () => undefined;
  const gate = new Promise<void>((r) => (finish = r));
  let started = false;
  const { consumer, metrics, lines } = makeConsumer(queueUrl, dlqUrl, async () => {
    started = true;
    await gate;
    return done;
  }, 1, 3);
  consumer.start();
  await waitFor(() => started, { what: 'job start' });
  // Through several 3 s visibility windows (renewed every second: 2 s of slack for a slow renewal),
  // another receiver never sees the message (a measurement window: the lease is renewed in the
  // background, with no event to await).
  const until = Date.now() + 7_000;
  while (Date.now() < until) {
    assert.equal((await receiveVisible(sqs, queueUrl, 1)).length, 0, 'message must stay invisible while leased');
    await sleep(250);
  }
  finish();
  await drain(consumer, Date.now() + 5_000);
  assert.equal((await queueCounts(sqs, queueUrl)).total, 0);
  const text = await metrics.registry.metrics();
  assert.match(text, /spot_ingest_visibility_extensions_total\{result="ok"\} [1-9]/);
  assert.doesNotMatch(text, /visibility_extensions_total\{result="failed"\} [1-9]/, 'no renewal after delete');
  assert.equal(lines().filter((l) => l.msg === 'lease renewal failed').length, 0);
});

test('a transient failure is retried with backoff, then succeeds; nothing is dead-lettered', async () => {
  const { queueUrl, dlqUrl } = await createQueuePair(sqs, uniqueName('retry'));
  await send(sqs, queueUrl, 'flaky');
  const attempts: number[] = [];
  const { consumer, metrics } = makeConsumer(queueUrl, dlqUrl, async (m) => {
    attempts.push(m.receiveCount);
    if (attempts.length < 3) return { outcome: 'retry', error: transient('THROTTLED', 'slow down'), events: [] };
    return done;
  });
  consumer.start();
  await waitFor(() => attempts.length === 3, { what: 'third attempt', timeoutMs: 20_000 });
  await drain(consumer, Date.now() + 5_000);
  assert.deepEqual(attempts, [1, 2, 3], 'ApproximateReceiveCount grows');
  assert.equal((await queueCounts(sqs, queueUrl)).total, 0);
  assert.equal((await queueCounts(sqs, dlqUrl)).total, 0);
  assert.match(await metrics.registry.metrics(), /outcome="retry"\} 2/);
});

test('a permanent failure goes to the DLQ at once with its error attributes', async () => {
  const { queueUrl, dlqUrl } = await createQueuePair(sqs, uniqueName('dead'));
  await send(sqs, queueUrl, '{"not":"a known shape"}');
  const { consumer, lines } = makeConsumer(queueUrl, dlqUrl, async () => ({
    outcome: 'dead-letter', error: permanent('MESSAGE_UNKNOWN_FORMAT', 'no known message format'), events: [],
  }));
  consumer.start();
  const [dead] = await waitFor(async () => {
    const m = await receiveVisible(sqs, dlqUrl);
    return m.length > 0 ? m : null;
  }, { what: 'DLQ message' });
  await drain(consumer, Date.now() + 5_000);
  assert.equal(dead!.Body, '{"not":"a known shape"}');
  const attrs = dead!.MessageAttributes!;
  assert.equal(attrs.ErrorCode?.StringValue, 'MESSAGE_UNKNOWN_FORMAT');
  assert.equal(attrs.ErrorMessage?.StringValue, 'no known message format');
  assert.equal(attrs.ReceiveCount?.StringValue, '1');
  assert.ok(!Number.isNaN(Date.parse(attrs.FailedAt?.StringValue ?? '')));
  assert.equal((await queueCounts(sqs, queueUrl)).total, 0, 'deleted from the source queue');
  const line = lines().find((l) => l.outcome === 'dead-letter');
  assert.equal(line?.code, 'MESSAGE_UNKNOWN_FORMAT');
  assert.ok(line?.messageId, 'log line names the message');
});

test('without a DLQ a permanent failure is left for SQS redrive (treated as retry)', async () => {
  const { queueUrl } = await createQueuePair(sqs, uniqueName('nodlq'));
  await send(sqs, queueUrl, 'x');
  let calls = 0;
  const { consumer } = makeConsumer(queueUrl, undefined, async () => {
    calls += 1;
    return { outcome: 'dead-letter', error: permanent('MESSAGE_INVALID_JSON', 'bad'), events: [] };
  });
  consumer.start();
  await waitFor(() => calls >= 1, { what: 'first attempt' });
  await drain(consumer, Date.now() + 5_000);
  assert.equal((await queueCounts(sqs, queueUrl)).total, 1, 'the message is still on the queue');
});

test('drain past its deadline releases in-flight work at once (visibility 0)', async () => {
  const { queueUrl, dlqUrl } = await createQueuePair(sqs, uniqueName('release'));
  await send(sqs, queueUrl, 'stuck');
  let started = false;
  const { consumer, metrics } = makeConsumer(queueUrl, dlqUrl, untilReleased(() => (started = true)));
  consumer.start();
  await waitFor(() => started, { what: 'job start' });
  // the job ends only when released: drain() returning at all means the deadline released it
  await drain(consumer, Date.now() + 300);
  // visible again as soon as drain() returns, not after the 30 s visibility timeout
  const counts = await queueCounts(sqs, queueUrl);
  assert.equal(counts.inFlight, 0);
  assert.equal(counts.visible, 1);
  assert.equal((await receiveVisible(sqs, queueUrl)).length, 1);
  assert.match(await metrics.registry.metrics(), /outcome="released"\} 1/);
});

test('a drain without a deadline waits; a deadline moved earlier while it runs releases at the new deadline; a later one is ignored', async () => {
  const { queueUrl, dlqUrl } = await createQueuePair(sqs, uniqueName('shorten'));
  await send(sqs, queueUrl, 'stuck');
  let started = false;
  const { consumer, metrics } = makeConsumer(queueUrl, dlqUrl, untilReleased(() => (started = true)));
  consumer.start();
  await waitFor(() => started, { what: 'job start' });
  let drained = false;
  const { logger, lines } = memoryLogger();
  const shutdown = new Shutdown({ target: consumer, logger });
  assert.equal(shutdown.requested, false);
  assert.equal(shutdown.request('SIGTERM', Number.POSITIVE_INFINITY), true);
  const draining = shutdown.done.then(() => (drained = true));
  await waitFor(() => !consumer.receiving, { what: 'receiving to stop' });
  assert.equal(shutdown.deadline, Number.POSITIVE_INFINITY);
  assert.equal(shutdown.reason, 'SIGTERM');
  assert.equal(consumer.inFlight, 1, 'no deadline: the job keeps running');
  const t0 = Date.now();
  assert.equal(shutdown.request('spot interruption', t0 + 400), true);
  assert.equal(shutdown.request('rebalance recommendation', t0 + 60_000), false, 'a later deadline never extends the drain');
  assert.equal(shutdown.reason, 'SIGTERM', 'the first trigger stays the reason');
  assert.equal(shutdown.deadline, t0 + 400);
  assert.equal(drained, false);
  await draining; // the job ends only when released
  assert.deepEqual(lines().map((l) => l.msg).filter((m) => String(m).startsWith('drain')), ['draining: stopped receiving', 'drain deadline moved earlier']);
  assert.ok(Date.now() >= t0 + 400, 'released at the moved deadline, not before it');
  assert.match(await metrics.registry.metrics(), /outcome="released"\} 1/);
  assert.equal((await queueCounts(sqs, queueUrl)).inFlight, 0, 'visible again at once');
});

test('with a predictor, a drain releases at once the jobs not expected to finish before its deadline', async () => {
  const { queueUrl, dlqUrl } = await createQueuePair(sqs, uniqueName('predict'));
  for (let i = 0; i < 6; i++) await send(sqs, queueUrl, `fast-${i}`);
  const finished: string[] = [];
  let slowStarted = false;
  const { consumer, lines } = makeConsumer(queueUrl, dlqUrl, async (m, ctx) => {
    if (m.body.startsWith('fast')) {
      await sleep(30);
      finished.push(m.body);
      return done;
    }
    slowStarted = true;
    await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
    return { outcome: 'retry', error: transient('ABORTED', 'stopped'), events: [] };
  });
  consumer.start();
  await waitFor(() => finished.length === 6, { what: 'six fast jobs (the evidence)' });
  await send(sqs, queueUrl, 'slow');
  await waitFor(() => slowStarted, { what: 'the slow job to start', timeoutMs: 5_000 });
  await drain(consumer, Date.now() + 8_000, p90Remaining);
  // released by the prediction (it says so), not by the 8 s deadline
  assert.ok(lines().some((l) => l.msg === 'releasing early: not expected to finish before the drain deadline'));
  assert.equal((await queueCounts(sqs, queueUrl)).visible, 1, 'the slow message is back on the queue');
});

test('failed receives are retried with backoff and reported as a queue problem (/readyz 503)', async () => {
  const { queueUrl, dlqUrl } = await createQueuePair(sqs, uniqueName('broken'));
  const missing = `${queueUrl}-does-not-exist`;
  const { consumer, metrics } = makeConsumer(missing, dlqUrl, async () => done);
  consumer.start();
  await waitFor(() => consumer.queueProblem, { what: 'queue problem reported', timeoutMs: 20_000 });
  assert.match(consumer.queueProblem ?? '', /sqs: \d+ receives failed in a row/);
  assert.match(await metrics.registry.metrics(), /spot_ingest_receive_errors_total [3-9]/);
  await drain(consumer, Date.now() + 1_000);
});

test('while a dependency asks to hold, nothing is received (messages keep their receive count); receiving resumes after', async () => {
  const { queueUrl, dlqUrl } = await createQueuePair(sqs, uniqueName('hold'));
  let holding = true;
  let asked = 0;
  const seen: number[] = [];
  const { consumer, lines } = makeConsumer(queueUrl, dlqUrl, async (m) => {
    seen.push(m.receiveCount);
    return done;
  }, 4, 30, () => {
    asked += 1;
    return holding ? { ms: 300, reason: 'bedrock circuit open (test)' } : undefined;
  });
  for (let i = 0; i < 3; i++) await send(sqs, queueUrl, `held-${i}`);
  consumer.start();
  await waitFor(() => lines().some((l) => l.msg === 'receiving paused' && l.reason === 'bedrock circuit open (test)'), { what: 'the pause to be logged' });
  // the poller asks again before each receive it would make: three more times held, three receives skipped
  const askedAtPause = asked;
  await waitFor(() => asked >= askedAtPause + 3, { what: 'the poller to ask three more times' });
  assert.equal((await queueCounts(sqs, queueUrl)).visible, 3, 'nothing was received while held');
  holding = false;
  // the poller asks again when its wait (300 ms) ends
  await waitFor(() => seen.length === 3, { what: 'the held messages processed', timeoutMs: 10_000 });
  assert.deepEqual(seen, [1, 1, 1], 'first receive for each: the hold used up no receive count');
  assert.ok(lines().some((l) => l.msg === 'receiving resumed'));
  await drain(consumer, Date.now() + 5_000);
});

test('a job past its deadline is aborted; one that ignores the abort is left behind, and its slot is free all the same', async () => {
  const { queueUrl, dlqUrl } = await createQueuePair(sqs, uniqueName('deadline'));
  await send(sqs, queueUrl, 'stubborn');
  await send(sqs, queueUrl, 'polite');
  const seen: string[] = [];
  const { consumer, metrics, lines } = makeConsumer(queueUrl, dlqUrl, async (m, ctx) => {
    seen.push(m.body);
    if (m.body === 'polite') {
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
      return { outcome: 'retry', error: transient('INTERNAL', 'unused'), events: [] };
    }
    return new Promise<JobResult>(() => undefined); // never settles, whatever its signal says
  }, 2, 30, undefined, { jobTimeout: { baseMs: 150, perPageMs: 0 }, abandonAfterMs: 100 });
  consumer.start();
  try {
    await waitFor(() => new Set(lines().filter((l) => l.code === 'JOB_TIMEOUT' && l.outcome === 'retry').map((l) => l.messageId)).size === 2, { what: 'both jobs given back as JOB_TIMEOUT' });
    await consumer.stopReceiving();
    await waitFor(() => consumer.inFlight === 0, { what: 'no slot held past the deadline' });
    assert.ok(lines().some((l) => l.msg === 'job did not stop after its deadline: its slot and lease are given up, the job is left behind'));
    assert.ok(Number(/^spot_ingest_job_timeouts_total (\d+)$/m.exec(await metrics.registry.metrics())?.[1]) >= 2);
    assert.deepEqual([...new Set(seen)].sort(), ['polite', 'stubborn']);
  } finally {
    await drain(consumer, Date.now());
  }
});

test('forceNow gives every job back at once, whatever the deadline; the shutdown is done when they are back on the queue', async () => {
  const { queueUrl, dlqUrl } = await createQueuePair(sqs, uniqueName('force'));
  await send(sqs, queueUrl, 'a');
  await send(sqs, queueUrl, 'b');
  let started = 0;
  const { consumer, metrics } = makeConsumer(queueUrl, dlqUrl, untilReleased(() => (started += 1)));
  consumer.start();
  await waitFor(() => started === 2, { what: 'both jobs to start' });
  const { logger, lines } = memoryLogger();
  const shutdown = new Shutdown({ target: consumer, logger });
  shutdown.request('SIGTERM', Date.now() + 600_000);
  await waitFor(() => !consumer.receiving, { what: 'receiving to stop' });
  assert.equal(consumer.inFlight, 2, 'a ten-minute deadline: the jobs keep running');
  shutdown.forceNow('second signal', { signal: 'SIGTERM' });
  await shutdown.done;
  assert.ok(lines().some((l) => l.msg === 'second signal: releasing all in-flight messages now' && l.signal === 'SIGTERM'));
  assert.match(await metrics.registry.metrics(), /outcome="released"\} 2/);
  assert.equal((await queueCounts(sqs, queueUrl)).visible, 2, 'both back on the queue at once');
});
