/**
 * Mixed corpora for the chaos benchmark (bench/chaos.ts): text in every supported encoding, small
 * PDFs with a text layer, small images (OCR), Office files and a few metadata-only files. Seeded:
 * the same files on every run.
 */
import { readFileSync } from 'node:fs';
import Encoding from 'encoding-japanese';
import { FIXTURES } from '../../test/support/documents.ts';
import { greyPng, pageLines } from './documents.ts';
import { pdfText } from './hostile.ts';
import { seededRandom } from './stats.ts';
import { renderText } from '../../test/fixtures/documents/render.ts';

export type Kind = 'text-utf8' | 'text-sjis' | 'text-eucjp' | 'text-utf16' | 'text-jis' | 'csv' | 'markdown' | 'pdf' | 'pdf-ja' | 'image' | 'docx' | 'xlsx' | 'pptx' | 'zip' | 'legacy-doc' | 'empty';

export interface CorpusFile {
  key: string;
  body: Uint8Array;
  kind: Kind;
  contentType?: string;
}

const sjis = (s: string) => Uint8Array.from(Encoding.convert(Encoding.stringToCode(s), 'SJIS', 'UNICODE'));
const eucjp = (s: string) => Uint8Array.from(Encoding.convert(Encoding.stringToCode(s), 'EUCJP', 'UNICODE'));
const jis = (s: string) => Uint8Array.from(Encoding.convert(Encoding.stringToCode(s), 'JIS', 'UNICODE'));
const utf16le = (s: string) => Uint8Array.from([0xff, 0xfe, ...Buffer.from(s, 'utf16le')]);

let fixtureCache: Map<string, Uint8Array> | undefined;
function fixture(name: string): Uint8Array {
  fixtureCache ??= new Map();
  let b = fixtureCache.get(name);
  if (!b) fixtureCache.set(name, (b = readFileSync(`${FIXTURES}${name}`)));
  return b;
}

/** The text of file `i`: a few generated lines (Japanese with some English), unique per file. */
function textOf(seed: number, i: number, lines: number): string {
  return [`file ${i} / chaos corpus`, ...pageLines(seed, i, lines)].join('\n');
}

/**
 * `count` files. Shares (of every 100): 85 text (UTF-8 55, Shift_JIS 10, EUC-JP 6, UTF-16 4,
 * ISO-2022-JP 4, CSV 3, Markdown 3), 10 PDFs with a text layer (9 generated, 1 the Japanese
 * fixture), 3 Office (DOCX, XLSX, PPTX fixtures), 1 other (zip, empty or legacy .doc, in turn),
 * 1 image to OCR (every `imageEvery`-th file, default 100, and the files `earlyImages`).
 */
export async function mixedCorpus(prefix: string, count: number, seed: number, options: { imageEvery?: number; earlyImages?: number[] } = {}): Promise<CorpusFile[]> {
  const random = seededRandom(seed);
  const imageEvery = options.imageEvery ?? 100;
  const out: CorpusFile[] = [];
  const images = await smallImages(seed, 4);
  for (let i = 0; i < count; i++) {
    const n = String(i).padStart(5, '0');
    const slot = i % 100;
    if (i % imageEvery === imageEvery - 1 || (options.earlyImages ?? []).includes(i)) {
      out.push({ key: `${prefix}/scan-${n}.png`, body: images[i % images.length]!, kind: 'image', contentType: 'image/png' });
      continue;
    }
    const lines = 3 + Math.floor(random() * 25);
    if (slot < 55) out.push({ key: `${prefix}/note-${n}.txt`, body: Buffer.from(textOf(seed, i, lines)), kind: 'text-utf8', contentType: 'text/plain' });
    else if (slot < 65) out.push({ key: `${prefix}/sjis-${n}.txt`, body: sjis(textOf(seed, i, lines).replaceAll('\n', '\r\n')), kind: 'text-sjis' });
    else if (slot < 71) out.push({ key: `${prefix}/euc-${n}.txt`, body: eucjp(textOf(seed, i, lines)), kind: 'text-eucjp' });
    else if (slot < 75) out.push({ key: `${prefix}/utf16-${n}.txt`, body: utf16le(textOf(seed, i, lines)), kind: 'text-utf16' });
    else if (slot < 79) out.push({ key: `${prefix}/jis-${n}.txt`, body: jis(textOf(seed, i, lines)), kind: 'text-jis' });
    else if (slot < 82) out.push({ key: `${prefix}/table-${n}.csv`, body: Buffer.from(`id,text\n${textOf(seed, i, lines).split('\n').map((l, j) => `${j},"${l.replaceAll('"', '""')}"`).join('\n')}\n`), kind: 'csv' });
    else if (slot < 85) out.push({ key: `${prefix}/readme-${n}.md`, body: Buffer.from(`# File ${i}\n\n${textOf(seed, i, lines)}\n`), kind: 'markdown' });
    else if (slot < 94) {
      const en = Array.from({ length: 4 + Math.floor(random() * 20) }, (_, j) => `Document ${i} line ${j}: order ${Math.floor(random() * 1e6)} shipped to warehouse ${Math.floor(random() * 90) + 10}.`);
      out.push({ key: `${prefix}/report-${n}.pdf`, body: await pdfText(en), kind: 'pdf', contentType: 'application/pdf' });
    } else if (slot < 95) out.push({ key: `${prefix}/ja-${n}.pdf`, body: fixture('born-digital-ja.pdf'), kind: 'pdf-ja' });
    else if (slot < 96) out.push({ key: `${prefix}/memo-${n}.docx`, body: fixture('sample.docx'), kind: 'docx' });
    else if (slot < 97) out.push({ key: `${prefix}/sheet-${n}.xlsx`, body: fixture('sample.xlsx'), kind: 'xlsx' });
    else if (slot < 98) out.push({ key: `${prefix}/deck-${n}.pptx`, body: fixture('sample.pptx'), kind: 'pptx' });
    else if (i % 300 === 98) out.push({ key: `${prefix}/bundle-${n}.zip`, body: Uint8Array.from([0x50, 0x4b, 0x05, 0x06, ...new Array<number>(18).fill(0)]), kind: 'zip' });
    else if (i % 300 === 198) out.push({ key: `${prefix}/empty-${n}.txt`, body: new Uint8Array(), kind: 'empty' });
    else out.push({ key: `${prefix}/legacy-${n}.doc`, body: Uint8Array.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, ...new Array<number>(2048).fill(0)]), kind: 'legacy-doc' });
  }
  return out;
}

/** Small scans (1400×420 px at 300 dpi, three lines of Japanese): a second or so of OCR each. */
export async function smallImages(seed: number, count: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const lines = pageLines(seed + 1, i, 3).map((l) => l.slice(0, 22));
    out.push(await greyPng(renderText(lines, 1400, 420, { left: 60, top: 40 })));
  }
  return out;
}

/** Size of every kind in a corpus, for the report. */
export function kindCounts(files: readonly CorpusFile[]): Record<string, number> {
  const m: Record<string, number> = {};
  for (const f of files) m[f.kind] = (m[f.kind] ?? 0) + 1;
  return m;
}
