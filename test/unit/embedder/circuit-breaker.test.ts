/**
 * CircuitBreaker with an injected clock: closed → open at the threshold, fast failure while open,
 * a single half-open trial, its success or failure, non-failure errors, stale outcomes of calls
 * started before a state change, the default failure test, and onStateChange.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { permanent, transient } from '../../../src/core/errors.ts';
import { CircuitBreaker, isServiceFailure, type CircuitBreakerOptions, type CircuitState } from '../../../src/adapters/embedder/circuit-breaker.ts';

class OpenError extends Error {}

interface Harness {
  breaker: CircuitBreaker;
  clock: { now: number };
  changes: Array<[CircuitState, CircuitState]>;
  calls: { count: number };
  ok: () => Promise<string>;
  fail: (message?: string) => Promise<never>;
}

function harness(options: Partial<CircuitBreakerOptions> = {}): Harness {
  const clock = { now: 1_000_000 };
  const changes: Array<[CircuitState, CircuitState]> = [];
  const calls = { count: 0 };
  const breaker = new CircuitBreaker({
    name: 'test',
    failureThreshold: 3,
    openMs: 10_000,
    openError: () => new OpenError('circuit open'),
    now: () => clock.now,
    onStateChange: (state, previous) => changes.push([state, previous]),
    ...options,
  });
  const ok = () => breaker.run(async () => {
    calls.count++;
    return 'ok';
  });
  const fail = (message = 'throttled') => breaker.run(async (): Promise<never> => {
    calls.count++;
    throw transient('EMBEDDING_THROTTLED', message);
  });
  return { breaker, clock, changes, calls, ok, fail };
}

async function failTimes(h: Harness, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await assert.rejects(h.fail(`failure ${i + 1}`), { code: 'EMBEDDING_THROTTLED' });
}

/** A call whose settlement the test controls. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (err: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

test('closed: results pass through, and it opens at the threshold of consecutive failures', async () => {
  const h = harness();
  assert.equal(h.breaker.state, 'closed');
  assert.equal(await h.ok(), 'ok');
  await failTimes(h, 2);
  assert.equal(h.breaker.state, 'closed');
  assert.equal(h.breaker.consecutiveFailures, 2);
  assert.equal(h.breaker.openUntil, undefined);
  await assert.rejects(h.fail('the third'), { code: 'EMBEDDING_THROTTLED' });
  assert.equal(h.breaker.state, 'open');
  assert.equal(h.breaker.openUntil, h.clock.now + 10_000);
  assert.match((h.breaker.lastError as Error).message, /the third/);
  assert.deepEqual(h.changes, [['open', 'closed']]);
});

test('a success resets the count of consecutive failures', async () => {
  const h = harness();
  await failTimes(h, 2);
  await h.ok();
  assert.equal(h.breaker.consecutiveFailures, 0);
  await failTimes(h, 2);
  assert.equal(h.breaker.state, 'closed');
  await failTimes(h, 1);
  assert.equal(h.breaker.state, 'open');
});

test('an error that is not a failure passes through and resets the count', async () => {
  const h = harness();
  await failTimes(h, 2);
  await assert.rejects(h.breaker.run(async () => {
    throw permanent('EMBEDDING_REJECTED', 'bad input');
  }), { code: 'EMBEDDING_REJECTED' });
  assert.equal(h.breaker.consecutiveFailures, 0);
  assert.match((h.breaker.lastError as Error).message, /failure 2/, 'a non-failure is not the last error');
  await failTimes(h, 2);
  assert.equal(h.breaker.state, 'closed');
  // a plain Error (not an IngestError) is no failure by default either
  for (let i = 0; i < 5; i++) await assert.rejects(h.breaker.run(async () => { throw new TypeError('bug'); }), TypeError);
  assert.equal(h.breaker.state, 'closed');
});

test('open: calls fail fast with openError without running, until openMs has passed', async () => {
  const h = harness();
  await failTimes(h, 3);
  const before = h.calls.count;
  await assert.rejects(h.ok(), OpenError);
  h.clock.now += 9_999;
  await assert.rejects(h.ok(), OpenError);
  assert.equal(h.calls.count, before, 'fn was not called while open');
  assert.equal(h.breaker.state, 'open');
  assert.deepEqual(h.changes, [['open', 'closed']]);
});

test('half-open trial success closes the circuit', async () => {
  const h = harness();
  await failTimes(h, 3);
  assert.equal(h.breaker.trialDue, false);
  h.clock.now += 10_000;
  assert.equal(h.breaker.state, 'open', 'the state moves on a call, not by itself');
  assert.equal(h.breaker.trialDue, true);
  assert.equal(await h.ok(), 'ok');
  assert.equal(h.breaker.state, 'closed');
  assert.equal(h.breaker.openUntil, undefined);
  assert.equal(h.breaker.consecutiveFailures, 0);
  assert.deepEqual(h.changes, [['open', 'closed'], ['half-open', 'open'], ['closed', 'half-open']]);
  // closed again: it takes the full threshold to open it
  await failTimes(h, 2);
  assert.equal(h.breaker.state, 'closed');
});

test('half-open trial failure opens it again for openMs', async () => {
  const h = harness();
  await failTimes(h, 3);
  h.clock.now += 12_000;
  await assert.rejects(h.fail('still down'), { code: 'EMBEDDING_THROTTLED' });
  assert.equal(h.breaker.state, 'open');
  assert.equal(h.breaker.openUntil, h.clock.now + 10_000);
  assert.match((h.breaker.lastError as Error).message, /still down/);
  const calls = h.calls.count;
  h.clock.now += 9_000;
  await assert.rejects(h.ok(), OpenError);
  assert.equal(h.calls.count, calls);
  h.clock.now += 1_000;
  assert.equal(await h.ok(), 'ok');
  assert.deepEqual(h.changes.map(([s]) => s), ['open', 'half-open', 'open', 'half-open', 'closed']);
});

test('a non-failure error ends the half-open trial by closing the circuit', async () => {
  const h = harness();
  await failTimes(h, 3);
  h.clock.now += 10_000;
  await assert.rejects(h.breaker.run(async () => {
    throw permanent('EMBEDDING_REJECTED', 'this image is refused');
  }), { code: 'EMBEDDING_REJECTED' });
  assert.equal(h.breaker.state, 'closed');
});

test('half-open: calls during the trial fail fast, only the trial runs', async () => {
  const h = harness();
  await failTimes(h, 3);
  h.clock.now += 10_000;
  const trial = deferred<string>();
  let trialCalls = 0;
  const first = h.breaker.run(() => {
    trialCalls++;
    return trial.promise;
  });
  assert.equal(h.breaker.state, 'half-open');
  const calls = h.calls.count;
  await assert.rejects(h.ok(), OpenError);
  await assert.rejects(h.ok(), OpenError);
  h.clock.now += 60_000; // however long the trial takes
  await assert.rejects(h.ok(), OpenError);
  assert.equal(h.calls.count, calls);
  assert.equal(trialCalls, 1);
  assert.equal(h.breaker.trialDue, false, 'not while the trial runs');
  trial.resolve('recovered');
  assert.equal(await first, 'recovered');
  assert.equal(h.breaker.state, 'closed');
  assert.equal(h.breaker.trialDue, false);
  assert.equal(await h.ok(), 'ok');
});

test('half-open: concurrent calls during a failing trial fail fast, and it re-opens once', async () => {
  const h = harness();
  await failTimes(h, 3);
  h.clock.now += 10_000;
  const trial = deferred<string>();
  const first = h.breaker.run(() => trial.promise);
  const others = await Promise.allSettled([h.ok(), h.ok(), h.ok()]);
  assert.ok(others.every((r) => r.status === 'rejected' && r.reason instanceof OpenError));
  trial.reject(transient('EMBEDDING_UNAVAILABLE', 'service unavailable'));
  await assert.rejects(first, { code: 'EMBEDDING_UNAVAILABLE' });
  assert.equal(h.breaker.state, 'open');
  assert.deepEqual(h.changes.map(([s]) => s), ['open', 'half-open', 'open']);
});

test('outcomes of calls started before a state change do not move the breaker', async () => {
  const h = harness();
  // a slow call starts while closed, the circuit then opens
  const slowOk = deferred<string>();
  const slowFail = deferred<string>();
  const a = h.breaker.run(() => slowOk.promise);
  const b = h.breaker.run(() => slowFail.promise);
  await failTimes(h, 3);
  assert.equal(h.breaker.state, 'open');
  // its success does not close the circuit, its failure does not extend it
  slowOk.resolve('late');
  assert.equal(await a, 'late');
  assert.equal(h.breaker.state, 'open');
  const until = h.breaker.openUntil;
  h.clock.now += 5_000;
  slowFail.reject(transient('EMBEDDING_THROTTLED', 'late failure'));
  await assert.rejects(b);
  assert.equal(h.breaker.state, 'open');
  assert.equal(h.breaker.openUntil, until);
  assert.match((h.breaker.lastError as Error).message, /late failure/, 'it is still the last error seen');
  assert.deepEqual(h.changes.map(([s]) => s), ['open']);
});

test('concurrent failures while closed open it once', async () => {
  const h = harness();
  const results = await Promise.allSettled(Array.from({ length: 6 }, () => h.fail()));
  assert.equal(results.filter((r) => r.status === 'rejected' && !(r.reason instanceof OpenError)).length, 6, 'all six had started');
  assert.equal(h.breaker.state, 'open');
  assert.deepEqual(h.changes, [['open', 'closed']]);
});

test('the default failure test: retryable IngestErrors, not aborts, not permanent or foreign errors', async () => {
  assert.equal(isServiceFailure(transient('EMBEDDING_THROTTLED', 'slow down')), true);
  assert.equal(isServiceFailure(transient('ABORTED', 'aborted')), false);
  const abort = new Error('This operation was aborted');
  abort.name = 'AbortError';
  assert.equal(isServiceFailure(transient('EMBEDDING_UNAVAILABLE', 'aborted', abort)), false);
  assert.equal(isServiceFailure(permanent('EMBEDDING_REJECTED', 'no')), false);
  assert.equal(isServiceFailure(new Error('boom')), false);
  assert.equal(isServiceFailure(undefined), false);

  const h = harness({ failureThreshold: 2 });
  for (let i = 0; i < 4; i++) await assert.rejects(h.breaker.run(async () => { throw transient('ABORTED', 'shutdown'); }));
  assert.equal(h.breaker.state, 'closed', 'aborts do not open it');
});

test('a custom isFailure decides what counts', async () => {
  const h = harness({ failureThreshold: 2, isFailure: (err) => err instanceof RangeError });
  await failTimes(h, 5);
  assert.equal(h.breaker.state, 'closed');
  for (let i = 0; i < 2; i++) await assert.rejects(h.breaker.run(async () => { throw new RangeError('x'); }), RangeError);
  assert.equal(h.breaker.state, 'open');
});

test('defaults: five failures, 30 s, Date.now', async () => {
  const breaker = new CircuitBreaker({ name: 'defaults', openError: () => new OpenError('open') });
  assert.equal(breaker.failureThreshold, 5);
  assert.equal(breaker.openMs, 30_000);
  for (let i = 0; i < 4; i++) await assert.rejects(breaker.run(async () => { throw transient('INTERNAL', 'x'); }));
  assert.equal(breaker.state, 'closed');
  const before = Date.now();
  await assert.rejects(breaker.run(async () => { throw transient('INTERNAL', 'x'); }));
  assert.equal(breaker.state, 'open');
  assert.ok(breaker.openUntil! >= before + 30_000 && breaker.openUntil! <= Date.now() + 30_000);
});

test('a throwing onStateChange does not break calls', async () => {
  const h = harness({ onStateChange: () => { throw new Error('listener bug'); } });
  await failTimes(h, 3);
  assert.equal(h.breaker.state, 'open');
  h.clock.now += 10_000;
  assert.equal(await h.ok(), 'ok');
  assert.equal(h.breaker.state, 'closed');
});

test('a synchronous throw from fn counts like a rejection', async () => {
  const h = harness({ failureThreshold: 1 });
  await assert.rejects(h.breaker.run(() => { throw transient('INTERNAL', 'sync'); }), { code: 'INTERNAL' });
  assert.equal(h.breaker.state, 'open');
});

test('options are checked', () => {
  const openError = () => new OpenError('open');
  assert.throws(() => new CircuitBreaker({ name: 'x', openError, failureThreshold: 0 }), RangeError);
  assert.throws(() => new CircuitBreaker({ name: 'x', openError, failureThreshold: 1.5 }), RangeError);
  assert.throws(() => new CircuitBreaker({ name: 'x', openError, openMs: -1 }), RangeError);
});
