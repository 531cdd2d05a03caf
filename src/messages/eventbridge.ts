/**
 * S3 events delivered by EventBridge (docs/design.md §2.4): `source` "aws.s3", `detail-type`
 * "Object Created" | "Object Deleted", `detail.bucket.name`, `detail.object.{key,size,etag,
 * version-id,sequencer}`, event time in `time`. Keys are NOT URL-encoded here.
 */
import { z } from 'zod';
import type { FileEvent } from './file-event.ts';
import {
  compact,
  type FieldContext,
  optionalText,
  parseShape,
  readBucket,
  readEtag,
  readEventTime,
  readKey,
  readSize,
  unsupportedEvent,
} from './fields.ts';

const ctx: FieldContext = { format: 'eventbridge', label: 'EventBridge event' };

const KINDS: Readonly<Record<string, FileEvent['kind']>> = {
  'Object Created': 'upsert',
  'Object Deleted': 'delete',
};

const Envelope = z.object({
  source: z.string(),
  'detail-type': z.string(),
});

const S3Detail = z.object({
  time: z.unknown().optional(),
  detail: z.object({
    bucket: z.object({ name: z.string() }),
    object: z.object({
      key: z.string(),
      size: z.unknown().optional(),
      etag: z.string().nullish(),
      'version-id': z.string().nullish(),
      sequencer: z.string().nullish(),
    }),
  }),
});

export function isEventBridgeEvent(body: Record<string, unknown>): boolean {
  return 'detail-type' in body && 'source' in body;
}

export function parseEventBridgeEvent(body: Record<string, unknown>, receivedAt: Date): FileEvent[] {
  const envelope = parseShape(Envelope, body, ctx);
  const detailType = envelope['detail-type'];
  if (envelope.source !== 'aws.s3') {
    throw unsupportedEvent(ctx, detailType, `source is "${envelope.source}"; only "aws.s3" events are handled`);
  }
  const kind = Object.hasOwn(KINDS, detailType) ? KINDS[detailType] : undefined;
  if (kind === undefined) {
    throw unsupportedEvent(ctx, detailType, `detail-type must be one of ${Object.keys(KINDS).join(', ')}`);
  }
  const msg = parseShape(S3Detail, body, ctx);
  const o = msg.detail.object;
  return [
    compact<FileEvent>({
      kind,
      bucket: readBucket(msg.detail.bucket.name, 'detail.bucket.name', ctx),
      key: readKey(o.key, 'detail.object.key', ctx, false),
      size: readSize(o.size, 'detail.object.size', ctx),
      etag: readEtag(o.etag),
      versionId: optionalText(o['version-id']),
      sequencer: optionalText(o.sequencer),
      eventTime: readEventTime(msg.time, 'time', ctx, receivedAt),
    }),
  ];
}
