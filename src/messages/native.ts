/**
 * The upstream system's own event (docs/design.md §2.1):
 * `{"eventType":"FILE_UPLOADED"|"FILE_MODIFIED"|"FILE_DELETED","s3Bucket","s3Key","fileSize",
 *   "mimeType","originalPath","checksum","timestamp"|"uploadedAt","metadata":{...}}`.
 * `s3Key` is the literal key (not URL-encoded).
 */
import { z } from 'zod';
import type { FileEvent } from './file-event.ts';
import {
  compact,
  type FieldContext,
  isPlainObject,
  optionalText,
  parseShape,
  readBucket,
  readEventTime,
  readKey,
  readSize,
  unsupportedEvent,
} from './fields.ts';

const ctx: FieldContext = { format: 'native', label: 'native event' };

const KINDS = {
  FILE_UPLOADED: 'upsert',
  FILE_MODIFIED: 'upsert',
  FILE_DELETED: 'delete',
} as const satisfies Record<string, FileEvent['kind']>;

const EventTypeShape = z.object({ eventType: z.string() });

const NativeShape = z.object({
  s3Bucket: z.string(),
  s3Key: z.string(),
  fileSize: z.unknown().optional(),
  mimeType: z.string().nullish(),
  originalPath: z.string().nullish(),
  checksum: z.string().nullish(),
  timestamp: z.unknown().optional(),
  uploadedAt: z.unknown().optional(),
  metadata: z.unknown().optional(),
});

/** True when the body looks like a native event (even a broken one, so its errors are specific). */
export function isNativeEvent(body: Record<string, unknown>): boolean {
  return 'eventType' in body || 's3Bucket' in body || 's3Key' in body;
}

function metadataText(metadata: unknown, ...names: string[]): string | undefined {
  if (!isPlainObject(metadata)) return undefined;
  for (const name of names) {
    const value = metadata[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

export function parseNativeEvent(body: Record<string, unknown>, receivedAt: Date): FileEvent[] {
  const { eventType } = parseShape(EventTypeShape, body, ctx);
  if (!Object.hasOwn(KINDS, eventType)) {
    throw unsupportedEvent(ctx, eventType, `eventType must be one of ${Object.keys(KINDS).join(', ')}`);
  }
  const kind = KINDS[eventType as keyof typeof KINDS];
  const msg = parseShape(NativeShape, body, ctx);

  const timeField = msg.timestamp !== undefined && msg.timestamp !== null ? 'timestamp' : 'uploadedAt';
  return [
    compact<FileEvent>({
      kind,
      bucket: readBucket(msg.s3Bucket, 's3Bucket', ctx),
      key: readKey(msg.s3Key, 's3Key', ctx, false),
      size: readSize(msg.fileSize, 'fileSize', ctx),
      mimeType: optionalText(msg.mimeType) ?? metadataText(msg.metadata, 'mimeType', 'mime_type'),
      originalPath: optionalText(msg.originalPath) ?? metadataText(msg.metadata, 'original_path', 'originalPath'),
      checksum: optionalText(msg.checksum),
      eventTime: readEventTime(msg[timeField], timeField, ctx, receivedAt),
    }),
  ];
}
