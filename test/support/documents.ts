/**
 * Document readers for tests: the real worker pool (with the installed OCR data, linked into a
 * temp dir) and a reader for tests that must never reach PDFs or images (it reads OOXML
 * documents in this thread, as the pool's office task does in a worker).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import sharp from 'sharp';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isIngestError } from '../../src/core/errors.ts';
import type { DocumentReader } from '../../src/pipeline/document-reader.ts';
import { extractOffice } from '../../src/pipeline/extract-office.ts';
import { DocumentPool, type DocumentPoolOptions } from '../../src/pool/document-pool.ts';
import { prepareLanguageDir } from '../../src/pool/ocr-languages.ts';

export const noDocuments: DocumentReader = {
  read: () => Promise.reject(new Error('this test does not expect a PDF or an image to be read')),
  office: (path, mime, options) => extractOffice(path, mime, options),
  close: () => Promise.resolve(),
};

export const FIXTURES = new URL('../fixtures/documents/files/', import.meta.url).pathname;

export interface TestPool {
  pool: DocumentPool;
  close(): Promise<void>;
}

/** A real DocumentPool; close() ends its workers and removes the temp dir. */
export async function testDocumentPool(options: Omit<Partial<DocumentPoolOptions>, 'task'> & { task?: Partial<DocumentPoolOptions['task']> } = {}): Promise<TestPool> {
  const dir = await mkdtemp(join(tmpdir(), 'spot-ingest-pool-'));
  const langs = options.ocrLangs ?? ['jpn', 'eng'];
  const langPath = await prepareLanguageDir(langs, dir);
  const pool = new DocumentPool({
    size: 2,
    recyclePages: 200,
    ocrLangs: langs,
    langPath,
    ...options,
    task: { maxPages: 1000, minTextChars: 20, ocrDpi: 300, thumbnailSize: 256, ocr: true, ...options.task },
  });
  return {
    pool,
    async close() {
      await pool.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Asserts the bytes are a WebP image and returns its size. */
export async function webpSize(thumbnail: Uint8Array | null | undefined): Promise<{ width: number; height: number }> {
  assert.ok(thumbnail, 'a thumbnail');
  const bytes = Buffer.from(thumbnail);
  assert.equal(bytes.subarray(0, 4).toString('latin1'), 'RIFF');
  assert.equal(bytes.subarray(8, 12).toString('latin1'), 'WEBP');
  const meta = await sharp(bytes).metadata();
  assert.equal(meta.format, 'webp');
  return { width: meta.width ?? 0, height: meta.height ?? 0 };
}

/** Asserts the promise rejects with a permanent (not retryable) IngestError of this code. */
export async function assertPermanent(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isIngestError(err), `an IngestError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.retryable, false);
    return true;
  });
}
