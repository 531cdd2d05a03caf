/**
 * A content record's payload as bytes: gzipped JSON (format version 1), the thumbnail as base64.
 * Compression runs on libuv's thread pool, not the event loop. Numbers go through JSON exactly
 * (vectors read back are the same doubles), so a document indexed from a record equals the one
 * indexed from the extraction. A payload that does not decode or validate reads as no record.
 */
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { z } from 'zod';
import type { StoredContent, StoredVectors } from '../../core/content-record.ts';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Refuses to inflate more than this (a record is the text of at most INGEST_PDF_MAX_PAGES pages, plus vectors). */
const MAX_INFLATED_BYTES = 512 * 1024 * 1024;

const vector = z.array(z.number()).nullable().optional();

const Payload = z.object({
  format: z.literal(1),
  from: z.string(),
  createdAt: z.string(),
  text: z.string(),
  textSource: z.enum(['text-layer', 'ocr', 'mixed', 'none']),
  pageCount: z.number().int().nullable(),
  ocrConfidence: z.number().nullable(),
  encoding: z.string().nullable(),
  warnings: z.array(z.string()),
  width: z.number().nullable(),
  height: z.number().nullable(),
  takenAt: z.string().nullable(),
  thumbnail: z.string().nullable(),
  vectors: z.object({ text_embedding: vector, image_embedding: vector, text_embedding_truncated: z.boolean().nullable().optional(), embedding_pending: z.boolean().optional() }).nullable(),
  cost: z.object({ pages: z.number(), bedrockInputTokens: z.number(), bedrockImages: z.number() }),
});

export async function encodeContent(content: StoredContent): Promise<Buffer> {
  const { thumbnail, ...rest } = content;
  const payload = { format: 1, ...rest, thumbnail: thumbnail === null ? null : Buffer.from(thumbnail.buffer, thumbnail.byteOffset, thumbnail.byteLength).toString('base64') };
  return gzipAsync(Buffer.from(JSON.stringify(payload), 'utf8'));
}

export async function decodeContent(bytes: Uint8Array): Promise<StoredContent | null> {
  let parsed;
  try {
    const json = await gunzipAsync(bytes, { maxOutputLength: MAX_INFLATED_BYTES });
    parsed = Payload.safeParse(JSON.parse(json.toString('utf8')));
  } catch {
    return null;
  }
  if (!parsed.success) return null;
  const { format: _format, thumbnail, vectors, ...rest } = parsed.data;
  return {
    ...rest,
    thumbnail: thumbnail === null ? null : new Uint8Array(Buffer.from(thumbnail, 'base64')),
    // zod leaves absent optional keys out (it adds no `undefined`), so this is the stored object as it was
    vectors: vectors as StoredVectors | null,
  };
}
