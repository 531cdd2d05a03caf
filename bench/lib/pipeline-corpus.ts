/**
 * The pipeline benchmark's mixed corpus (bench/pipeline.ts; bench/dedupe.ts copies part of it under
 * other keys): 20 files — the fixtures whose pages render correctly (scanned PDF, photo, TIFF, PNG,
 * DOCX, XLSX, PPTX from test/fixtures/documents/files) plus generated born-digital PDFs of several
 * pages, a mixed PDF, a 2-page scanned PDF and text files (UTF-8, Shift_JIS, CSV, Markdown).
 * Seeded: the same bytes on every run.
 */
import { copyFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Encoding from 'encoding-japanese';
import { FIXTURES } from '../../test/support/documents.ts';
import { pageLines, pdf, renderScan, type PdfPage } from './documents.ts';
import { seededRandom } from './stats.ts';

export const PIPELINE_CORPUS_SEED = 20_261_123;
const TEXT_LINES_PER_PAGE = 30;
const SCAN_LINES_PER_PAGE = 14;
const BORN_DIGITAL_PAGES = [3, 4, 5, 6, 8, 10, 12];
const FIXTURE_FILES = ['scanned-ja.pdf', 'photo-exif-rotated.jpg', 'multipage.tiff', 'no-density.png', 'sample.docx', 'sample.xlsx', 'sample.pptx'];

/** What a file is, coarsely (bench/dedupe.ts draws its copies so that they follow this mix). */
export type PipelineCorpusKind = 'born-digital-pdf' | 'mixed-pdf' | 'scanned-pdf' | 'image' | 'office' | 'text';

export interface PipelineCorpusFile {
  name: string;
  path: string;
  bytes: number;
  /** what it is, for the report */
  what: string;
  origin: 'fixture' | 'generated';
  kind: PipelineCorpusKind;
  /** generated PDFs: the lines of each text page (to check the text layer was read) */
  textPages?: string[][];
}

/**
 * Writes the 20 files into `dir`; returns them in one fixed (seeded, shuffled) order. Another `base`
 * seed gives other text in the generated files (the fixtures are the same bytes whatever the seed).
 */
export async function makeCorpus(dir: string, base = PIPELINE_CORPUS_SEED): Promise<PipelineCorpusFile[]> {
  const files: PipelineCorpusFile[] = [];
  const add = async (name: string, data: Uint8Array | string | null, what: string, origin: PipelineCorpusFile['origin'], extra: Partial<PipelineCorpusFile> = {}) => {
    const path = join(dir, name);
    if (data === null) await copyFile(join(FIXTURES, name), path);
    else await writeFile(path, data);
    files.push({ name, path, bytes: (await stat(path)).size, what, origin, kind: kindOf(name), ...extra });
  };
  let seed = base;
  const textPage = (i: number): string[] => pageLines(seed, i, TEXT_LINES_PER_PAGE);
  const scanPage = (i: number) => renderScan(pageLines(seed + 1_000, i, SCAN_LINES_PER_PAGE));

  for (const [k, pages] of BORN_DIGITAL_PAGES.entries()) {
    seed = base + k;
    const lines = Array.from({ length: pages }, (_, i) => textPage(i));
    await add(`report-${String(k + 1).padStart(2, '0')}.pdf`, await pdf(`社内資料 ${k + 1}`, lines.map((l) => ({ kind: 'text', lines: l }))),
      `born-digital PDF, ${pages} pages × ${TEXT_LINES_PER_PAGE} lines (10.5 pt)`, 'generated', { textPages: lines });
  }
  seed = base + 100;
  const mixed: PdfPage[] = [{ kind: 'text', lines: textPage(0) }, { kind: 'scan', image: scanPage(0) }, { kind: 'text', lines: textPage(1) }];
  await add('mixed-report.pdf', await pdf('複合文書', mixed), `mixed PDF: text page, scanned page (${SCAN_LINES_PER_PAGE} lines), text page`, 'generated');
  seed = base + 200;
  await add('scanned-letter.pdf', await pdf('スキャン文書', [{ kind: 'scan', image: scanPage(0) }, { kind: 'scan', image: scanPage(1) }]),
    `scanned PDF, 2 image-only pages (${SCAN_LINES_PER_PAGE} lines each)`, 'generated');

  for (const name of FIXTURE_FILES) await add(name, null, fixtureWhat(name), 'fixture');

  seed = base + 300;
  const prose = Array.from({ length: 8 }, (_, i) => textPage(i).join('\n')).join('\n\n');
  await add('meeting-notes.txt', prose, 'UTF-8 text, 240 lines', 'generated');
  await add('memo-sjis.txt', Uint8Array.from(Encoding.convert(Encoding.stringToCode(textPage(9).join('\r\n')), { to: 'SJIS', from: 'UNICODE' })),
    'Shift_JIS text, 30 lines', 'generated');
  const random = seededRandom(base);
  const csv = ['品番,品名,数量,単価', ...Array.from({ length: 500 }, (_, i) => `A-${String(i + 1).padStart(4, '0')},部品${i + 1},${Math.floor(random() * 1000)},${Math.floor(random() * 100_000)}`)].join('\n');
  await add('inventory.csv', csv, 'CSV, 501 rows', 'generated');
  await add('README.md', `# 社内手順書\n\n${textPage(10).map((l) => `- ${l}`).join('\n')}\n`, 'Markdown, 30 items', 'generated');

  // one fixed order for both sides (a seeded shuffle, so big and small files are mixed)
  const order = seededRandom(base + 1);
  const keyed = files.map((f) => ({ f, k: order() }));
  return keyed.sort((a, b) => a.k - b.k).map(({ f }) => f);
}

function fixtureWhat(name: string): string {
  switch (name) {
    case 'scanned-ja.pdf': return 'scanned PDF, 1 image-only page (6 lines) [fixture]';
    case 'photo-exif-rotated.jpg': return 'JPEG photo of a receipt, EXIF-rotated (5 lines) [fixture]';
    case 'multipage.tiff': return 'TIFF fax, 2 pages (3 lines each) [fixture]';
    case 'no-density.png': return 'PNG without density (3 lines) [fixture]';
    default: return `${name.split('.').pop()?.toUpperCase()} [fixture]`;
  }
}

function kindOf(name: string): PipelineCorpusKind {
  if (name.startsWith('report-')) return 'born-digital-pdf';
  if (name === 'mixed-report.pdf') return 'mixed-pdf';
  if (name.endsWith('.pdf')) return 'scanned-pdf';
  if (/\.(jpg|tiff|png)$/.test(name)) return 'image';
  if (/\.(docx|xlsx|pptx)$/.test(name)) return 'office';
  return 'text';
}
