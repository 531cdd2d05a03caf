/**
 * The two messages the daemon sends about a message it received, shared by the acknowledger (from
 * the queue) and the DLQ sweep (from the DLQ): a dead letter with its reason, and a copy sent again
 * to the queue (a rollover) carrying its receives and codes.
 */
import { randomUUID } from 'node:crypto';
import type { MessageAttributeValue, SendMessageCommandInput } from '@aws-sdk/client-sqs';
import { EARLIER_CODES, EARLIER_RECEIVES, type QueueMessage } from './queue-message.ts';

const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });
const number = (value: number): MessageAttributeValue => ({ DataType: 'Number', StringValue: String(value) });
/** SQS refuses an empty body. */
const bodyOf = (message: QueueMessage) => (message.body === '' ? '(empty message body)' : message.body);

/** A FIFO queue needs a group (the original's) and a deduplication id (a fresh one: this is a new send). */
function fifoFields(queueUrl: string, message: QueueMessage) {
  if (!queueUrl.endsWith('.fifo')) return {};
  return { MessageGroupId: message.groupId ?? 'spot-ingest', MessageDeduplicationId: randomUUID() };
}

/**
 * The dead letter: the body with ErrorCode, ErrorMessage, FailedAt, ReceiveCount (every receive,
 * earlier copies included), OriginalMessageId, and EarlierErrorCodes when earlier codes are known.
 */
export function deadLetterRequest(
  dlqUrl: string, message: QueueMessage, error: { code: string; message: string }, receives: number, earlierCodes: readonly string[],
): SendMessageCommandInput {
  return {
    QueueUrl: dlqUrl,
    MessageBody: bodyOf(message),
    MessageAttributes: {
      ErrorCode: text(error.code),
      ErrorMessage: text(error.message.slice(0, 1024) || error.code),
      FailedAt: text(new Date().toISOString()),
      ReceiveCount: number(receives),
      OriginalMessageId: text(message.messageId),
      ...(earlierCodes.length > 0 ? { EarlierErrorCodes: text(earlierCodes.join(',')) } : {}),
    },
    ...fifoFields(dlqUrl, message),
  };
}

/**
 * The message sent again as a new one (its receive count starts at 0): its body, up to 8 of its own
 * attributes, and the receives and codes so far (`SpotIngestEarlier…`).
 */
export function resendRequest(
  queueUrl: string, message: QueueMessage, options: { delaySeconds: number; receives: number; codes: readonly string[] },
): SendMessageCommandInput {
  return {
    QueueUrl: queueUrl,
    MessageBody: bodyOf(message),
    MessageAttributes: {
      ...Object.fromEntries(Object.entries(message.attributes ?? {}).slice(0, 8)),
      [EARLIER_RECEIVES]: number(options.receives),
      ...(options.codes.length > 0 ? { [EARLIER_CODES]: text(options.codes.slice(-20).join(',')) } : {}),
    },
    ...(queueUrl.endsWith('.fifo') ? {} : { DelaySeconds: Math.max(0, Math.min(900, Math.round(options.delaySeconds))) }),
    ...fifoFields(queueUrl, message),
  };
}
