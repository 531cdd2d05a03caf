/**
 * The settings an extraction depends on, and their fingerprint: a kept extraction (a content
 * record, ports/content.ts) is only reused under the same fingerprint, so changing any of them
 * means a fresh extraction, never a stale reuse. Bump EXTRACTION_VERSION when a release changes
 * what extraction or embedding makes of the same bytes (new preprocessing, another thumbnail
 * format): every earlier record is then left unused.
 */
import { createHash } from 'node:crypto';

export const EXTRACTION_VERSION = 1;

export interface EmbeddingModelUse {
  id: string;
  dimensions: number;
}

export interface ExtractionSettings {
  ocrLangs: string;
  ocrDpi: number;
  /** INGEST_PDF_MAX_PAGES */
  pdfMaxPages: number;
  /** INGEST_PDF_MIN_TEXT_CHARS */
  pdfMinTextChars: number;
  /** INGEST_OCR_LOW_CONFIDENCE (it decides a warning) */
  ocrLowConfidence: number;
  thumbnailSize: number;
  /** The models in use (null: off, or embeddings unavailable). */
  textModel: EmbeddingModelUse | null;
  imageModel: EmbeddingModelUse | null;
}

/** 16 hex characters of the sha256 of the settings in a fixed order. */
export function settingsFingerprint(settings: ExtractionSettings): string {
  const model = (m: EmbeddingModelUse | null) => (m === null ? 'none' : `${m.id}@${m.dimensions}`);
  const canonical = [
    `v${EXTRACTION_VERSION}`,
    `ocr=${settings.ocrLangs}@${settings.ocrDpi}dpi`,
    `low=${settings.ocrLowConfidence}`,
    `pages=${settings.pdfMaxPages}`,
    `minText=${settings.pdfMinTextChars}`,
    `thumb=${settings.thumbnailSize}`,
    `text=${model(settings.textModel)}`,
    `image=${model(settings.imageModel)}`,
  ].join(';');
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}
