/**
 * SNS envelopes (docs/design.md §2.5): an SNS topic subscribed by the queue without raw message
 * delivery wraps the publisher's text as `{"Type":"Notification","MessageId",...,"Message":"<text>"}`.
 * This module only unwraps; the caller parses what was inside.
 */
import { permanent } from '../core/errors.ts';
import { CODES } from '../core/codes.ts';
import { type FieldContext, invalidField, preview } from './fields.ts';
import { parseJson } from './json.ts';

const ctx: FieldContext = { format: 'sns', label: 'SNS notification' };

/** SNS's envelope `Type`s; only Notification carries a message to process. */
const SNS_TYPES = new Set(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']);

export function isSnsEnvelope(body: Record<string, unknown>): boolean {
  return typeof body['Type'] === 'string' && SNS_TYPES.has(body['Type']) && ('Message' in body || 'TopicArn' in body);
}

export interface SnsUnwrapped {
  /** The parsed JSON of the envelope's `Message`. */
  inner: unknown;
  messageId: string | undefined;
  topicArn: string | undefined;
}

export function unwrapSns(body: Record<string, unknown>): SnsUnwrapped {
  const type = body['Type'];
  const messageId = typeof body['MessageId'] === 'string' ? body['MessageId'] : undefined;
  const topicArn = typeof body['TopicArn'] === 'string' ? body['TopicArn'] : undefined;
  if (type !== 'Notification') {
    throw permanent(
      CODES.EVENT_UNSUPPORTED,
      `Unsupported SNS message of Type ${preview(type)} from topic ${topicArn ?? '(unknown)'}: only Notification ` +
        'messages carry file events (a subscription must be confirmed by the operator, e.g. via its SubscribeURL)',
      undefined,
      { format: 'sns', event: type, topicArn, snsMessageId: messageId },
    );
  }
  const message = body['Message'];
  if (message === undefined || message === null) throw invalidField(ctx, 'Message', 'is missing');
  if (typeof message !== 'string') throw invalidField(ctx, 'Message', 'must be a string holding JSON');
  const inner = parseJson(message, 'SNS notification field "Message"');
  return { inner, messageId, topicArn };
}
