/**
 * Entry point: one SQS message body → its FileEvents (docs/design.md §2). Recognises the native
 * upstream event, S3 Event Notifications, s3:TestEvent, EventBridge S3 events, and any of them
 * wrapped once by SNS. Every failure is a permanent IngestError (→ dead-letter, §4) with code
 * MESSAGE_INVALID_JSON, MESSAGE_UNKNOWN_FORMAT, MESSAGE_INVALID_FIELD or EVENT_UNSUPPORTED.
 */
import { isIngestError, permanent } from '../core/errors.ts';
import { CODES } from '../core/codes.ts';
import { isEventBridgeEvent, parseEventBridgeEvent } from './eventbridge.ts';
import { isPlainObject, preview } from './fields.ts';
import type { ParsedMessage } from './file-event.ts';
import { parseJson } from './json.ts';
import { isNativeEvent, parseNativeEvent } from './native.ts';
import { isS3Notification, parseS3Notification } from './s3-notification.ts';
import { checkS3TestEvent, isS3TestEvent } from './s3-test-event.ts';
import { isSnsEnvelope, unwrapSns } from './sns.ts';

const KNOWN_FORMATS =
  'expected a native event (eventType/s3Bucket/s3Key), an S3 event notification (Records), ' +
  'an s3:TestEvent, an EventBridge S3 event (source/detail-type/detail), or one of these wrapped by SNS';

function unknownFormat(value: unknown, where: string): never {
  let shape: string;
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    shape =
      keys.length === 0
        ? 'an empty object'
        : `an object with keys ${keys.slice(0, 10).map((k) => preview(k, 40)).join(', ')}${keys.length > 10 ? ', …' : ''}`;
  } else {
    shape = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
  }
  throw permanent(CODES.MESSAGE_UNKNOWN_FORMAT, `The ${where} is valid JSON but of no known format (${shape}); ${KNOWN_FORMATS}`);
}

function parseDocument(doc: unknown, receivedAt: Date, where: string, allowSns: boolean): ParsedMessage {
  if (!isPlainObject(doc)) unknownFormat(doc, where);

  if (isSnsEnvelope(doc)) {
    if (!allowSns) {
      throw permanent(
        CODES.MESSAGE_UNKNOWN_FORMAT,
        `The ${where} is itself an SNS envelope; only one level of SNS wrapping is unwrapped`,
      );
    }
    const { inner, messageId, topicArn } = unwrapSns(doc);
    try {
      return parseDocument(inner, receivedAt, 'SNS notification\'s "Message"', false);
    } catch (err) {
      if (!isIngestError(err)) throw err;
      const via = messageId === undefined ? 'SNS notification' : `SNS notification ${messageId}`;
      throw permanent(err.code, `${err.message} (in ${via})`, err, {
        ...err.details,
        envelope: 'sns',
        snsMessageId: messageId,
        topicArn,
      });
    }
  }
  if (isS3TestEvent(doc)) {
    checkS3TestEvent(doc);
    return { kind: 'test', format: 's3-test-event' };
  }
  if (isS3Notification(doc)) {
    return { kind: 'events', format: 's3-notification', events: parseS3Notification(doc, receivedAt) };
  }
  if (isEventBridgeEvent(doc)) {
    return { kind: 'events', format: 'eventbridge', events: parseEventBridgeEvent(doc, receivedAt) };
  }
  if (isNativeEvent(doc)) {
    return { kind: 'events', format: 'native', events: parseNativeEvent(doc, receivedAt) };
  }
  return unknownFormat(doc, where);
}

/**
 * Parses one queue message body. `receivedAt` is the event time used when the message carries
 * none (default, or if it is an invalid Date: now). Throws a permanent IngestError for anything that is not a usable event.
 */
export function parseMessageBody(body: string, receivedAt: Date = new Date()): ParsedMessage {
  if (typeof body !== 'string') {
    throw permanent(CODES.MESSAGE_INVALID_JSON, `The message body is missing (got ${body === null ? 'null' : typeof body})`);
  }
  // An unusable fallback time (e.g. new Date(undefined)) must not turn into a RangeError later.
  const fallback = Number.isNaN(receivedAt.getTime()) ? new Date() : receivedAt;
  return parseDocument(parseJson(body, 'message body'), fallback, 'message body', true);
}
