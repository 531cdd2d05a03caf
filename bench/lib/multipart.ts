/**
 * A large object uploaded with S3 multipart upload (CreateMultipartUpload / UploadPart /
 * CompleteMultipartUpload; @aws-sdk/lib-storage is not installed), the parts generated one at a
 * time so this process never holds the whole object (fauxqs, the emulator, does: in its memory).
 */
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, UploadPartCommand, type S3Client,
} from '@aws-sdk/client-s3';

/** fauxqs accepts request bodies up to 11 MiB. */
export const PART_BYTES = 8 * 1024 * 1024;

export async function uploadGenerated(
  s3: S3Client,
  bucket: string,
  key: string,
  totalBytes: number,
  part: (index: number, bytes: number) => Buffer,
  contentType = 'application/octet-stream',
): Promise<void> {
  const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: contentType }));
  const uploadId = created.UploadId;
  if (uploadId === undefined) throw new Error('CreateMultipartUpload: no UploadId');
  try {
    const parts: Array<{ ETag: string; PartNumber: number }> = [];
    for (let i = 0, done = 0; done < totalBytes; i++) {
      const bytes = Math.min(PART_BYTES, totalBytes - done);
      const out = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: i + 1, Body: part(i, bytes), ContentLength: bytes }));
      parts.push({ ETag: out.ETag!, PartNumber: i + 1 });
      done += bytes;
    }
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
  } catch (err) {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
    throw err;
  }
}

/** Parts of zeros. */
export const zeros = (_i: number, bytes: number) => Buffer.alloc(bytes);

/** Parts of ASCII text lines ("line N of the chaos bench ...\n", repeated). */
export function textLines(_i: number, bytes: number): Buffer {
  return Buffer.alloc(bytes, 'spot-ingest chaos benchmark: one gibibyte of plain text streamed through the download step.\n');
}
