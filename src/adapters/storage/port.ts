import type { Readable } from 'node:stream';

/** Object storage port (S3 in production, the emulator locally). */
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

export interface StoragePort {
  /** Rejects with IngestError code OBJECT_NOT_FOUND (not retryable) when the key does not exist. */
  get(bucket: string, key: string, options?: StorageOptions & { versionId?: string }): Promise<ObjectBody>;
  put(bucket: string, key: string, body: Buffer, contentType: string, options?: StorageOptions): Promise<void>;
  /** Removes the object; a missing object is not an error. */
  delete(bucket: string, key: string, options?: StorageOptions): Promise<void>;
}
