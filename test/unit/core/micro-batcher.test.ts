import { test } from 'vitest';
import assert from 'node:assert/strict';
import { MicroBatcher } from '../../../src/lib/micro-batcher.ts';

const closed = () => new Error('closed');

test('collects calls into batches and settles each caller from its own item', async () => {
  const batches: number[][] = [];
  const b = new MicroBatcher<number>({
    maxItems: 3, maxBytes: 1000, lingerMs: 5, closedError: closed,
    send: async (items) => {
      batches.push([...items]);
      return items.map((n) => (n === 4 ? new Error('four') : null));
    },
  });
  const results = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => b.add(n, 1)));
  assert.deepEqual(batches, [[1, 2, 3], [4, 5]]);
  assert.deepEqual(results.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as Error).message)), ['ok', 'ok', 'ok', 'four', 'ok']);
  await b.close();
});

test('a failed send fails every item of its batch; close flushes at once and rejects later adds', async () => {
  let sent = 0;
  const b = new MicroBatcher<string>({
    maxItems: 10, maxBytes: 1000, lingerMs: 60_000, closedError: closed,
    send: async () => {
      sent += 1;
      throw new Error('network down');
    },
  });
  const p = Promise.allSettled([b.add('a', 1), b.add('b', 1)]);
  await b.close();
  const r = await p;
  assert.equal(sent, 1);
  assert.ok(r.every((x) => x.status === 'rejected'));
  await assert.rejects(b.add('c', 1), /closed/);
});

test('an item aborted before its batch is sent is removed and rejects with the reason', async () => {
  const sentItems: string[] = [];
  const b = new MicroBatcher<string>({
    maxItems: 10, maxBytes: 1000, lingerMs: 20, closedError: closed,
    send: async (items) => {
      sentItems.push(...items);
      return items.map(() => null);
    },
  });
  const ac = new AbortController();
  const aborted = b.add('gone', 1, ac.signal);
  const kept = b.add('kept', 1);
  ac.abort(new Error('released'));
  await assert.rejects(aborted, /released/);
  await kept;
  assert.deepEqual(sentItems, ['kept']);
  await b.close();
});

test('an item aborted after its batch was sent stops waiting at once; the others settle from the result', async () => {
  let answer: (results: (Error | null)[]) => void = () => undefined;
  const b = new MicroBatcher<string>({
    maxItems: 2, maxBytes: 1000, lingerMs: 5, closedError: closed,
    send: () => new Promise((resolve) => (answer = resolve)),
  });
  const ac = new AbortController();
  const left = b.add('a', 1, ac.signal);
  const stays = b.add('b', 1); // maxItems reached: the batch is sent
  ac.abort(new Error('deadline'));
  await assert.rejects(left, /deadline/);
  answer([null, null]);
  await stays;
  await b.close();
});
