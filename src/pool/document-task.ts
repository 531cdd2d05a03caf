/**
 * What the document worker is asked to do and what it answers. Plain data: it crosses the
 * thread boundary by structured clone (the thumbnail's bytes are transferred, not copied).
 * The answers' shapes (PageResult, DocumentResult) are domain types: src/core/document.ts.
 */
import type { PageResult } from '../core/document.ts';

export interface DocumentTask {
  path: string;
  mime: string;
  /** Pages beyond this are skipped with a warning. */
  maxPages: number;
  /** A PDF page with fewer non-space characters in its text layer is OCRed. */
  minTextChars: number;
  /** Resolution pages are rendered at (and images reduced to) for OCR. */
  ocrDpi: number;
  /** Long side of the WebP thumbnail; 0 = none. */
  thumbnailSize: number;
  /** false ⇒ pages without text stay without text (no OCR). */
  ocr: boolean;
  /** Pages finished by an earlier attempt (a checkpoint): used as they are, not read again. */
  resume?: PageResult[];
}

/** An OOXML document to read (src/pool/office-task.ts); it answers with an OfficeText. */
export interface OfficeTask {
  path: string;
  mime: string;
}

export interface DocumentWorkerData {
  ocrLangs: string[];
  /** Directory with `<lang>.traineddata.gz` for each language. */
  langPath: string;
  /** Test hook (INGEST_TEST_HANG_MARKER): a file containing this string spins its worker forever. */
  hangMarker?: string;
}
