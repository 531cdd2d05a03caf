/** Shared helpers for the OpenSearch adapter tests. */
import { randomUUID, createHash } from 'node:crypto';
import type { IndexDocument } from '../../../src/core/index-document.ts';
import { documentId } from '../../../src/adapters/index/document-id.ts';
import { isIngestError, type IngestError } from '../../../src/core/errors.ts';

/** A unique index name per test. */
export function uniqueIndex(prefix = 'files'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A valid §6 document for `bucket/key`. */
export function makeDoc(key: string, overrides: Partial<IndexDocument> = {}): IndexDocument {
  const bucket = overrides.bucket ?? 'test-bucket';
  const fileName = key.split('/').pop() ?? key;
  const dot = fileName.lastIndexOf('.');
  return {
    id: documentId(bucket, key),
    bucket,
    key,
    file_name: fileName,
    original_path: `/share/${key}`,
    extension: dot > 0 ? fileName.slice(dot + 1).toLowerCase() : null,
    content_type: 'text/plain',
    size: 1234,
    sha256: createHash('sha256').update(key).digest('hex'),
    etag: '"0123456789abcdef"',
    modified_at: '2024-05-01T10:00:00.000Z',
    indexed_at: new Date().toISOString(),
    page_count: null,
    content: `本文 ${key}`,
    text_source: 'text-layer',
    ocr_confidence: null,
    thumbnail_key: null,
    warnings: [],
    ...overrides,
  };
}

/** For assert.rejects: matches an IngestError with this code and retryable flag. */
export function ingestError(code: string, retryable: boolean, messageIncludes?: string): (err: unknown) => boolean {
  return (err: unknown) => {
    if (!isIngestError(err)) throw new Error(`expected an IngestError ${code}, got ${String(err)}`);
    const e: IngestError = err;
    if (e.code !== code || e.retryable !== retryable) {
      throw new Error(`expected ${code}/retryable=${retryable}, got ${e.code}/retryable=${e.retryable}: ${e.message}`);
    }
    if (messageIncludes !== undefined && !e.message.includes(messageIncludes)) {
      throw new Error(`expected message to include ${JSON.stringify(messageIncludes)}: ${e.message}`);
    }
    return true;
  };
}

/** Timer handles keeping the event loop alive right now. */
export function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}
