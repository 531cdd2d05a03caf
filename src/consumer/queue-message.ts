import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';

/**
 * Message attributes the daemon adds when it sends a message again as a new one (a "rollover",
 * src/consumer/settler.ts): receives and error codes of the earlier copies, so a message's history
 * survives the reset of its ApproximateReceiveCount.
 */
export const EARLIER_RECEIVES = 'SpotIngestEarlierReceives';
export const EARLIER_CODES = 'SpotIngestEarlierErrorCodes';

/** A received SQS message, reduced to what the daemon uses. */
export interface QueueMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  /** ApproximateReceiveCount (1 on first delivery). */
  receiveCount: number;
  /** epoch ms when this process received it */
  receivedAt: number;
  /** Receives of earlier copies of this message (rolled over by the daemon); 0 for an original. */
  earlierReceives?: number;
  /** Error codes of earlier attempts carried by a rolled-over copy, oldest first. */
  earlierCodes?: string[];
  /** The message's own attributes (copied onto a rolled-over copy), without the daemon's. */
  attributes?: Record<string, MessageAttributeValue>;
  /** FIFO queues only. */
  groupId?: string;
}

/** Every receive of this message so far, earlier copies included (1 on first delivery). */
export function totalReceives(message: QueueMessage): number {
  return (message.earlierReceives ?? 0) + message.receiveCount;
}

export function toQueueMessage(message: Message, receivedAt = Date.now()): QueueMessage | null {
  if (message.ReceiptHandle === undefined || message.MessageId === undefined) return null;
  const count = Number(message.Attributes?.ApproximateReceiveCount ?? '1');
  const attributes = { ...(message.MessageAttributes ?? {}) };
  const earlier = Number(attributes[EARLIER_RECEIVES]?.StringValue ?? '0');
  const codes = attributes[EARLIER_CODES]?.StringValue;
  delete attributes[EARLIER_RECEIVES];
  delete attributes[EARLIER_CODES];
  const groupId = message.Attributes?.MessageGroupId;
  return {
    messageId: message.MessageId,
    receiptHandle: message.ReceiptHandle,
    body: message.Body ?? '',
    receiveCount: Number.isFinite(count) && count > 0 ? count : 1,
    receivedAt,
    ...(Number.isInteger(earlier) && earlier > 0 ? { earlierReceives: earlier } : {}),
    ...(codes ? { earlierCodes: codes.split(',').filter((c) => /^[A-Z0-9_]+$/.test(c)).slice(-20) } : {}),
    ...(Object.keys(attributes).length > 0 ? { attributes } : {}),
    ...(groupId ? { groupId } : {}),
  };
}
