/**
 * Object storage, as the pipeline uses it: S3 in production and locally (the emulator), a directory
 * for `replay` and `process <path>` (src/adapters/storage/).
 */
import type { ObjectBody, StorageOptions } from '../../core/stored-object.ts';

export interface StoragePort {
  /** Rejects with IngestError code OBJECT_NOT_FOUND (not retryable) when the key does not exist. */
  get(bucket: string, key: string, options?: StorageOptions & { versionId?: string }): Promise<ObjectBody>;
  put(bucket: string, key: string, body: Buffer, contentType: string, options?: StorageOptions): Promise<void>;
  /** Removes the object; a missing object is not an error. */
  delete(bucket: string, key: string, options?: StorageOptions): Promise<void>;
}
