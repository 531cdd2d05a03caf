import test from 'node:test';
import assert from 'node:assert/strict';
import { MicroBatcher } from '../../../src/lib/micro-batcher.ts';

test('collects calls into batches and settles each caller from its own item', async () => {
  const batches: number[][] = [];
  const b = new MicroBatcher<number, number>({
    maxItems: 3,
    lingerMs: 5,
    send: async (items) => {
      batches.push(items);
      return items.map((n) => (n === 4 ? { ok: false, error: new Error('four') } : { ok: true, value: n * 10 }));
    },
  });
  const results = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => b.add(n)));
  assert.deepEqual(batches, [[1, 2, 3], [4, 5]]);
  assert.deepEqual(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)), [10, 20, 30, 'four', 50]);
  await b.close();
});

test('a failed send fails every item of its batch; close flushes and rejects later adds', async () => {
  let sent = 0;
  const b = new MicroBatcher<string, void>({
    maxItems: 10,
    lingerMs: 60_000,
    send: async () => {
      sent += 1;
      throw new Error('network down');
    },
  });
  const p = Promise.allSettled([b.add('a'), b.add('b')]);
  await b.close(); // flushes despite the long linger
  const r = await p;
  assert.equal(sent, 1);
  assert.ok(r.every((x) => x.status === 'rejected'));
  await assert.rejects(b.add('c'), /closed/);
});
