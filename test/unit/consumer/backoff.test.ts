import { test } from 'vitest';
import assert from 'node:assert/strict';
import { retryDelaySeconds } from '../../../src/consumer/backoff.ts';

test('backoff grows with the receive count and is capped', () => {
  const max = (n: number) => retryDelaySeconds(n, { baseSeconds: 10, maxSeconds: 900 }, () => 1);
  const min = (n: number) => retryDelaySeconds(n, { baseSeconds: 10, maxSeconds: 900 }, () => 0);
  assert.deepEqual([1, 2, 3, 4].map(max), [10, 20, 40, 80]);
  assert.deepEqual([1, 2, 3, 4].map(min), [5, 10, 20, 40]);
  assert.equal(max(50), 900);
  assert.ok(min(50) >= 450);
});

test('jitter stays within [ceiling/2, ceiling] and never below 1 s', () => {
  for (let i = 0; i < 200; i++) {
    const d = retryDelaySeconds(3);
    assert.ok(d >= 20 && d <= 40, String(d));
  }
  assert.equal(retryDelaySeconds(0, { baseSeconds: 1, maxSeconds: 1 }, () => 0), 1);
});

test('never exceeds the SQS visibility limit of 12 hours', () => {
  assert.equal(retryDelaySeconds(40, { baseSeconds: 60, maxSeconds: 10 ** 9 }, () => 1), 43_200);
});
