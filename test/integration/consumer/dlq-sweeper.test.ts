/**
 * The DLQ sweep against real SQS semantics (fauxqs): a dead letter SQS moved without a reason goes
 * back to the queue with its receives, or — its receives used up — is dead-lettered again with
 * RECEIVES_EXHAUSTED; the daemon's own dead letters are left alone and visible.
 */
import { afterAll, test } from 'vitest';
import assert from 'node:assert/strict';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { DlqSweeper } from '../../../src/consumer/dlq-sweeper.ts';
import { EARLIER_CODES, EARLIER_RECEIVES, toQueueMessage, totalReceives } from '../../../src/consumer/queue-message.ts';
import { createQueuePair, queueCounts, receiveVisible, testSqs, uniqueName } from '../../support/aws.ts';
import { memoryLogger } from '../../support/silent-logger.ts';
import { waitFor } from '../../support/wait-for.ts';

const sqs = testSqs();
afterAll(() => sqs.destroy());

const str = (v: string) => ({ DataType: 'String', StringValue: v });

test('a dead letter without a reason goes back to the queue with its receives; the daemon\'s own stay in the DLQ, visible', async () => {
  const { queueUrl, dlqUrl } = await createQueuePair(sqs, uniqueName('sweep'), 3);
  await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: '{"eventType":"FILE_UPLOADED","s3Bucket":"b","s3Key":"redriven"}', MessageAttributes: { tenant: str('acme') } }));
  await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: '{"reasoned":true}', MessageAttributes: { ErrorCode: str('PDF_CORRUPT'), ErrorMessage: str('bad') } }));
  const { logger, lines } = memoryLogger();
  const sweeper = new DlqSweeper({ sqs, queueUrl, dlqUrl, maxReceiveCount: 3, giveUpAfter: 12, intervalMs: 60_000, logger });
  assert.deepEqual(await sweeper.sweepOnce(), { requeued: 1, exhausted: 0, kept: 1 });
  const [back] = await receiveVisible(sqs, queueUrl);
  assert.ok(back);
  assert.equal(back.Body, '{"eventType":"FILE_UPLOADED","s3Bucket":"b","s3Key":"redriven"}');
  assert.equal(back.MessageAttributes?.['tenant']?.StringValue, 'acme');
  assert.equal(totalReceives(toQueueMessage(back)!), 4, 'the 3 receives SQS counted, then this one');
  const left = await receiveVisible(sqs, dlqUrl);
  assert.deepEqual(left.map((m) => m.Body), ['{"reasoned":true}'], 'the reasoned letter is visible at once');
  assert.ok(lines().some((l) => l.msg === 'a dead letter SQS moved without a reason was sent back to the queue'));
});

test('a message redriven again and again is dead-lettered with RECEIVES_EXHAUSTED once its receives are used up', async () => {
  const { queueUrl, dlqUrl } = await createQueuePair(sqs, uniqueName('sweep-exhausted'), 3);
  await sqs.send(new SendMessageCommand({
    QueueUrl: dlqUrl, MessageBody: 'again',
    MessageAttributes: { [EARLIER_RECEIVES]: { DataType: 'Number', StringValue: '9' }, [EARLIER_CODES]: str('TIMEOUT') },
  }));
  const { logger } = memoryLogger();
  const sweeper = new DlqSweeper({ sqs, queueUrl, dlqUrl, maxReceiveCount: 3, giveUpAfter: 12, intervalMs: 60_000, logger });
  assert.deepEqual(await sweeper.sweepOnce(), { requeued: 0, exhausted: 1, kept: 0 });
  assert.equal((await queueCounts(sqs, queueUrl)).total, 0);
  const [letter] = await receiveVisible(sqs, dlqUrl);
  const attrs = letter!.MessageAttributes!;
  assert.equal(attrs['ErrorCode']?.StringValue, 'RECEIVES_EXHAUSTED');
  assert.equal(attrs['ReceiveCount']?.StringValue, '12');
  assert.equal(attrs['EarlierErrorCodes']?.StringValue, 'TIMEOUT');
  assert.equal(letter!.Body, 'again');
});

test('started, it sweeps on its own; stop() ends it', async () => {
  const { queueUrl, dlqUrl } = await createQueuePair(sqs, uniqueName('sweep-loop'), 3);
  const { logger } = memoryLogger();
  const sweeper = new DlqSweeper({ sqs, queueUrl, dlqUrl, maxReceiveCount: 3, giveUpAfter: 12, intervalMs: 50, logger }).start();
  try {
    await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: 'late' }));
    await waitFor(async () => (await queueCounts(sqs, queueUrl)).visible === 1, { what: 'the letter back on the queue' });
    assert.equal((await queueCounts(sqs, dlqUrl)).total, 0);
  } finally {
    await sweeper.stop();
  }
});
