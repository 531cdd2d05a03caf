/** The queue's RedrivePolicy as the daemon reads it: its DLQ and maxReceiveCount, or none. */
import { afterAll, test } from 'vitest';
import assert from 'node:assert/strict';
import { CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { discoverDlqUrl, readRedrivePolicy } from '../../../src/consumer/dlq-discovery.ts';
import { createQueuePair, testSqs, uniqueName } from '../../support/aws.ts';

const sqs = testSqs();
afterAll(() => sqs.destroy());

test('a queue with a RedrivePolicy: its DLQ and maxReceiveCount; one without: neither', async () => {
  const { queueUrl, dlqUrl } = await createQueuePair(sqs, uniqueName('redrive'), 4);
  assert.deepEqual(await readRedrivePolicy(sqs, queueUrl), { dlqUrl, maxReceiveCount: 4 });
  assert.equal(await discoverDlqUrl(sqs, queueUrl), dlqUrl);
  const plain = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('plain') }))).QueueUrl!;
  assert.deepEqual(await readRedrivePolicy(sqs, plain), { dlqUrl: undefined, maxReceiveCount: undefined });
});

test('a policy whose DLQ ARN names no queue name gives no DLQ (the count is still read)', async () => {
  const { queueUrl, dlqUrl } = await createQueuePair(sqs, uniqueName('redrive-odd'), 2);
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const odd = arn.split(':').slice(0, 5).join(':');
  await sqs.send(new SetQueueAttributesCommand({
    QueueUrl: queueUrl, Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: odd, maxReceiveCount: 2 }) },
  }));
  assert.deepEqual(await readRedrivePolicy(sqs, queueUrl), { dlqUrl: undefined, maxReceiveCount: 2 });
});
