/** An object in object storage (S3, the local emulator, a directory): its metadata and body. */
import type { Readable } from 'node:stream';

export interface ObjectHead {
  size: number;
  etag?: string;
  versionId?: string;
  contentType?: string;
  lastModified?: Date;
}

export interface ObjectBody extends ObjectHead {
  body: Readable;
}

export interface StorageOptions {
  signal?: AbortSignal;
}
