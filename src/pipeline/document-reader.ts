import type { DocumentResult, PageResult } from '../core/document.ts';
import type { OfficeText } from './extract-office.ts';

export type { DocumentResult, OfficeText, PageResult };

/**
 * The port through which the pipeline reads PDFs and images (text per page, text layer or OCR,
 * page count, thumbnail) and OOXML documents (their text). Implemented by the worker-thread pool
 * (src/pool/document-pool.ts), so none of that work runs on the main thread.
 */
export interface DocumentReader {
  read(kind: 'pdf' | 'image', path: string, mime: string, options: ReadOptions): Promise<DocumentResult>;
  /** DOCX / XLSX / PPTX text (src/pipeline/extract-office.ts). */
  office(path: string, mime: string, options: { signal: AbortSignal }): Promise<OfficeText>;
  close(): Promise<void>;
}

export interface ReadOptions {
  signal: AbortSignal;
  /** Each page as it is finished (for checkpoints and progress). */
  onPage?: (page: PageResult) => void;
  /** Pages finished by an earlier attempt (a checkpoint). */
  resume?: PageResult[];
}
