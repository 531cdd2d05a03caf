import { test } from 'vitest';
import assert from 'node:assert/strict';
import { p90Remaining } from '../../../src/consumer/finish-predictor.ts';

test('p90Remaining: no prediction with too few samples', () => {
  assert.equal(p90Remaining(100, [1_000, 2_000]), undefined);
});

test('p90Remaining: p90 of the finished jobs longer than the elapsed time, minus the elapsed time', () => {
  const finished = [100, 200, 300, 400, 500, 600, 700, 800, 900, 1_000];
  assert.equal(p90Remaining(0, finished), 900);
  assert.equal(p90Remaining(550, finished), 1_000 - 550); // among 600..1000, the p90 is 1000
  assert.equal(p90Remaining(5_000, finished), Number.POSITIVE_INFINITY, 'longer than every finished job: not expected to finish');
});
