/**
 * Text of OOXML documents (DOCX, XLSX, PPTX and their macro/template variants), read from the
 * package parts with yauzl and saxes (src/pipeline/office/: the package opener and its zip-bomb
 * guards in package.ts, the XML stream in xml.ts, one file per format). In the daemon this runs in
 * a document worker thread (src/pool/office-task.ts), so a hostile file cannot stall the main thread.
 *
 * Errors: a damaged zip or a missing main part → permanent `OFFICE_CORRUPT`; over the limits →
 * permanent `OFFICE_TOO_LARGE`. File-system errors and aborts propagate unchanged (classify.ts).
 * Text over `maxChars` is cut with the warning `TEXT_TRUNCATED`.
 */
import { TEXT_TRUNCATED, normalise } from './extract-text.ts';
import { docxText } from './office/docx.ts';
import { corrupt, OfficePackage } from './office/package.ts';
import type { FormatText } from './office/parts.ts';
import { SLIDE, pptxText } from './office/pptx.ts';
import { xlsxText } from './office/xlsx.ts';

export { OFFICE_CRC_MISMATCH } from './office/package.ts';

export const DEFAULT_MAX_CHARS = 8_000_000;
export const DEFAULT_MAX_PARTS_BYTES = 200 * 1024 * 1024;

export interface ExtractOfficeOptions {
  signal?: AbortSignal;
  /** Cut the text at this many UTF-16 code units (default 8,000,000). */
  maxChars?: number;
  /** Refuse when the declared uncompressed size of the parts read exceeds this (default 200 MiB). */
  maxPartsBytes?: number;
  /** Filled in as it reads, also when it fails: the bytes inflated (the worker's recycling counts them). */
  stats?: { inflatedBytes: number };
}

export interface OfficeText {
  text: string;
  /** DOCX: `<Pages>` of docProps/app.xml (null when absent); XLSX: sheets; PPTX: slides. */
  pageCount: number | null;
  warnings: string[];
}

type Kind = 'docx' | 'xlsx' | 'pptx';

export async function extractOffice(filePath: string, mime: string, options: ExtractOfficeOptions = {}): Promise<OfficeText> {
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
  if (!Number.isSafeInteger(maxChars) || maxChars <= 0) throw new RangeError(`maxChars must be a positive integer, got ${maxChars}`);
  const { signal } = options;
  signal?.throwIfAborted();

  // Twice the text limit before normalising (which drops spaces and blank lines): the final cut is below.
  const pkg = await OfficePackage.open(filePath, signal, { maxPartsBytes: options.maxPartsBytes ?? DEFAULT_MAX_PARTS_BYTES, maxTextChars: 2 * maxChars });
  try {
    const kind = kindOf(mime, pkg);
    const out: FormatText = kind === 'docx' ? await docxText(pkg) : kind === 'xlsx' ? await xlsxText(pkg) : await pptxText(pkg);
    signal?.throwIfAborted();
    let text = normalise(out.text).replace(/\n{3,}/g, '\n\n').replace(/^\n+|\s+$/g, '');
    const warnings = [...pkg.warnings];
    if (pkg.textCapped || text.length > maxChars) warnings.push(TEXT_TRUNCATED);
    if (text.length > maxChars) {
      let cut = maxChars;
      const last = text.charCodeAt(cut - 1);
      if (last >= 0xd800 && last <= 0xdbff) cut--; // do not split a surrogate pair
      text = text.slice(0, cut);
    }
    return { text, pageCount: out.pageCount, warnings };
  } finally {
    if (options.stats) options.stats.inflatedBytes = pkg.inflatedBytes;
    await pkg.close();
  }
}

function kindOf(mime: string, pkg: OfficePackage): Kind {
  const m = mime.toLowerCase();
  if (m.includes('wordprocessingml') || m.includes('ms-word')) return 'docx';
  if (m.includes('spreadsheetml') || m.includes('ms-excel')) return 'xlsx';
  if (m.includes('presentationml') || m.includes('ms-powerpoint')) return 'pptx';
  // an OOXML MIME we do not name: go by the parts
  if (pkg.has('word/document.xml')) return 'docx';
  if (pkg.has('xl/workbook.xml')) return 'xlsx';
  if (pkg.has('ppt/presentation.xml') || pkg.names().some((n) => SLIDE.test(n))) return 'pptx';
  throw corrupt(`no DOCX, XLSX or PPTX main part (${mime})`);
}
