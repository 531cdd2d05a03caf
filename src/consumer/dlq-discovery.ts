import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface RedrivePolicy {
  /** The dead-letter queue's URL, or undefined when the queue has no redrive policy. */
  dlqUrl: string | undefined;
  /** After this many receives SQS moves a message to the DLQ (undefined: no redrive policy). */
  maxReceiveCount: number | undefined;
}

/** The queue's RedrivePolicy: its dead-letter queue and maxReceiveCount. */
export async function readRedrivePolicy(sqs: SQSClient, queueUrl: string, signal?: AbortSignal): Promise<RedrivePolicy> {
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy'] }), { abortSignal: signal });
  const policy = attrs.Attributes?.RedrivePolicy;
  if (policy === undefined || policy === '') return { dlqUrl: undefined, maxReceiveCount: undefined };
  const parsed = JSON.parse(policy) as { deadLetterTargetArn?: string; maxReceiveCount?: string | number };
  const max = Number(parsed.maxReceiveCount);
  const maxReceiveCount = Number.isInteger(max) && max > 0 ? max : undefined;
  const arn = parsed.deadLetterTargetArn;
  if (arn === undefined) return { dlqUrl: undefined, maxReceiveCount };
  // arn:aws:sqs:{region}:{account}:{name}
  const parts = arn.split(':');
  const name = parts[5];
  const account = parts[4];
  if (name === undefined) return { dlqUrl: undefined, maxReceiveCount };
  const url = await sqs.send(
    new GetQueueUrlCommand({ QueueName: name, ...(account ? { QueueOwnerAWSAccountId: account } : {}) }),
    { abortSignal: signal },
  );
  return { dlqUrl: url.QueueUrl, maxReceiveCount };
}

/**
 * The dead-letter queue named by the queue's RedrivePolicy (used when INGEST_DLQ_URL is unset).
 * Returns undefined when the queue has no redrive policy.
 */
export async function discoverDlqUrl(sqs: SQSClient, queueUrl: string, signal?: AbortSignal): Promise<string | undefined> {
  return (await readRedrivePolicy(sqs, queueUrl, signal)).dlqUrl;
}
