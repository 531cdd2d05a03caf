import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';

/**
 * The dead-letter queue named by the queue's RedrivePolicy (used when INGEST_DLQ_URL is unset).
 * Returns undefined when the queue has no redrive policy.
 */
export async function discoverDlqUrl(sqs: SQSClient, queueUrl: string, signal?: AbortSignal): Promise<string | undefined> {
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy'] }), { abortSignal: signal });
  const policy = attrs.Attributes?.RedrivePolicy;
  if (policy === undefined || policy === '') return undefined;
  const arn = (JSON.parse(policy) as { deadLetterTargetArn?: string }).deadLetterTargetArn;
  if (arn === undefined) return undefined;
  // arn:aws:sqs:{region}:{account}:{name}
  const parts = arn.split(':');
  const name = parts[5];
  const account = parts[4];
  if (name === undefined) return undefined;
  const url = await sqs.send(
    new GetQueueUrlCommand({ QueueName: name, ...(account ? { QueueOwnerAWSAccountId: account } : {}) }),
    { abortSignal: signal },
  );
  return url.QueueUrl;
}
