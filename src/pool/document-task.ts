/**
 * What the document worker is asked to do and what it answers. Plain data: it crosses the
 * thread boundary by structured clone (the thumbnail's bytes are transferred, not copied).
 */
export type PageSource = 'text-layer' | 'ocr' | 'blank' | 'failed';

export interface PageResult {
  /** 1-based. */
  page: number;
  source: PageSource;
  text: string;
  /** Mean OCR confidence (0–100) for OCR pages, else null. */
  confidence: number | null;
  ms: number;
  /** Taken from a checkpoint, not read again. */
  resumed?: boolean;
}

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

export interface DocumentResult {
  /** Pages (or frames) in the file; null when it cannot be opened (a PDF that needs a password). */
  pageCount: number | null;
  pages: PageResult[];
  warnings: string[];
  /** WebP bytes of the thumbnail (PDF page 1 or the image), or null. */
  thumbnail: Uint8Array | null;
  width: number | null;
  height: number | null;
  /** EXIF date the picture was taken (ISO 8601), when known. */
  takenAt: string | null;
  /** Milliseconds per sub-step (parse, render, ocr, thumbnail). */
  steps: Record<string, number>;
}

export interface DocumentWorkerData {
  ocrLangs: string[];
  /** Directory with `<lang>.traineddata.gz` for each language. */
  langPath: string;
  /** Test hook (INGEST_TEST_HANG_MARKER): a file containing this string spins its worker forever. */
  hangMarker?: string;
}
