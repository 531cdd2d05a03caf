/**
 * Upload local files to S3 and enqueue one native FILE_UPLOADED message each (README "Message
 * formats" 1). Shared by the local-mode sample seeding and `spot-ingest send`.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';

/** SQS accepts at most 10 entries per SendMessageBatch. */
export const SQS_BATCH_SIZE = 10;

/** One local file and where it goes. */
export interface FileToEnqueue {
  /** Local path to read. */
  path: string;
  /** S3 key (not URL-encoded). */
  key: string;
  /** `originalPath` of the message: where the file came from. */
  originalPath: string;
}

export interface EnqueuedFile extends FileToEnqueue {
  bucket: string;
  size: number;
  /** The message id SQS gave the FILE_UPLOADED message. */
  messageId: string;
}

/** The native upstream event body for an uploaded object. */
export function fileUploadedMessage(o: { bucket: string; key: string; size: number; originalPath: string; timestamp?: Date }): string {
  return JSON.stringify({
    eventType: 'FILE_UPLOADED', s3Bucket: o.bucket, s3Key: o.key, fileSize: o.size,
    originalPath: o.originalPath, timestamp: (o.timestamp ?? new Date()).toISOString(),
  });
}

/**
 * Files up to this size are read into memory and uploaded from a buffer, which the SDK can retry
 * (throttling, 5xx); larger ones are streamed (no SDK retry for a streamed body, but bounded memory).
 */
export const BUFFERED_UPLOAD_MAX_BYTES = 8 * 1024 * 1024;

/** Upload one file and return its message body and size. */
export async function uploadFile(s3: S3Client, bucket: string, file: FileToEnqueue): Promise<{ body: string; size: number }> {
  let size = (await stat(file.path)).size;
  if (size <= BUFFERED_UPLOAD_MAX_BYTES) {
    const bytes = await readFile(file.path);
    size = bytes.length;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: file.key, Body: bytes }));
  } else {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: file.key, Body: createReadStream(file.path), ContentLength: size }));
  }
  return { body: fileUploadedMessage({ bucket, key: file.key, size, originalPath: file.originalPath }), size };
}

/**
 * SendMessageBatch for up to 10 bodies; entries SQS reports as failed are retried once, then an
 * error names them. Returns the message ids in the order of `bodies`.
 */
export async function sendMessageBatch(sqs: SQSClient, queueUrl: string, bodies: string[]): Promise<string[]> {
  if (bodies.length > SQS_BATCH_SIZE) throw new RangeError(`at most ${SQS_BATCH_SIZE} messages per batch (got ${bodies.length})`);
  const ids: (string | undefined)[] = bodies.map(() => undefined);
  let pending: SendMessageBatchRequestEntry[] = bodies.map((body, i) => ({ Id: String(i), MessageBody: body }));
  let failures: string[] = [];
  for (let attempt = 0; attempt < 2 && pending.length > 0; attempt++) {
    const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
    for (const ok of out.Successful ?? []) ids[Number(ok.Id)] = ok.MessageId;
    const failed = out.Failed ?? [];
    failures = failed.map((f) => `${f.Code ?? 'error'}: ${f.Message ?? ''}`.trim());
    // a sender fault (e.g. an invalid body) will not succeed on a retry
    if (failed.some((f) => f.SenderFault)) break;
    const retry = new Set(failed.map((f) => f.Id));
    pending = pending.filter((e) => retry.has(e.Id));
  }
  if (ids.some((id) => id === undefined)) {
    throw new Error(`SendMessageBatch failed for ${ids.filter((id) => id === undefined).length} of ${bodies.length} messages (${[...new Set(failures)].join('; ')})`);
  }
  return ids as string[];
}

/**
 * Upload the files and enqueue their messages, in groups of 10: the group's uploads run in
 * parallel, then one SendMessageBatch. `onEnqueued` is called per file once its message is on the
 * queue (in the order given), so a failure part-way leaves a truthful report of what was sent.
 */
export async function enqueueFiles(o: {
  s3: S3Client;
  sqs: SQSClient;
  bucket: string;
  queueUrl: string;
  files: FileToEnqueue[];
  onEnqueued?: (file: EnqueuedFile) => void;
}): Promise<EnqueuedFile[]> {
  const done: EnqueuedFile[] = [];
  for (let i = 0; i < o.files.length; i += SQS_BATCH_SIZE) {
    const group = o.files.slice(i, i + SQS_BATCH_SIZE);
    // every upload of the group settles before a failure is reported (none is left running)
    const settled = await Promise.allSettled(group.map((file) => uploadFile(o.s3, o.bucket, file)));
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const uploaded = settled.map((r) => (r as PromiseFulfilledResult<{ body: string; size: number }>).value);
    const ids = await sendMessageBatch(o.sqs, o.queueUrl, uploaded.map((u) => u.body));
    group.forEach((file, j) => {
      const sent: EnqueuedFile = { ...file, bucket: o.bucket, size: uploaded[j]!.size, messageId: ids[j]! };
      done.push(sent);
      o.onEnqueued?.(sent);
    });
  }
  return done;
}
