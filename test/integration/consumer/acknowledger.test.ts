/**
 * The SQS side of the outcomes against fauxqs: dead letters and rollovers on a FIFO queue pair (a
 * group and a fresh deduplication id), an empty body, batched deletes and a closed acknowledger.
 */
import { afterAll, test } from 'vitest';
import assert from 'node:assert/strict';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { Acknowledger } from '../../../src/consumer/acknowledger.ts';
import { toQueueMessage, type QueueMessage } from '../../../src/consumer/queue-message.ts';
import { transient } from '../../../src/core/errors.ts';
import { createQueuePair, queueCounts, testSqs, uniqueName } from '../../support/aws.ts';

const sqs = testSqs();
afterAll(() => sqs.destroy());

async function fifoPair(): Promise<{ queueUrl: string; dlqUrl: string }> {
  const name = uniqueName('ack');
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq.fifo`, Attributes: { FifoQueue: 'true' } }));
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl!, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const q = await sqs.send(new CreateQueueCommand({
    QueueName: `${name}.fifo`,
    Attributes: { FifoQueue: 'true', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: '3' }) },
  }));
  return { queueUrl: q.QueueUrl!, dlqUrl: dlq.QueueUrl! };
}

async function receiveOne(queueUrl: string): Promise<QueueMessage> {
  const out = await sqs.send(new ReceiveMessageCommand({
    QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1, VisibilityTimeout: 30,
    MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'],
  }));
  return toQueueMessage(out.Messages![0]!)!;
}

test('on a FIFO pair, a dead letter and a rollover keep the message group and need no content deduplication', async () => {
  const { queueUrl, dlqUrl } = await fifoPair();
  const ack = new Acknowledger({ sqs, queueUrl, dlqUrl, lingerMs: 0 });
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'same body', MessageGroupId: 'tenant-a', MessageDeduplicationId: 'd1' }));
  const first = await receiveOne(queueUrl);
  assert.equal(first.groupId, 'tenant-a');
  await ack.resend(first, { delaySeconds: 30, receives: 1, codes: [] });
  const copy = await receiveOne(queueUrl);
  assert.equal(copy.body, 'same body');
  assert.equal(copy.groupId, 'tenant-a');
  assert.equal(copy.earlierReceives, 1);
  assert.equal(await ack.deadLetter(copy, transient('TIMEOUT', ''), []), true);
  const letter = await receiveOne(dlqUrl);
  assert.equal(letter.body, 'same body');
  assert.equal(letter.attributes?.['ErrorMessage']?.StringValue, 'TIMEOUT', 'an empty message falls back to the code');
  assert.equal(letter.attributes?.['EarlierErrorCodes'], undefined, 'no earlier codes, no attribute');
  assert.equal((await queueCounts(sqs, queueUrl)).total, 0);
  await ack.close();
});

test('an empty body is dead-lettered as a placeholder (SQS refuses empty bodies); no DLQ ⇒ false, nothing sent', async () => {
  const { queueUrl, dlqUrl } = await createQueuePair(sqs, uniqueName('ack-empty'));
  const ack = new Acknowledger({ sqs, queueUrl, dlqUrl, lingerMs: 0 });
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x' }));
  const message = { ...(await receiveOne(queueUrl)), body: '' };
  assert.equal(await new Acknowledger({ sqs, queueUrl, dlqUrl: undefined }).deadLetter(message, transient('INTERNAL', 'y')), false);
  await ack.resend(message, { delaySeconds: 0, receives: 1, codes: ['A'] });
  assert.equal((await receiveOne(queueUrl)).body, '(empty message body)');
  await ack.close();
});

test('deletes are batched; a closed acknowledger refuses them', async () => {
  const { queueUrl, dlqUrl } = await createQueuePair(sqs, uniqueName('ack-delete'));
  const ack = new Acknowledger({ sqs, queueUrl, dlqUrl, lingerMs: 20 });
  for (const body of ['a', 'b']) await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  const [one, two] = [await receiveOne(queueUrl), await receiveOne(queueUrl)];
  await Promise.all([ack.delete(one.receiptHandle), ack.delete(two.receiptHandle)]);
  assert.equal((await queueCounts(sqs, queueUrl)).total, 0);
  await ack.close();
  await assert.rejects(ack.delete(one.receiptHandle), /closed/);
});
