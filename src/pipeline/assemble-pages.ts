/**
 * A DocumentResult (pages from the worker pool) as an Extraction: the text of all pages, where it
 * came from (`text-layer`, `ocr`, `mixed`, `none`), the mean OCR confidence, and warnings for
 * low-confidence, unread and blank pages.
 */
import type { TextSource } from '../core/index-document.ts';
import type { Extraction } from './build-document.ts';
import type { DocumentResult, PageResult } from './document-reader.ts';

/** Pages are separated by a blank line (a form feed would be invisible in search snippets). */
export const PAGE_SEPARATOR = '\n\n';

export function assemblePages(result: DocumentResult, lowConfidence: number): Extraction {
  const pages = result.pages;
  const text = pages.map((p) => p.text.trim()).filter((t) => t !== '').join(PAGE_SEPARATOR);
  const ocrPages = pages.filter((p) => p.source === 'ocr');
  const warnings = [...result.warnings];
  const low = ocrPages.filter((p) => p.confidence !== null && p.confidence < lowConfidence);
  if (low.length > 0) {
    warnings.push(`OCR_LOW_CONFIDENCE: ${pageList(low)} read with mean confidence below ${lowConfidence} (${low.map((p) => p.confidence).join(', ')}); the text may be wrong`);
  }
  // A page with ink that OCR read nothing from is not blank: say so rather than index it silently empty.
  const unread = ocrPages.filter((p) => p.text.trim() === '');
  if (unread.length > 0) warnings.push(`OCR_NO_TEXT: ${pageList(unread)} had ink but OCR read no text from it`);
  const blank = pages.filter((p) => p.source === 'blank');
  if (blank.length > 0) warnings.push(`BLANK_PAGES: ${pageList(blank)} had nothing to read`);
  return {
    text,
    textSource: sourceOf(pages, text),
    pageCount: result.pageCount,
    ocrConfidence: meanConfidence(ocrPages),
    encoding: null,
    warnings,
    thumbnail: result.thumbnail,
    width: result.width,
    height: result.height,
    takenAt: result.takenAt,
    substeps: result.steps,
  };
}

function sourceOf(pages: readonly PageResult[], text: string): TextSource {
  if (text === '') return 'none';
  const layer = pages.some((p) => p.source === 'text-layer' && p.text.trim() !== '');
  const ocr = pages.some((p) => p.source === 'ocr' && p.text.trim() !== '');
  if (layer && ocr) return 'mixed';
  return ocr ? 'ocr' : layer ? 'text-layer' : 'none';
}

/** Mean of the OCR pages' confidences, weighted by the characters each page gave. */
function meanConfidence(pages: readonly PageResult[]): number | null {
  let weight = 0;
  let sum = 0;
  for (const page of pages) {
    if (page.confidence === null) continue;
    const w = Math.max(1, page.text.replace(/\s+/g, '').length);
    weight += w;
    sum += page.confidence * w;
  }
  return weight === 0 ? null : Math.round((sum / weight) * 10) / 10;
}

function pageList(pages: readonly PageResult[]): string {
  const numbers = pages.map((p) => p.page);
  return `${numbers.length === 1 ? 'page' : 'pages'} ${numbers.join(', ')}`;
}
