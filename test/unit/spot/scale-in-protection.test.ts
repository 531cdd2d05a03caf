/**
 * ScaleInProtection with fake timers and an in-memory port: the API is called on transitions only
 * (never per message), protection goes off only after `idleMs` without work, calls never overlap
 * and coalesce, failures back off, removeProtection() ends it, close() leaves no timer.
 */
import { test, vi, type TestContext } from 'vitest';
import assert from 'node:assert/strict';
import { AsgError, type AsgTarget, type AutoScalingPort } from '../../../src/spot/asg/port.ts';
import { ScaleInProtection } from '../../../src/spot/asg/scale-in-protection.ts';
import { memoryLogger } from '../../support/silent-logger.ts';

const TARGET: AsgTarget = { instanceId: 'i-0123456789abcdef0', groupName: 'g' };
const IDLE = 30_000;

/** A port whose calls are recorded; each answers at once, or as `next` says. */
function fakePort() {
  const calls: boolean[] = [];
  const pending: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];
  let mode: 'ok' | 'hold' | ((value: boolean) => unknown) = 'ok';
  const port: Pick<AutoScalingPort, 'setInstanceProtection'> = {
    async setInstanceProtection(input, signal) {
      assert.equal(input.instanceId, TARGET.instanceId);
      calls.push(input.protectedFromScaleIn);
      if (mode === 'hold') {
        return new Promise<void>((resolve, reject) => {
          pending.push({ resolve, reject });
          signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        });
      }
      if (typeof mode === 'function') {
        const err = mode(input.protectedFromScaleIn);
        if (err) throw err;
      }
    },
  };
  return {
    port, calls, pending,
    set mode(m: typeof mode) {
      mode = m;
    },
  };
}

/** Let promise callbacks run (setImmediate is not faked). */
async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

function setup(t: TestContext, options: { minBackoffMs?: number; maxBackoffMs?: number } = {}) {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  const fake = fakePort();
  const { logger, lines } = memoryLogger();
  const protection = new ScaleInProtection({ asg: fake.port, target: async () => TARGET, logger, idleMs: IDLE, ...options });
  t.onTestFinished(async () => {
    try {
      await protection.close(); // clears its timers while they are still the fake ones
    } finally {
      vi.useRealTimers();
    }
  });
  return { fake, lines, protection, tick: async (ms: number) => {
    vi.advanceTimersByTime(ms);
    await flush();
  } };
}

test('work turns protection on at once; more messages call nothing more', async (t) => {
  const { fake, protection } = setup(t);
  protection.update(1);
  await flush();
  assert.deepEqual(fake.calls, [true]);
  for (let n = 2; n <= 50; n++) protection.update(n);
  for (let n = 49; n >= 1; n--) protection.update(n);
  await flush();
  assert.deepEqual(fake.calls, [true], 'one call, not one per message');
  assert.equal(protection.protected, true);
});

test('idle for idleMs turns it off; work before that cancels the debounce, and the next idle spell starts over', async (t) => {
  const { fake, protection, tick } = setup(t);
  protection.update(1);
  await flush();
  protection.update(0);
  await tick(IDLE - 1);
  assert.deepEqual(fake.calls, [true], 'not yet');
  protection.update(1); // a message arrives just in time
  await tick(IDLE * 2);
  assert.deepEqual(fake.calls, [true], 'still busy: stays on');
  protection.update(0);
  await tick(IDLE - 1);
  assert.deepEqual(fake.calls, [true], 'the debounce restarted when work ended');
  await tick(1);
  assert.deepEqual(fake.calls, [true, false]);
  assert.equal(protection.protected, false);
  protection.update(0);
  await tick(IDLE * 3);
  assert.deepEqual(fake.calls, [true, false], 'idle and already off: nothing to do');
});

test('start(): an instance idle from the start is unprotected once (its initial protection is unknown)', async (t) => {
  const { fake, protection, tick } = setup(t);
  protection.start();
  await tick(IDLE - 1);
  assert.deepEqual(fake.calls, []);
  await tick(1);
  assert.deepEqual(fake.calls, [false]);
  await tick(IDLE * 5);
  assert.deepEqual(fake.calls, [false]);
});

test('calls never overlap; changes while one is under way are coalesced into at most one more', async (t) => {
  const { fake, protection, tick } = setup(t);
  fake.mode = 'hold';
  protection.update(1);
  await flush();
  assert.deepEqual(fake.calls, [true]);
  protection.update(0);
  await tick(IDLE); // wants off while "on" is still being set
  protection.update(2); // … and on again
  await flush();
  assert.deepEqual(fake.calls, [true], 'no second call while the first is under way');
  fake.mode = 'ok';
  fake.pending.shift()!.resolve();
  await flush();
  assert.deepEqual(fake.calls, [true], 'wanted state equals the one set: nothing more');
  protection.update(0);
  await tick(IDLE);
  assert.deepEqual(fake.calls, [true, false]);
});

test('failures are retried with exponential backoff and logged at the 1st, 2nd, 4th… in a row; a rejection waits the longest', async (t) => {
  const { fake, protection, tick, lines } = setup(t, { minBackoffMs: 1_000, maxBackoffMs: 8_000 });
  let failuresLeft = 4;
  fake.mode = () => (failuresLeft-- > 0 ? new AsgError('ASG_UNAVAILABLE', 'InternalFailure', { action: 'SetInstanceProtection' }) : undefined);
  protection.update(1);
  await flush();
  assert.equal(fake.calls.length, 1);
  await tick(500); // below the first backoff (1 s ± 25 %)
  assert.equal(fake.calls.length, 1);
  await tick(500);
  assert.equal(fake.calls.length, 2, 'retried after ~1 s');
  await tick(2_000);
  assert.equal(fake.calls.length, 3, 'then ~2 s');
  await tick(4_000);
  assert.equal(fake.calls.length, 4, 'then ~4 s');
  await tick(8_000);
  assert.equal(fake.calls.length, 5, 'capped at 8 s');
  assert.equal(protection.protected, true);
  const warnings = lines().filter((l) => l.msg === 'SetInstanceProtection failed; retrying with backoff');
  assert.deepEqual(warnings.map((w) => w.consecutiveFailures), [1, 2, 4]);
  assert.ok(lines().some((l) => l.msg === 'SetInstanceProtection answers again' && l.afterFailures === 4));

  fake.mode = (value) => (value === false ? new AsgError('ASG_REJECTED', 'ValidationError', { action: 'SetInstanceProtection' }) : undefined);
  protection.update(0);
  await tick(IDLE);
  assert.equal(fake.calls.length, 6);
  await tick(5_000);
  assert.equal(fake.calls.length, 6, 'a non-retryable rejection is not retried soon…');
  await tick(5_000);
  assert.equal(fake.calls.length, 7, '… but after the longest backoff');
});

test('removeProtection() when this process never protected the instance: no call at shutdown', async (t) => {
  const { fake, protection } = setup(t);
  await protection.removeProtection();
  assert.deepEqual(fake.calls, []);
});

test('removeProtection(): off and wait when it was on; nothing turns it on again', async (t) => {
  const { fake, protection } = setup(t);
  protection.update(3);
  await flush();
  protection.update(0);
  await protection.removeProtection(); // the drain ended: no debounce to wait for, and the call is awaited
  assert.deepEqual(fake.calls, [true, false]);
  assert.equal(protection.protected, false);
  protection.update(1);
  await flush();
  assert.deepEqual(fake.calls, [true, false], 'after removeProtection() work cannot protect the instance again');
});

test('removeProtection() waits for a call under way, and gives up at its timeout', async (t) => {
  const { fake, protection, tick } = setup(t);
  fake.mode = 'hold';
  protection.update(1);
  await flush();
  let released = false;
  const releasing = protection.removeProtection(5_000).then(() => (released = true));
  await tick(4_999);
  assert.equal(released, false, 'the "on" call is still under way');
  await tick(1);
  assert.equal(released, true, 'bounded by the timeout');
  await releasing;
});

test('close() clears every timer and aborts: nothing is called afterwards', async (t) => {
  const { fake, protection, tick } = setup(t);
  let failures = 1;
  fake.mode = () => (failures-- > 0 ? new Error('socket hang up') : undefined);
  protection.update(1); // fails: a retry timer is armed
  await flush();
  assert.equal(fake.calls.length, 1);
  await protection.close();
  await protection.close();
  protection.update(0);
  protection.update(5);
  await tick(10 * 60_000);
  assert.equal(fake.calls.length, 1);
});
