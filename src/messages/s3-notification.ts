/**
 * S3 Event Notifications (docs/design.md §2.2): `{"Records":[{eventSource:"aws:s3", eventName,
 * eventTime, s3:{bucket:{name}, object:{key,size,eTag,versionId,sequencer}}}]}`.
 * Keys are form-URL-encoded (`+` for space). One event per record, in order.
 */
import { z } from 'zod';
import { permanent } from '../core/errors.ts';
import { CODES } from '../core/codes.ts';
import type { FileEvent } from './file-event.ts';
import {
  compact,
  type FieldContext,
  invalidField,
  optionalText,
  parseShape,
  preview,
  readBucket,
  readEtag,
  readEventTime,
  readKey,
  readSize,
  unsupportedEvent,
} from './fields.ts';

const ctx: FieldContext = { format: 's3-notification', label: 'S3 event notification' };

const RecordHeader = z.object({
  eventSource: z.string(),
  eventName: z.string(),
});

const RecordShape = z.object({
  eventTime: z.unknown().optional(),
  s3: z.object({
    bucket: z.object({ name: z.string() }),
    object: z.object({
      key: z.string(),
      size: z.unknown().optional(),
      eTag: z.string().nullish(),
      versionId: z.string().nullish(),
      sequencer: z.string().nullish(),
    }),
  }),
});

export function isS3Notification(body: Record<string, unknown>): boolean {
  return 'Records' in body;
}

/** ObjectCreated:* → upsert; ObjectRemoved:* and LifecycleExpiration:* → delete; else unsupported. */
function kindOf(eventName: string): FileEvent['kind'] | undefined {
  const name = eventName.startsWith('s3:') ? eventName.slice(3) : eventName;
  if (name.startsWith('ObjectCreated:')) return 'upsert';
  if (name.startsWith('ObjectRemoved:') || name.startsWith('LifecycleExpiration:')) return 'delete';
  return undefined;
}

export function parseS3Notification(body: Record<string, unknown>, receivedAt: Date): FileEvent[] {
  const records = body['Records'];
  if (!Array.isArray(records)) throw invalidField(ctx, 'Records', 'must be an array');
  if (records.length === 0) throw invalidField(ctx, 'Records', 'is empty (no records to process)');

  // Classify every record before reading any, so one unsupported record fails the message whole.
  const classified = records.map((record: unknown, i) => {
    const where = `Records[${i}]`;
    const header = parseShape(RecordHeader, record, ctx, where);
    if (header.eventSource !== 'aws:s3') {
      throw permanent(
        CODES.MESSAGE_UNKNOWN_FORMAT,
        `Message has "Records" but ${where}.eventSource is ${preview(header.eventSource)}, not "aws:s3"; ` +
          'only S3 event notifications are accepted',
        undefined,
        { field: `${where}.eventSource`, eventSource: header.eventSource },
      );
    }
    const kind = kindOf(header.eventName);
    if (kind === undefined) {
      throw unsupportedEvent(
        ctx,
        header.eventName,
        `${where} is neither ObjectCreated:*, ObjectRemoved:* nor LifecycleExpiration:*`,
      );
    }
    return { kind, record, where };
  });

  return classified.map(({ kind, record, where }): FileEvent => {
    const r = parseShape(RecordShape, record, ctx, where);
    const o = r.s3.object;
    return compact<FileEvent>({
      kind,
      bucket: readBucket(r.s3.bucket.name, `${where}.s3.bucket.name`, ctx),
      key: readKey(o.key, `${where}.s3.object.key`, ctx, true),
      size: readSize(o.size, `${where}.s3.object.size`, ctx),
      etag: readEtag(o.eTag),
      versionId: optionalText(o.versionId),
      sequencer: optionalText(o.sequencer),
      eventTime: readEventTime(r.eventTime, `${where}.eventTime`, ctx, receivedAt),
    });
  });
}
