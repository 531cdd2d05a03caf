/**
 * inTwoStages (src/pool/two-stages.ts): item n+1's first stage runs while item n's second stage
 * runs, second stages run one at a time in item order, at most one prepared item waits, and a
 * failure ends the whole without an unhandled rejection.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { setImmediate as turn } from 'node:timers/promises';
import { inTwoStages } from '../../../src/pool/two-stages.ts';

/** A promise the test settles. */
function held<T = void>() {
  const { promise, resolve, reject } = Promise.withResolvers<T>();
  return { promise, resolve, reject };
}
const settle = async () => {
  for (let i = 0; i < 5; i++) await turn();
};

test('the next item is prepared while the one before is in its second stage; second stages run one at a time, in order', async () => {
  const log: string[] = [];
  const firsts = [held(), held(), held()];
  const seconds = [held(), held(), held()];
  let runningSeconds = 0;
  let mostSeconds = 0;
  const all = inTwoStages(3, async (n) => {
    log.push(`prepare ${n}`);
    await firsts[n - 1]!.promise;
    return async () => {
      runningSeconds++;
      mostSeconds = Math.max(mostSeconds, runningSeconds);
      log.push(`second ${n}`);
      await seconds[n - 1]!.promise;
      log.push(`recorded ${n}`);
      runningSeconds--;
    };
  });
  await settle();
  assert.deepEqual(log, ['prepare 1']);
  firsts[0]!.resolve();
  await settle();
  assert.deepEqual(log.toSorted(), ['prepare 1', 'prepare 2', 'second 1'], 'item 2 is prepared while item 1 is in its second stage');
  firsts[1]!.resolve();
  await settle();
  assert.equal(log.length, 3, 'item 2 waits for item 1; item 3 is not prepared yet (one prepared item at most)');
  seconds[0]!.resolve();
  await settle();
  assert.deepEqual(log.slice(3).toSorted(), ['prepare 3', 'recorded 1', 'second 2']);
  assert.equal(log[3], 'recorded 1');
  firsts[2]!.resolve();
  seconds[2]!.resolve();
  await settle();
  assert.deepEqual(log.slice(6), [], 'item 3 waits for item 2 even when it could finish at once');
  seconds[1]!.resolve();
  await all;
  assert.deepEqual(log.slice(6), ['recorded 2', 'second 3', 'recorded 3']);
  assert.equal(mostSeconds, 1);
});

test('a failing second stage fails the whole once the item being prepared is done, and is never unhandled; later items are not started', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const prepared: number[] = [];
    const slowFirst = held();
    const all = inTwoStages(4, async (n) => {
      prepared.push(n);
      if (n === 2) await slowFirst.promise;
      return () => {
        if (n === 1) throw new Error('stage two of item 1');
      };
    });
    await settle(); // item 1's second stage has failed while item 2 is being prepared
    slowFirst.resolve();
    await assert.rejects(all, /stage two of item 1/);
    await settle();
    assert.deepEqual(prepared, [1, 2]);
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('a failing first stage waits for the second stage in progress, then fails the whole', async () => {
  const second = held();
  let recorded = false;
  const all = inTwoStages(2, async (n) => {
    if (n === 2) throw new Error('first stage of item 2');
    return async () => {
      await second.promise;
      recorded = true;
    };
  });
  await settle();
  second.resolve();
  await assert.rejects(all, /first stage of item 2/);
  assert.equal(recorded, true, 'item 1 was recorded before the failure came out');
});

test('no items: nothing runs', async () => {
  let called = false;
  await inTwoStages(0, async () => {
    called = true;
    return () => undefined;
  });
  assert.equal(called, false);
});
