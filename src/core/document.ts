/**
 * What reading a document yields, page by page: the domain's own shape of an extracted PDF or
 * image, shared by the pipeline (which assembles it), the pool (which produces it) and the
 * checkpoints (which keep finished pages of a long job). Plain data: it crosses thread boundaries
 * by structured clone.
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
  /** For OCR pages: how the page was read. */
  ocr?: OcrPageInfo;
}

export interface OcrPageInfo {
  /** The preprocessing steps the page's measurements called for, e.g. ['light', 'deskew 5.4°', 'scale 0.59']. */
  steps: string[];
  /** Clockwise turn applied before reading (found by orientation detection). */
  rotated: 0 | 90 | 180 | 270;
  /** The model that read it: the usual one, or the vertical one (jpn_vert). */
  model: 'horizontal' | 'vertical';
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
