import { afterEach, test, vi } from 'vitest';
import assert from 'node:assert/strict';
import { Heartbeat } from '../../../src/consumer/heartbeat.ts';

afterEach(() => {
  vi.useRealTimers();
});

test('beats on the interval, never overlapping, and stops cleanly', async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  let beats = 0;
  let release: (() => void) | undefined;
  const hb = new Heartbeat({
    intervalMs: 1000,
    beat: () => {
      beats += 1;
      return new Promise<void>((r) => (release = r));
    },
    onError: () => assert.fail('no error expected'),
  }).start();
  vi.advanceTimersByTime(999);
  assert.equal(beats, 0);
  vi.advanceTimersByTime(1);
  assert.equal(beats, 1);
  vi.advanceTimersByTime(5000); // the first beat is still running: no second one
  assert.equal(beats, 1);
  release!();
  await Promise.resolve();
  await Promise.resolve();
  await Promise.resolve();
  vi.advanceTimersByTime(1000);
  assert.equal(beats, 2);
  const stopping = hb.stop();
  let stopped = false;
  void stopping.then(() => (stopped = true));
  await Promise.resolve();
  assert.equal(stopped, false, 'stop() waits for the beat in progress');
  release!();
  await stopping;
  vi.advanceTimersByTime(10_000);
  assert.equal(beats, 2, 'no beat after stop');
});

test('a failing beat reports the error and keeps beating', async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  const errors: unknown[] = [];
  let beats = 0;
  const hb = new Heartbeat({
    intervalMs: 100,
    beat: async () => {
      beats += 1;
      throw new Error(`boom ${beats}`);
    },
    onError: (e) => {
      errors.push(e);
      throw new Error('a throwing listener must not kill the heartbeat');
    },
  }).start();
  for (let i = 0; i < 3; i++) {
    vi.advanceTimersByTime(100);
    for (let j = 0; j < 5; j++) await Promise.resolve();
  }
  await hb.stop();
  assert.equal(beats, 3);
  assert.equal(errors.length, 3);
});
