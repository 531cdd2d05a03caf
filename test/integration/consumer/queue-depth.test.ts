/** readQueueDepth against fauxqs: the counts the EMF Backlog metric is made of, and the queue name. */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { queueNameOf, readQueueDepth } from '../../../src/consumer/queue-depth.ts';
import { createQueuePair, receiveVisible, send, testSqs, uniqueName } from '../../support/aws.ts';

test('visible and not-visible counts, read with one GetQueueAttributes', async () => {
  const sqs = testSqs();
  try {
    const name = uniqueName('depth');
    const { queueUrl } = await createQueuePair(sqs, name);
    assert.equal(queueNameOf(queueUrl), name);
    assert.deepEqual(await readQueueDepth(sqs, queueUrl), { visible: 0, notVisible: 0, delayed: 0 });
    for (let i = 0; i < 3; i++) await send(sqs, queueUrl, { n: i });
    assert.equal((await readQueueDepth(sqs, queueUrl)).visible, 3);
    const received = await receiveVisible(sqs, queueUrl, 60);
    const depth = await readQueueDepth(sqs, queueUrl);
    assert.equal(depth.visible + depth.notVisible, 3);
    assert.equal(depth.notVisible, received.length);
    const controller = new AbortController();
    controller.abort(new Error('stopping'));
    await assert.rejects(readQueueDepth(sqs, queueUrl, controller.signal));
  } finally {
    sqs.destroy();
  }
});

test('queueNameOf: the last path segment of the queue URL', () => {
  assert.equal(queueNameOf('https://sqs.ap-northeast-1.amazonaws.com/123456789012/uploads'), 'uploads');
  assert.equal(queueNameOf('http://127.0.0.1:4566/000000000000/q-1/'), 'q-1');
});
