/** A received SQS message, reduced: receive counts, the daemon's carried history, the upstream's attributes. */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { EARLIER_CODES, EARLIER_RECEIVES, toQueueMessage, totalReceives } from '../../../src/consumer/queue-message.ts';

test('without a handle or an id there is no message; odd receive counts count as 1', () => {
  assert.equal(toQueueMessage({ MessageId: 'm' }), null);
  assert.equal(toQueueMessage({ ReceiptHandle: 'h' }), null);
  const m = toQueueMessage({ MessageId: 'm', ReceiptHandle: 'h', Attributes: { ApproximateReceiveCount: 'x' } }, 5)!;
  assert.deepEqual(m, { messageId: 'm', receiptHandle: 'h', body: '', receiveCount: 1, receivedAt: 5 });
  assert.equal(totalReceives(m), 1);
});

test('a rolled-over copy carries its earlier receives and codes; junk in them is dropped; the upstream attributes stay', () => {
  const m = toQueueMessage({
    MessageId: 'm', ReceiptHandle: 'h', Body: 'b',
    Attributes: { ApproximateReceiveCount: '2', MessageGroupId: 'g' },
    MessageAttributes: {
      [EARLIER_RECEIVES]: { DataType: 'Number', StringValue: '4' },
      [EARLIER_CODES]: { DataType: 'String', StringValue: 'TIMEOUT,not a code,INDEX_UNAVAILABLE' },
      tenant: { DataType: 'String', StringValue: 'acme' },
    },
  })!;
  assert.equal(totalReceives(m), 6);
  assert.deepEqual(m.earlierCodes, ['TIMEOUT', 'INDEX_UNAVAILABLE']);
  assert.deepEqual(Object.keys(m.attributes ?? {}), ['tenant']);
  assert.equal(m.groupId, 'g');
  const junk = toQueueMessage({ MessageId: 'm', ReceiptHandle: 'h', MessageAttributes: { [EARLIER_RECEIVES]: { DataType: 'Number', StringValue: '-3' } } })!;
  assert.equal(junk.earlierReceives, undefined);
  assert.equal(junk.attributes, undefined);
});
