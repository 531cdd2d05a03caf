import type { Message } from '@aws-sdk/client-sqs';

/** A received SQS message, reduced to what the daemon uses. */
export interface QueueMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  /** ApproximateReceiveCount (1 on first delivery). */
  receiveCount: number;
  /** epoch ms when this process received it */
  receivedAt: number;
}

export function toQueueMessage(message: Message, receivedAt = Date.now()): QueueMessage | null {
  if (message.ReceiptHandle === undefined || message.MessageId === undefined) return null;
  const count = Number(message.Attributes?.ApproximateReceiveCount ?? '1');
  return {
    messageId: message.MessageId,
    receiptHandle: message.ReceiptHandle,
    body: message.Body ?? '',
    receiveCount: Number.isFinite(count) && count > 0 ? count : 1,
    receivedAt,
  };
}
