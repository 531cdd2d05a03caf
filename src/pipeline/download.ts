import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { permanent } from '../core/errors.ts';
import type { StoragePort } from './ports/storage.ts';

export interface Downloaded {
  path: string;
  size: number;
  sha256: string;
  etag?: string;
  versionId?: string;
  contentType?: string;
  lastModified?: Date;
}

export interface DownloadOptions {
  storage: StoragePort;
  bucket: string;
  key: string;
  versionId?: string;
  /** Where to write (a fresh path from TempFiles; created 0600, must not exist). */
  path: string;
  maxBytes: number;
  signal: AbortSignal;
}

function tooLarge(bucket: string, key: string, size: number, maxBytes: number) {
  return permanent(
    'OBJECT_TOO_LARGE',
    `s3://${bucket}/${key} is ${size} bytes, over INGEST_MAX_FILE_BYTES (${maxBytes})`,
    undefined,
    { size, maxBytes },
  );
}

/** Stream an object to a private temp file, hashing as it goes and enforcing the size limit. */
export async function downloadObject(o: DownloadOptions): Promise<Downloaded> {
  const object = await o.storage.get(o.bucket, o.key, { signal: o.signal, ...(o.versionId ? { versionId: o.versionId } : {}) });
  if (object.size > o.maxBytes) {
    object.body.destroy();
    throw tooLarge(o.bucket, o.key, object.size, o.maxBytes);
  }
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > o.maxBytes) return done(tooLarge(o.bucket, o.key, size, o.maxBytes));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(object.body, meter, createWriteStream(o.path, { mode: 0o600, flags: 'wx' }), { signal: o.signal });
  const { body: _body, ...head } = object;
  return { ...head, path: o.path, size, sha256: hash.digest('hex') };
}
