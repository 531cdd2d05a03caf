import { GetQueueAttributesCommand, type QueueAttributeName, type SQSClient } from '@aws-sdk/client-sqs';

/** SQS's approximate message counts of one queue. */
export interface QueueDepth {
  /** ApproximateNumberOfMessages: visible, waiting to be received. */
  visible: number;
  /** ApproximateNumberOfMessagesNotVisible: received (in flight) or waiting out a retry backoff. */
  notVisible: number;
  /** ApproximateNumberOfMessagesDelayed. */
  delayed: number;
}

/** One GetQueueAttributes call, cut short by `signal` (and by `timeoutMs`). */
export async function readQueueDepth(sqs: SQSClient, queueUrl: string, signal?: AbortSignal, timeoutMs = 10_000): Promise<QueueDepth> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
    { abortSignal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]) },
  );
  const count = (name: QueueAttributeName) => {
    const n = Number(out.Attributes?.[name] ?? 0);
    return Number.isFinite(n) && n >= 0 ? n : 0;
  };
  return {
    visible: count('ApproximateNumberOfMessages'),
    notVisible: count('ApproximateNumberOfMessagesNotVisible'),
    delayed: count('ApproximateNumberOfMessagesDelayed'),
  };
}

/** The queue's name: the last path segment of its URL. */
export function queueNameOf(queueUrl: string): string {
  const segments = new URL(queueUrl).pathname.split('/').filter(Boolean);
  return segments.at(-1) ?? queueUrl;
}
