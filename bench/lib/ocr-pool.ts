/**
 * What the OCR benchmarks (bench:ocr, bench:ocr-quality) share on the pool side and in scoring: a
 * page with its known text, the CER of what an engine read, and the document pool set up as the
 * daemon's image tasks run (2 workers, jpn+eng, 300 dpi, no thumbnail).
 */
import { join } from 'node:path';
import type { DocumentResult } from '../../src/core/document.ts';
import { DocumentPool } from '../../src/pool/document-pool.ts';
import { prepareLanguageDir } from '../../src/pool/ocr-languages.ts';
import { levenshtein, normaliseForCer } from '../../test/support/cer.ts';
import { OCR_LANGS } from './native-tesseract.ts';

export interface OcrPage {
  name: string;
  path: string;
  /** The text on the page (ground truth). */
  text: string;
}

export interface PageScore {
  name: string;
  expectedChars: number;
  distance: number;
  cer: number;
}

/** CER per page (Levenshtein distance / expected length after NFKC and whitespace removal) and over all pages. */
export function scorePages(pages: readonly OcrPage[], texts: readonly string[]): { cer: number; distance: number; expectedChars: number; perPage: PageScore[] } {
  const perPage = pages.map((page, i): PageScore => {
    const expected = [...normaliseForCer(page.text)];
    const actual = [...normaliseForCer(texts[i] ?? '')];
    const distance = levenshtein(expected, actual);
    return { name: page.name, expectedChars: expected.length, distance, cer: distance / expected.length };
  });
  const distance = perPage.reduce((a, s) => a + s.distance, 0);
  const expectedChars = perPage.reduce((a, s) => a + s.expectedChars, 0);
  return { cer: distance / expectedChars, distance, expectedChars, perPage };
}

/** A document pool of `size` workers reading PNG pages as 'image' tasks; `read` bounds each by `timeoutMs`. */
export async function openOcrPool(dir: string, size: number, timeoutMs: number): Promise<{ pool: DocumentPool; read(page: OcrPage): Promise<DocumentResult> }> {
  const langPath = await prepareLanguageDir(OCR_LANGS, join(dir, 'pool'));
  const pool = new DocumentPool({
    size,
    recyclePages: 200,
    ocrLangs: OCR_LANGS,
    langPath,
    task: { maxPages: 1000, minTextChars: 20, ocrDpi: 300, thumbnailSize: 0, ocr: true },
  });
  return { pool, read: (page) => pool.read('image', page.path, 'image/png', { signal: AbortSignal.timeout(timeoutMs) }) };
}
