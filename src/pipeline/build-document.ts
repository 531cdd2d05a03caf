import { basename, extname } from 'node:path/posix';
import type { IndexDocument, TextSource } from '../core/index-document.ts';
import { documentId } from '../adapters/index/document-id.ts';
import type { FileEvent } from '../messages/file-event.ts';
import type { Downloaded } from './download.ts';
import type { DetectedType } from './detect-type.ts';

export interface Extraction {
  text: string;
  textSource: TextSource;
  pageCount: number | null;
  ocrConfidence: number | null;
  encoding: string | null;
  warnings: string[];
  /** WebP thumbnail bytes (PDF page 1 or the image). */
  thumbnail?: Uint8Array | null;
  /** Image (or PDF page 1 at the OCR resolution) dimensions in px. */
  width?: number | null;
  height?: number | null;
  /** EXIF date the picture was taken (ISO 8601). */
  takenAt?: string | null;
  /** Milliseconds of the extraction's own sub-steps (parse, render, ocr, thumbnail). */
  substeps?: Record<string, number>;
}

/** The index document of docs/design.md §6 for one downloaded, extracted object. */
export function buildDocument(
  event: FileEvent, file: Downloaded, type: DetectedType, extraction: Extraction, thumbnailKey: string | null = null, now = new Date(),
): IndexDocument {
  const fileName = basename(event.key) || event.key;
  const nameExtension = extname(fileName).replace(/^\./, '').toLowerCase();
  return {
    id: documentId(event.bucket, event.key),
    bucket: event.bucket,
    key: event.key,
    file_name: fileName,
    original_path: event.originalPath ?? null,
    extension: nameExtension || type.extension,
    content_type: type.mime,
    size: file.size,
    sha256: file.sha256,
    etag: file.etag ?? event.etag ?? null,
    modified_at: (file.lastModified ?? new Date(event.eventTime)).toISOString(),
    indexed_at: now.toISOString(),
    page_count: extraction.pageCount,
    content: extraction.text,
    text_source: extraction.textSource,
    ocr_confidence: extraction.ocrConfidence,
    thumbnail_key: thumbnailKey,
    warnings: extraction.warnings,
    encoding: extraction.encoding,
    ...(type.category === 'image' ? { width: extraction.width ?? null, height: extraction.height ?? null, taken_at: extraction.takenAt ?? null } : {}),
  };
}
