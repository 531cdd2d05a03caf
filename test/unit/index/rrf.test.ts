import { test } from 'vitest';
import assert from 'node:assert/strict';
import { fuseRanks, reciprocalRankFusion, RRF_K } from '../../../src/adapters/index/rrf.ts';

const close = (actual: number, expected: number): void => assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} ≠ ${expected}`);

test('RRF with k = 60: the documented sums, best first', () => {
  assert.equal(RRF_K, 60);
  // text: a b c   vector: c d a
  const fused = fuseRanks([
    ['a', 'b', 'c'],
    ['c', 'd', 'a'],
  ]);
  assert.deepEqual(
    fused.map((f) => f.id),
    ['a', 'c', 'b', 'd'],
  );
  close(fused[0]!.score, 1 / 61 + 1 / 63); // a: 1st and 3rd
  close(fused[1]!.score, 1 / 63 + 1 / 61); // c: 3rd and 1st — the same sum; a wins the tie (see below)
  close(fused[2]!.score, 1 / 62);
  close(fused[3]!.score, 1 / 62);
  assert.deepEqual(fused[0]!.ranks, [1, 3]);
  assert.deepEqual(fused[3]!.ranks, [null, 2]);
});

test('a document found by both rankings beats one found by one, even ranked first there', () => {
  const fused = fuseRanks([
    ['only-text', 'both'],
    ['only-vector', 'both'],
  ]);
  assert.equal(fused[0]!.id, 'both');
  close(fused[0]!.score, 2 / 62);
});

test('ties: the better single rank, then the earlier ranking, then first appearance — same input, same output', () => {
  // b (rank 2 of list 0) and x (rank 2 of list 1) tie at 1/62; list 0 comes first.
  assert.deepEqual(
    fuseRanks([
      ['a', 'b'],
      ['y', 'x'],
    ]).map((f) => f.id),
    ['a', 'y', 'b', 'x'],
  );
  // Equal sums: r has ranks (1, 3), s has (3, 1) — the same best rank, r's in the earlier list.
  const tied = fuseRanks([
    ['r', 'z', 's'],
    ['s', 'w', 'r'],
  ]);
  assert.deepEqual(
    tied.slice(0, 2).map((f) => f.id),
    ['r', 's'],
  );
  const again = fuseRanks([
    ['r', 'z', 's'],
    ['s', 'w', 'r'],
  ]);
  assert.deepEqual(again, tied);
});

test('an id repeated within one ranking counts once, at its best place; empty rankings are fine', () => {
  const fused = fuseRanks([['a', 'b', 'a'], [], ['b']]);
  const a = fused.find((f) => f.id === 'a')!;
  close(a.score, 1 / 61);
  assert.deepEqual(a.ranks, [1, null, null]);
  const b = fused.find((f) => f.id === 'b')!;
  close(b.score, 1 / 62 + 1 / 61);
  assert.equal(fused[0]!.id, 'b');
  assert.deepEqual(fuseRanks([]), []);
});

test('k changes how much the top ranks dominate; a bad k is refused', () => {
  // k = 0: a (1st in one list) scores 1, b (2nd in both) scores 1/2 + 1/2 = 1 — equal; k = 60: b wins.
  assert.equal(fuseRanks([['a', 'b'], ['c', 'b']], 0)[0]!.id, 'a');
  assert.equal(fuseRanks([['a', 'b'], ['c', 'b']], 60)[0]!.id, 'b');
  assert.throws(() => fuseRanks([['a']], -1), RangeError);
  assert.throws(() => fuseRanks([['a']], Number.NaN), RangeError);
});

test('reciprocalRankFusion over hits: each hit once (from the earliest ranking), score replaced, size applied', () => {
  type Hit = { id: string; score: number; snippet: string };
  const text: Hit[] = [
    { id: 'a', score: 12.5, snippet: 'text a' },
    { id: 'b', score: 3, snippet: 'text b' },
  ];
  const vector: Hit[] = [
    { id: 'c', score: 0.99, snippet: 'vector c' },
    { id: 'a', score: 0.5, snippet: 'vector a' },
  ];
  const fused = reciprocalRankFusion([text, vector]);
  assert.deepEqual(
    fused.map((h) => [h.id, h.snippet]),
    [
      ['a', 'text a'],
      ['c', 'vector c'],
      ['b', 'text b'],
    ],
  );
  close(fused[0]!.score, 1 / 61 + 1 / 62);
  assert.equal(reciprocalRankFusion([text, vector], { size: 2 }).length, 2);
  assert.equal(reciprocalRankFusion([text, vector], { size: 0 }).length, 0);
  // The inputs are not changed.
  assert.equal(text[0]!.score, 12.5);
});
