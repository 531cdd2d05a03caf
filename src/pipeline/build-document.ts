import { basename, extname } from 'node:path/posix';
import type { ExtractedPicture, ExtractedText } from '../core/content-record.ts';
import type { IndexDocument } from '../core/index-document.ts';
import { documentId } from '../adapters/index/document-id.ts';
import type { FileEvent } from '../messages/file-event.ts';
import type { Downloaded } from './download.ts';
import type { DetectedType } from './detect-type.ts';

export interface Extraction extends ExtractedText, Partial<ExtractedPicture> {
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
