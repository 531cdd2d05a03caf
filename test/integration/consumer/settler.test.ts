/**
 * Outcome → SQS call against real SQS semantics (fauxqs, a queue with RedrivePolicy
 * maxReceiveCount 3): the daemon writes every dead letter itself, with its reason; a message on its
 * last receive before redrive is rolled over into a new one instead of being given back; outages
 * and busy objects are never dead-lettered.
 */
import { test, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { Acknowledger } from '../../../src/consumer/acknowledger.ts';
import { readRedrivePolicy } from '../../../src/consumer/dlq-discovery.ts';
import { EARLIER_CODES, EARLIER_RECEIVES, toQueueMessage, totalReceives, type QueueMessage } from '../../../src/consumer/queue-message.ts';
import { OUTAGE_RETRY_SECONDS, Settler } from '../../../src/consumer/settler.ts';
import { transient, type Dependency } from '../../../src/core/errors.ts';
import { createQueuePair, queueCounts, receiveVisible, testSqs, uniqueName } from '../../support/aws.ts';
import { waitFor } from '../../support/wait-for.ts';

const sqs = testSqs();
afterAll(() => sqs.destroy());

async function setup(options: { dlq?: boolean; down?: (d: Dependency) => boolean } = {}) {
  const { queueUrl, dlqUrl } = await createQueuePair(sqs, uniqueName('settler'), 3);
  const policy = await readRedrivePolicy(sqs, queueUrl);
  assert.deepEqual(policy, { dlqUrl, maxReceiveCount: 3 });
  const acknowledger = new Acknowledger({ sqs, queueUrl, dlqUrl: options.dlq === false ? undefined : dlqUrl, lingerMs: 0 });
  const asked: Dependency[] = [];
  const settler = new Settler({
    acknowledger, maxReceiveCount: policy.maxReceiveCount, backoff: { baseSeconds: 30, maxSeconds: 60 },
    confirmDown: async (d) => {
      asked.push(d);
      return options.down?.(d) ?? false;
    },
  });
  return { queueUrl, dlqUrl, acknowledger, settler, asked };
}

/** Send one message and receive it `times` times (visibility 0 in between); returns the last receipt. */
async function receivedTimes(queueUrl: string, times: number, attributes?: Record<string, string>): Promise<QueueMessage> {
  await sqs.send(new SendMessageCommand({
    QueueUrl: queueUrl, MessageBody: '{"eventType":"FILE_UPLOADED","s3Bucket":"b","s3Key":"k"}',
    ...(attributes ? { MessageAttributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }])) } : {}),
  }));
  let last: QueueMessage | null = null;
  for (let i = 0; i < times; i++) {
    const out = await sqs.send(new ReceiveMessageCommand({
      QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1, VisibilityTimeout: i === times - 1 ? 30 : 0,
      MessageSystemAttributeNames: ['ApproximateReceiveCount'], MessageAttributeNames: ['All'],
    }));
    last = toQueueMessage(out.Messages![0]!);
  }
  return last!;
}

const failure = () => transient('INTERNAL', 'Error: something broke');

test('a transient failure before the last attempt is retried with backoff (a visibility change)', async () => {
  const { queueUrl, settler } = await setup();
  const message = await receivedTimes(queueUrl, 1);
  const settled = await settler.settle(message, 'retry', failure(), []);
  assert.equal(settled.outcome, 'retry');
  assert.equal(settled.via, 'visibility');
  assert.ok(settled.delaySeconds! >= 15 && settled.delaySeconds! <= 30);
  assert.deepEqual(await queueCounts(sqs, queueUrl), { visible: 0, inFlight: 1, delayed: 0, total: 1 });
});

test('on its last receive before redrive a message is rolled over: a new copy with its receives and codes, the original deleted', async () => {
  const { queueUrl, settler } = await setup();
  const message = await receivedTimes(queueUrl, 3, { tenant: 'acme' });
  assert.equal(settler.isLastReceive(message), true);
  assert.equal(settler.rollsOverOnReceipt(message), true);
  await settler.rollOverOnReceipt(message, ['INDEX_UNAVAILABLE']);
  const [copy] = await receiveVisible(sqs, queueUrl);
  assert.ok(copy, 'the copy is on the queue at once');
  assert.equal(copy.Body, message.body);
  assert.equal(copy.MessageAttributes?.[EARLIER_RECEIVES]?.StringValue, '2', 'the receive that rolled it over did no work');
  assert.equal(copy.MessageAttributes?.[EARLIER_CODES]?.StringValue, 'INDEX_UNAVAILABLE');
  assert.equal(copy.MessageAttributes?.['tenant']?.StringValue, 'acme', "the upstream's own attributes are kept");
  const parsed = toQueueMessage(copy)!;
  assert.equal(totalReceives(parsed), 3);
  assert.deepEqual(parsed.earlierCodes, ['INDEX_UNAVAILABLE']);
  assert.equal(parsed.attributes?.[EARLIER_RECEIVES], undefined);
  assert.equal(settler.isLastReceive(parsed), false);
  assert.equal(settler.rollsOverOnReceipt(parsed), false, 'a first receive is worked on');
  // with maxReceiveCount 3, the second receive already rolls over: one receive is kept for a lost answer
  assert.equal(settler.rollsOverOnReceipt({ ...parsed, receiveCount: 2 }), true);
  const strict = new Settler({ acknowledger: new Acknowledger({ sqs, queueUrl, dlqUrl: undefined }), maxReceiveCount: 2 });
  assert.deepEqual([1, 2].map((receiveCount) => strict.rollsOverOnReceipt({ ...parsed, receiveCount })), [false, true]);
  const one = new Settler({ acknowledger: new Acknowledger({ sqs, queueUrl, dlqUrl: undefined }), maxReceiveCount: 1 });
  assert.equal(one.rollsOverOnReceipt({ ...parsed, receiveCount: 5 }), false, 'with 1 nothing can be kept in reserve');
  assert.equal((await queueCounts(sqs, queueUrl)).total, 1, 'the original is gone');
});

test('a transient failure on the last allowed attempt is dead-lettered by the daemon with its reason and the earlier codes', async () => {
  const { queueUrl, dlqUrl, settler } = await setup();
  // a rolled-over copy on its first receive: 2 earlier receives + 1 = the 3rd attempt
  const message = await receivedTimes(queueUrl, 1, { [EARLIER_RECEIVES]: '2', [EARLIER_CODES]: 'TIMEOUT,INTERNAL' });
  const settled = await settler.settle(message, 'retry', failure(), message.earlierCodes!);
  assert.equal(settled.outcome, 'dead-letter');
  const [letter] = await receiveVisible(sqs, dlqUrl);
  const attrs = letter!.MessageAttributes!;
  assert.equal(attrs['ErrorCode']?.StringValue, 'INTERNAL');
  assert.equal(attrs['ErrorMessage']?.StringValue, 'Error: something broke');
  assert.equal(attrs['ReceiveCount']?.StringValue, '3');
  assert.equal(attrs['EarlierErrorCodes']?.StringValue, 'TIMEOUT,INTERNAL');
  assert.ok(!Number.isNaN(Date.parse(attrs['FailedAt']!.StringValue!)));
  assert.equal((await queueCounts(sqs, queueUrl)).total, 0);
});

test('an outage on the last attempt is given back while the dependency is down, and dead-lettered once it is not', async () => {
  let down = true;
  const { queueUrl, dlqUrl, settler, asked } = await setup({ down: () => down });
  const message = await receivedTimes(queueUrl, 1, { [EARLIER_RECEIVES]: '5' });
  const outage = transient('CONNECTION', 'ECONNREFUSED').from('dynamodb');
  const kept = await settler.settle(message, 'retry', outage, []);
  assert.deepEqual(kept, { outcome: 'retry', via: 'visibility', delaySeconds: OUTAGE_RETRY_SECONDS, kept: 'dependency-down' });
  assert.deepEqual(asked, ['dynamodb']);
  assert.equal((await queueCounts(sqs, dlqUrl)).total, 0);
  // an INDEX_* code names OpenSearch even without an attribution
  await settler.settle(message, 'retry', transient('INDEX_UNAVAILABLE', '503'), []);
  assert.deepEqual(asked, ['dynamodb', 'opensearch']);
  down = false;
  assert.equal((await settler.settle(message, 'retry', outage, [])).outcome, 'dead-letter', 'the probe says it answers: the failure is this message\'s');
  assert.equal((await receiveVisible(sqs, dlqUrl))[0]?.MessageAttributes?.['ErrorCode']?.StringValue, 'CONNECTION');
});

test('a busy object is given back until its lease ends, never dead-lettered', async () => {
  const { queueUrl, dlqUrl, settler } = await setup();
  const message = await receivedTimes(queueUrl, 1, { [EARLIER_RECEIVES]: '9' });
  const busy = transient('OBJECT_BUSY', 'leased by another', undefined, { retryAfterSeconds: 7 });
  assert.deepEqual(await settler.settle(message, 'retry', busy, []), { outcome: 'retry', via: 'visibility', delaySeconds: 8, kept: 'busy' });
  assert.equal((await queueCounts(sqs, dlqUrl)).total, 0);
});

test('with a RedrivePolicy of 1 a give-back is a rollover; without a DLQ nothing is ever dead-lettered', async () => {
  const { queueUrl } = await createQueuePair(sqs, uniqueName('settler-one'), 1);
  const acknowledger = new Acknowledger({ sqs, queueUrl, dlqUrl: undefined, lingerMs: 0 });
  const settler = new Settler({ acknowledger, maxReceiveCount: 1, backoff: { baseSeconds: 1, maxSeconds: 1 } });
  assert.equal(settler.maxReceives, Number.POSITIVE_INFINITY);
  const message = await receivedTimes(queueUrl, 1);
  const settled = await settler.settle(message, 'dead-letter', transient('INTERNAL', 'no dlq'), []);
  assert.equal(settled.outcome, 'retry');
  assert.equal(settled.via, 'rollover');
  const copy = toQueueMessage(await waitFor(async () => (await receiveVisible(sqs, queueUrl))[0], { what: 'the copy (delayed by its backoff)' }))!;
  assert.deepEqual(copy.earlierCodes, ['INTERNAL']);
  assert.equal(totalReceives(copy), 2);
});
