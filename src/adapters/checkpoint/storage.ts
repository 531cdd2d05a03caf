/**
 * Checkpoints as one JSON object per document in object storage: S3 under
 * INGEST_CHECKPOINT_BUCKET / INGEST_CHECKPOINT_PREFIX in production (any instance of the fleet can
 * read it), a directory under the data dir in local mode. `<prefix><document id>.json`.
 */
import { Buffer } from 'node:buffer';
import { buffer } from 'node:stream/consumers';
import { isIngestError } from '../../core/errors.ts';
import type { PageResult } from '../../core/document.ts';
import type { ObjectBody } from '../../core/stored-object.ts';

/** What checkpoints need of object storage (S3Storage and DirectoryStorage have it). */
export interface CheckpointStore {
  /** Rejects with IngestError code OBJECT_NOT_FOUND when the key does not exist. */
  get(bucket: string, key: string, options?: { signal?: AbortSignal }): Promise<ObjectBody>;
  put(bucket: string, key: string, body: Buffer, contentType: string, options?: { signal?: AbortSignal }): Promise<void>;
  delete(bucket: string, key: string, options?: { signal?: AbortSignal }): Promise<void>;
}

interface Stored {
  version: 1;
  sha256: string;
  savedAt: string;
  pages: PageResult[];
}

export class StorageCheckpoints {
  readonly #storage: CheckpointStore;
  readonly #bucket: string;
  readonly #prefix: string;

  constructor(storage: CheckpointStore, bucket: string, prefix: string) {
    this.#storage = storage;
    this.#bucket = bucket;
    this.#prefix = prefix;
  }

  key(documentId: string): string {
    return `${this.#prefix}${documentId}.json`;
  }

  async load(documentId: string, sha256: string, options: { signal?: AbortSignal } = {}): Promise<PageResult[]> {
    let body;
    try {
      body = (await this.#storage.get(this.#bucket, this.key(documentId), options)).body;
    } catch (err) {
      if (isIngestError(err) && err.code === 'OBJECT_NOT_FOUND') return [];
      throw err;
    }
    const bytes = await buffer(body);
    let stored: Stored;
    try {
      stored = JSON.parse(bytes.toString('utf8')) as Stored;
    } catch {
      return []; // a torn or foreign object: start over rather than fail the file
    }
    if (stored.version !== 1 || stored.sha256 !== sha256 || !Array.isArray(stored.pages)) return [];
    return stored.pages.filter((p) => Number.isInteger(p.page) && typeof p.text === 'string' && p.source !== 'failed');
  }

  async save(documentId: string, sha256: string, pages: readonly PageResult[], options: { signal?: AbortSignal } = {}): Promise<void> {
    const stored: Stored = { version: 1, sha256, savedAt: new Date().toISOString(), pages: [...pages].sort((a, b) => a.page - b.page) };
    await this.#storage.put(this.#bucket, this.key(documentId), Buffer.from(JSON.stringify(stored)), 'application/json', options);
  }

  async clear(documentId: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.#storage.delete(this.#bucket, this.key(documentId), options);
  }
}
