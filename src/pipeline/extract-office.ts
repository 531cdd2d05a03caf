/**
 * Text of OOXML documents (DOCX, XLSX, PPTX and their macro/template variants), read straight from
 * the package parts: no Office, no XML library.
 *
 * The zip is read from disk, not loaded whole: the central directory names the parts, only the
 * parts needed are read and inflated (fflate's streaming `Inflate`), in chunks, checking the
 * AbortSignal between them. Zip-bomb guard: the declared uncompressed sizes of the parts read must
 * stay under `maxPartsBytes` (200 MiB) and each part's ratio under 1000:1; a part that inflates to
 * more than it declared is corrupt, so the declared sizes bound the work and memory for real: the
 * inflater is fed 16 KiB of compressed bytes at a time, so a part that lies about its size is
 * stopped within ~16 MiB of output beyond what it declared.
 *
 * Errors: a damaged zip or a missing main part → permanent `OFFICE_CORRUPT`; over the limits →
 * permanent `OFFICE_TOO_LARGE`. File-system errors and aborts propagate unchanged (classify.ts).
 * Text over `maxChars` is cut with the warning `TEXT_TRUNCATED`.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { posix } from 'node:path';
import { crc32 } from 'node:zlib';
import { Inflate } from 'fflate';
import { permanent } from '../errors.ts';
import { TEXT_TRUNCATED, normalise } from './extract-text.ts';

export const DEFAULT_MAX_CHARS = 8_000_000;
export const DEFAULT_MAX_PARTS_BYTES = 200 * 1024 * 1024;
/** Deflate tops out near 1032:1; real XML stays well below 100:1. */
const MAX_RATIO = 1000;
/** Small parts may compress absurdly well (runs of blanks) without harm. */
const RATIO_EXEMPT_BYTES = 1024 * 1024;
const MAX_CENTRAL_DIRECTORY_BYTES = 64 * 1024 * 1024;
const READ_CHUNK = 1024 * 1024;
/**
 * Compressed bytes handed to the inflater at a time. fflate's Inflate inflates everything it was
 * pushed before calling back, so one 1 MiB push of a bomb would be ~1 GiB in memory before the
 * declared-size check could stop it; 16 KiB inflates to at most ~16.5 MiB (deflate's 1032:1).
 */
const INFLATE_SLICE = 16 * 1024;

/** A part's CRC-32 did not match; the text is still used. Reads `OFFICE_CRC_MISMATCH:<part>`. */
export const OFFICE_CRC_MISMATCH = 'OFFICE_CRC_MISMATCH';

export interface ExtractOfficeOptions {
  signal?: AbortSignal;
  /** Cut the text at this many UTF-16 code units (default 8,000,000). */
  maxChars?: number;
  /** Refuse when the declared uncompressed size of the parts read exceeds this (default 200 MiB). */
  maxPartsBytes?: number;
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

  const handle = await open(filePath, 'r');
  try {
    const pkg = await OoxmlPackage.open(handle, signal, options.maxPartsBytes ?? DEFAULT_MAX_PARTS_BYTES);
    const kind = kindOf(mime, pkg);
    const out = kind === 'docx' ? await docx(pkg) : kind === 'xlsx' ? await xlsx(pkg) : await pptx(pkg);
    signal?.throwIfAborted();
    let text = normalise(out.text).replace(/\n{3,}/g, '\n\n').replace(/^\n+|\s+$/g, '');
    const warnings = [...pkg.warnings];
    if (text.length > maxChars) {
      let cut = maxChars;
      const last = text.charCodeAt(cut - 1);
      if (last >= 0xd800 && last <= 0xdbff) cut--; // do not split a surrogate pair
      text = text.slice(0, cut);
      warnings.push(TEXT_TRUNCATED);
    }
    return { text, pageCount: out.pageCount, warnings };
  } finally {
    await handle.close();
  }
}

function kindOf(mime: string, pkg: OoxmlPackage): Kind {
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

const corrupt = (message: string, cause?: unknown) => permanent('OFFICE_CORRUPT', `corrupt Office file: ${message}`, cause);

// ---------------------------------------------------------------------------------------------
// DOCX

const DOCX_EXTRA = /^word\/(?:header|footer)(\d*)\.xml$/;

async function docx(pkg: OoxmlPackage): Promise<{ text: string; pageCount: number | null }> {
  const extras = pkg.names().filter((n) => DOCX_EXTRA.test(n)).sort(byNumber);
  const headers = extras.filter((n) => n.startsWith('word/header'));
  const footers = extras.filter((n) => n.startsWith('word/footer'));
  const notes = ['word/footnotes.xml', 'word/endnotes.xml'].filter((n) => pkg.has(n));
  const app = pkg.has('docProps/app.xml') ? ['docProps/app.xml'] : [];
  pkg.reserve(['word/document.xml', ...headers, ...footers, ...notes, ...app]);

  const body = await pkg.read('word/document.xml');
  const texts = [wordText(body)];
  for (const name of [...headers, ...footers, ...notes]) texts.push(wordText(await pkg.read(name)));
  let pageCount: number | null = null;
  if (app.length > 0) {
    const pages = /<(?:\w+:)?Pages>\s*(\d+)\s*<\//.exec(await pkg.read('docProps/app.xml'))?.[1];
    const n = pages === undefined ? NaN : Number(pages);
    pageCount = Number.isSafeInteger(n) && n > 0 ? n : null;
  }
  return { text: joinBlocks(texts), pageCount };
}

/** WordprocessingML: `<w:t>` of runs, tab/br/cr inside runs, a newline per paragraph. Deleted text, field codes and fallbacks are left out. */
function wordText(xml: string): string {
  let out = '';
  let inText = 0;
  let inRun = 0;
  let skip = 0;
  walkXml(xml, {
    open(name, selfClosing) {
      if (skip > 0) {
        if (!selfClosing) skip++;
        return;
      }
      if (name === 'Fallback') {
        if (!selfClosing) skip = 1;
        return;
      }
      if (name === 'r' && !selfClosing) inRun++;
      else if (name === 't' && !selfClosing) inText++;
      else if (inRun > 0 && (name === 'tab' || name === 'ptab')) out += '\t';
      else if (inRun > 0 && (name === 'br' || name === 'cr')) out += '\n';
      else if (inRun > 0 && name === 'noBreakHyphen') out += '-';
      else if (name === 'p' && selfClosing) out += '\n';
    },
    close(name) {
      if (skip > 0) {
        skip--;
        return;
      }
      if (name === 'r') inRun = Math.max(0, inRun - 1);
      else if (name === 't') inText = Math.max(0, inText - 1);
      else if (name === 'p') out += '\n';
    },
    text(value) {
      if (skip === 0 && inText > 0) out += value;
    },
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// XLSX

async function xlsx(pkg: OoxmlPackage): Promise<{ text: string; pageCount: number | null }> {
  if (!pkg.has('xl/workbook.xml')) throw corrupt('xl/workbook.xml is missing');
  const sheetParts = pkg.names().filter((n) => n.startsWith('xl/worksheets/') && /^[^/]+\.xml$/.test(n.slice('xl/worksheets/'.length)));
  const optional = ['xl/_rels/workbook.xml.rels', 'xl/sharedStrings.xml'].filter((n) => pkg.has(n));
  pkg.reserve(['xl/workbook.xml', ...optional, ...sheetParts]);

  const sheets: Array<{ name: string; rid: string | null }> = [];
  walkXml(await pkg.read('xl/workbook.xml'), {
    open(name, _selfClosing, attrs) {
      if (name === 'sheet') sheets.push({ name: attr(attrs, 'name') ?? '', rid: attr(attrs, 'r:id') ?? attrByLocal(attrs, 'id') });
    },
  });
  const rels = pkg.has('xl/_rels/workbook.xml.rels') ? relationships(await pkg.read('xl/_rels/workbook.xml.rels'), 'xl/workbook.xml') : new Map<string, string>();
  const shared = pkg.has('xl/sharedStrings.xml') ? sharedStrings(await pkg.read('xl/sharedStrings.xml')) : [];

  // workbook order via the relationships; sheets no relationship names follow in file-name order
  const numbered = [...sheetParts].sort(byNumber);
  const ordered: Array<{ name: string; part: string | null }> = sheets.map((s, i) => {
    const target = s.rid === null ? undefined : rels.get(s.rid);
    if (target !== undefined) return { name: s.name, part: target.startsWith('xl/worksheets/') ? (pkg.has(target) ? target : null) : null };
    return { name: s.name, part: rels.size === 0 ? (numbered[i] ?? null) : null };
  });
  const used = new Set(ordered.map((s) => s.part));
  for (const part of numbered) if (!used.has(part)) ordered.push({ name: posix.basename(part, '.xml'), part });

  const blocks: string[] = [];
  for (const sheet of ordered) {
    const rows = sheet.part === null ? [] : sheetRows(await pkg.read(sheet.part), shared);
    blocks.push([sheet.name, ...rows].join('\n'));
  }
  return { text: joinBlocks(blocks), pageCount: Math.max(sheets.length, ordered.length) };
}

/** `<si>` items: the `<t>` runs concatenated, phonetic guides (`<rPh>`, furigana) left out. */
function sharedStrings(xml: string): string[] {
  const out: string[] = [];
  let current: string | null = null;
  let inText = 0;
  let inPhonetic = 0;
  walkXml(xml, {
    open(name, selfClosing) {
      if (name === 'si') {
        if (selfClosing) out.push('');
        else current = '';
      } else if (name === 'rPh' && !selfClosing) inPhonetic++;
      else if (name === 't' && !selfClosing) inText++;
    },
    close(name) {
      if (name === 'si') {
        out.push(xstring(current ?? ''));
        current = null;
      } else if (name === 'rPh') inPhonetic = Math.max(0, inPhonetic - 1);
      else if (name === 't') inText = Math.max(0, inText - 1);
    },
    text(value) {
      if (current !== null && inText > 0 && inPhonetic === 0) current += value;
    },
  });
  return out;
}

/** One line per row, non-empty cell values tab-separated (in-cell line breaks become spaces). */
function sheetRows(xml: string, shared: readonly string[]): string[] {
  const rows: string[] = [];
  let row: string[] | null = null;
  let cell: { type: string; value: string; inline: string } | null = null;
  let inValue = 0;
  let inInline = 0;
  let inText = 0;
  let inPhonetic = 0;
  walkXml(xml, {
    open(name, selfClosing, attrs) {
      if (selfClosing) {
        if (name === 'row') rows.push('');
        return;
      }
      if (name === 'row') row = [];
      else if (name === 'c') cell = { type: attr(attrs, 't') ?? 'n', value: '', inline: '' };
      else if (name === 'v') inValue++;
      else if (name === 'is') inInline++;
      else if (name === 't') inText++;
      else if (name === 'rPh') inPhonetic++;
    },
    close(name) {
      if (name === 'row') {
        if (row !== null && row.length > 0) rows.push(row.join('\t'));
        row = null;
      } else if (name === 'c') {
        // line breaks and tabs inside a cell (Alt+Enter) would break the one-line-per-row layout
        const text = cell === null ? '' : cellText(cell, shared).replace(/[\t\r\n]+/g, ' ').trim();
        if (text !== '') (row ??= []).push(text);
        cell = null;
      } else if (name === 'v') inValue = Math.max(0, inValue - 1);
      else if (name === 'is') inInline = Math.max(0, inInline - 1);
      else if (name === 't') inText = Math.max(0, inText - 1);
      else if (name === 'rPh') inPhonetic = Math.max(0, inPhonetic - 1);
    },
    text(value) {
      if (cell === null) return;
      if (inValue > 0) cell.value += value;
      else if (inInline > 0 && inText > 0 && inPhonetic === 0) cell.inline += value;
    },
  });
  return rows.filter((r) => r !== '');
}

function cellText(cell: { type: string; value: string; inline: string }, shared: readonly string[]): string {
  switch (cell.type) {
    case 's': {
      const index = Number(cell.value.trim());
      return Number.isSafeInteger(index) && index >= 0 ? (shared[index] ?? '') : '';
    }
    case 'inlineStr':
      return xstring(cell.inline);
    case 'b':
      return cell.value.trim() === '1' ? 'TRUE' : cell.value.trim() === '0' ? 'FALSE' : cell.value.trim();
    case 'str':
      return xstring(cell.value);
    default: // n, e, d
      return cell.value.trim();
  }
}

/** ST_Xstring escapes: `_x000D_` is a character, `_x005F_` an underscore. */
function xstring(value: string): string {
  return value.includes('_x') ? value.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))) : value;
}

// ---------------------------------------------------------------------------------------------
// PPTX

const SLIDE = /^ppt\/slides\/slide(\d+)\.xml$/;

async function pptx(pkg: OoxmlPackage): Promise<{ text: string; pageCount: number | null }> {
  const slides = pkg.names().filter((n) => SLIDE.test(n)).sort(byNumber);
  const slideRels = slides.map(relsPathOf).filter((n) => pkg.has(n));
  const notes = pkg.names().filter((n) => /^ppt\/notesSlides\/[^/]+\.xml$/.test(n));
  pkg.reserve([...slides, ...slideRels, ...notes]);
  if (slides.length === 0 && !pkg.has('ppt/presentation.xml')) throw corrupt('no ppt/presentation.xml and no slides');

  const blocks: string[] = [];
  for (const slide of slides) {
    let text = drawingText(await pkg.read(slide), false);
    const rels = relsPathOf(slide);
    if (pkg.has(rels)) {
      for (const [, target] of relationships(await pkg.read(rels), slide, 'notesSlide')) {
        if (!pkg.has(target)) continue;
        const note = drawingText(await pkg.read(target), true).trim();
        if (note !== '') text = `${text.replace(/\s+$/, '')}\n${note}`;
      }
    }
    blocks.push(text);
  }
  return { text: joinBlocks(blocks), pageCount: slides.length };
}

/** DrawingML: `<a:t>` text, `<a:br/>` and each `<a:p>` a newline. For notes, fields (the slide number) are left out. */
function drawingText(xml: string, skipFields: boolean): string {
  let out = '';
  let inText = 0;
  let skip = 0;
  walkXml(xml, {
    open(name, selfClosing) {
      if (skip > 0) {
        if (!selfClosing) skip++;
        return;
      }
      if (name === 'Fallback' || (skipFields && name === 'fld')) {
        if (!selfClosing) skip = 1;
      } else if (name === 't' && !selfClosing) inText++;
      else if (name === 'br') out += '\n';
      else if (name === 'p' && selfClosing) out += '\n';
    },
    close(name) {
      if (skip > 0) {
        skip--;
        return;
      }
      if (name === 't') inText = Math.max(0, inText - 1);
      else if (name === 'p') out += '\n';
    },
    text(value) {
      if (skip === 0 && inText > 0) out += value;
    },
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// shared helpers

function relsPathOf(part: string): string {
  return posix.join(posix.dirname(part), '_rels', `${posix.basename(part)}.rels`);
}

/** Relationship Id → target part name (resolved against the source part), optionally of one type (by its last path segment). */
function relationships(xml: string, source: string, type?: string): Map<string, string> {
  const out = new Map<string, string>();
  walkXml(xml, {
    open(name, _selfClosing, attrs) {
      if (name !== 'Relationship') return;
      const id = attr(attrs, 'Id');
      const target = attr(attrs, 'Target');
      if (id === undefined || target === undefined || attr(attrs, 'TargetMode') === 'External') return;
      if (type !== undefined && (attr(attrs, 'Type') ?? '').split('/').pop() !== type) return;
      const resolved = target.startsWith('/') ? posix.normalize(target.slice(1)) : posix.join(posix.dirname(source), target);
      out.set(id, resolved);
    },
  });
  return out;
}

/** Numeric order of the last number in a part name: slide2 before slide10; no number first. */
function byNumber(a: string, b: string): number {
  const n = (s: string) => Number(/(\d+)\.xml$/.exec(s)?.[1] ?? -1);
  return n(a) - n(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Parts/sheets/slides separated by a blank line; empty ones dropped. */
function joinBlocks(blocks: string[]): string {
  return blocks.map((b) => b.replace(/^\n+|\s+$/g, '')).filter((b) => b !== '').join('\n\n');
}

// ---------------------------------------------------------------------------------------------
// XML walk: elements by local name (prefixes vary between producers), decoded character data.

interface XmlHandlers {
  open?(localName: string, selfClosing: boolean, attrs: string): void;
  close?(localName: string): void;
  text?(value: string): void;
}

const TOKEN = /<(\/?)([A-Za-z_][\w.:-]*)((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>|<!--[\s\S]*?-->|<!\[CDATA\[([\s\S]*?)\]\]>|<[?!][\s\S]*?>/g;

export function walkXml(xml: string, h: XmlHandlers): void {
  TOKEN.lastIndex = 0;
  let last = 0;
  for (let m = TOKEN.exec(xml); m !== null; m = TOKEN.exec(xml)) {
    if (m.index > last && h.text) h.text(decodeEntities(xml.slice(last, m.index)));
    last = TOKEN.lastIndex;
    const [, slash, qname, attrs, selfClose, cdata] = m;
    if (qname !== undefined) {
      const local = qname.slice(qname.indexOf(':') + 1);
      if (slash === '/') h.close?.(local);
      else h.open?.(local, selfClose === '/', attrs ?? ''); // a self-closing element gets no close()
    } else if (cdata !== undefined && h.text) h.text(cdata);
  }
  if (last < xml.length && h.text) h.text(decodeEntities(xml.slice(last)));
}

/** An attribute's decoded value by its qualified name. */
function attr(attrs: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|\\s)${name.replace(/[.:]/g, '\\$&')}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(attrs);
  return m === null ? undefined : decodeEntities(m[1] ?? m[2] ?? '');
}

/** An attribute by local name whatever its prefix (`r:id` written with another prefix). */
function attrByLocal(attrs: string, local: string): string | null {
  const m = new RegExp(`(?:^|\\s)[\\w.-]+:${local}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(attrs);
  return m === null ? null : decodeEntities(m[1] ?? m[2] ?? '');
}

const NAMED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(?:#[xX]([0-9A-Fa-f]{1,8})|#([0-9]{1,10})|(amp|lt|gt|quot|apos));/g, (whole, hex?: string, dec?: string, named?: string) => {
    if (named !== undefined) return NAMED[named] ?? whole;
    const cp = hex !== undefined ? parseInt(hex, 16) : Number(dec);
    if (cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return '\uFFFD';
    return String.fromCodePoint(cp);
  });
}

// ---------------------------------------------------------------------------------------------
// Zip reading (central directory; stored and deflated entries; zip64)

interface Entry {
  name: string;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

class OoxmlPackage {
  readonly warnings: string[] = [];
  private readonly handle: FileHandle;
  private readonly entries: Map<string, Entry>;
  private readonly signal: AbortSignal | undefined;
  private readonly maxPartsBytes: number;
  private readonly fileSize: number;

  private constructor(handle: FileHandle, entries: Map<string, Entry>, fileSize: number, signal: AbortSignal | undefined, maxPartsBytes: number) {
    this.handle = handle;
    this.entries = entries;
    this.fileSize = fileSize;
    this.signal = signal;
    this.maxPartsBytes = maxPartsBytes;
  }

  static async open(handle: FileHandle, signal: AbortSignal | undefined, maxPartsBytes: number): Promise<OoxmlPackage> {
    const { size } = await handle.stat();
    const entries = await readCentralDirectory(handle, size);
    signal?.throwIfAborted();
    return new OoxmlPackage(handle, entries, size, signal, maxPartsBytes);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Checks, before anything is inflated, that the parts about to be read are within the limits. */
  reserve(names: readonly string[]): void {
    let total = 0;
    for (const name of new Set(names)) {
      const e = this.entries.get(name);
      if (e === undefined) continue;
      total += e.size;
      if (e.size > RATIO_EXEMPT_BYTES && e.size > e.compressedSize * MAX_RATIO) {
        throw permanent('OFFICE_TOO_LARGE', `Office part ${name} declares ${e.size} bytes from ${e.compressedSize} compressed (ratio over ${MAX_RATIO}:1)`, undefined, { part: name, size: e.size, compressedSize: e.compressedSize });
      }
    }
    if (total > this.maxPartsBytes) {
      throw permanent('OFFICE_TOO_LARGE', `Office parts declare ${total} bytes uncompressed (limit ${this.maxPartsBytes})`, undefined, { size: total, limit: this.maxPartsBytes });
    }
  }

  async read(name: string): Promise<string> {
    const bytes = await this.readBytes(name);
    return new TextDecoder('utf-8').decode(bytes); // strips a BOM; OOXML parts are UTF-8
  }

  private async readBytes(name: string): Promise<Uint8Array> {
    const { signal } = this;
    signal?.throwIfAborted();
    const e = this.entries.get(name);
    if (e === undefined) throw corrupt(`${name} is missing`);
    if ((e.flags & 0x1) !== 0) throw corrupt(`${name} is encrypted`);
    if (e.method !== 0 && e.method !== 8) throw corrupt(`${name} uses unsupported compression method ${e.method}`);
    if (e.size > this.maxPartsBytes) throw permanent('OFFICE_TOO_LARGE', `Office part ${name} declares ${e.size} bytes`, undefined, { part: name, size: e.size });

    if (e.compressedSize === 0) {
      if (e.size !== 0) throw corrupt(`${name} has no data but declares ${e.size} bytes`);
      return new Uint8Array(0);
    }
    const local = Buffer.alloc(30);
    await readExactly(this.handle, local, e.localOffset, this.fileSize, name);
    if (local.readUInt32LE(0) !== 0x04034b50) throw corrupt(`bad local header for ${name}`);
    const start = e.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
    if (start + e.compressedSize > this.fileSize) throw corrupt(`${name} runs past the end of the file`);

    const out = new Uint8Array(e.size);
    let filled = 0;
    const overflow = () => corrupt(`${name} inflates to more than its declared ${e.size} bytes`);
    const take = (data: Uint8Array) => {
      if (filled + data.length > out.length) throw overflow();
      out.set(data, filled);
      filled += data.length;
    };
    const inflate = e.method === 8 ? new Inflate((data) => take(data)) : null;
    const chunk = Buffer.alloc(Math.min(READ_CHUNK, Math.max(e.compressedSize, 1)));
    let done = 0;
    try {
      do {
        signal?.throwIfAborted();
        const length = Math.min(chunk.length, e.compressedSize - done);
        await readExactly(this.handle, chunk.subarray(0, length), start + done, this.fileSize, name);
        done += length;
        const piece = new Uint8Array(chunk.subarray(0, length)); // fflate may keep the chunk; the buffer is reused
        if (inflate) {
          // in slices, so a part that inflates past its declared size is stopped within ~16 MiB of output
          for (let at = 0; at < piece.length; at += INFLATE_SLICE) {
            const end = Math.min(piece.length, at + INFLATE_SLICE);
            inflate.push(piece.subarray(at, end), done === e.compressedSize && end === piece.length);
          }
        } else take(piece);
      } while (done < e.compressedSize);
    } catch (err) {
      if (isFflateError(err)) throw corrupt(`${name} does not inflate: ${(err as Error).message}`, err);
      throw err;
    }
    if (filled !== e.size) throw corrupt(`${name} inflates to ${filled} bytes, declared ${e.size}`);
    if ((crc32(out) >>> 0) !== e.crc) this.warnings.push(`${OFFICE_CRC_MISMATCH}:${name}`);
    return out;
  }
}

function isFflateError(err: unknown): boolean {
  return typeof (err as { code?: unknown } | null)?.code === 'number'; // fflate's FlateError carries a numeric code
}

async function readExactly(handle: FileHandle, buffer: Uint8Array, position: number, fileSize: number, what: string): Promise<void> {
  if (position < 0 || position + buffer.length > fileSize) throw corrupt(`${what}: offset ${position} outside the file`);
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, position + filled);
    if (bytesRead === 0) throw corrupt(`${what}: file ended early`);
    filled += bytesRead;
  }
}

async function readCentralDirectory(handle: FileHandle, fileSize: number): Promise<Map<string, Entry>> {
  if (fileSize < 22) throw corrupt('too short for a zip');
  const tailLength = Math.min(fileSize, 22 + 0xffff + 20);
  const tail = Buffer.alloc(tailLength);
  await readExactly(handle, tail, fileSize - tailLength, fileSize, 'end of central directory');
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50 && i + 22 + tail.readUInt16LE(i + 20) <= tail.length) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw corrupt('no zip end-of-central-directory record');
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  if ((count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) && eocd >= 20 && tail.readUInt32LE(eocd - 20) === 0x07064b50) {
    const at = Number(tail.readBigUInt64LE(eocd - 20 + 8));
    const z = Buffer.alloc(56);
    await readExactly(handle, z, at, fileSize, 'zip64 end of central directory');
    if (z.readUInt32LE(0) !== 0x06064b50) throw corrupt('bad zip64 end-of-central-directory record');
    count = Number(z.readBigUInt64LE(32));
    cdSize = Number(z.readBigUInt64LE(40));
    cdOffset = Number(z.readBigUInt64LE(48));
  }
  if (cdSize > MAX_CENTRAL_DIRECTORY_BYTES) throw permanent('OFFICE_TOO_LARGE', `zip central directory of ${cdSize} bytes`, undefined, { size: cdSize });
  const cd = Buffer.alloc(cdSize);
  await readExactly(handle, cd, cdOffset, fileSize, 'central directory');

  const entries = new Map<string, Entry>();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== 0x02014b50) throw corrupt('bad central directory entry');
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    if (p + 46 + nameLength + extraLength + commentLength > cd.length) throw corrupt('central directory entry runs past its end');
    const entry: Entry = {
      name: cd.toString('utf8', p + 46, p + 46 + nameLength).replace(/\\/g, '/').replace(/^\/+/, ''),
      flags: cd.readUInt16LE(p + 8),
      method: cd.readUInt16LE(p + 10),
      crc: cd.readUInt32LE(p + 16),
      compressedSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      localOffset: cd.readUInt32LE(p + 42),
    };
    zip64Extra(entry, cd.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength));
    // OPC part names are case-insensitive; producers agree on case in practice, the first wins
    if (!entries.has(entry.name)) entries.set(entry.name, entry);
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function zip64Extra(e: Entry, extra: Buffer): void {
  for (let p = 0; p + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(p);
    const length = extra.readUInt16LE(p + 2);
    if (id === 0x0001) {
      let q = p + 4;
      const next = () => {
        if (q + 8 > p + 4 + length) throw corrupt('short zip64 extra field');
        const v = Number(extra.readBigUInt64LE(q));
        q += 8;
        return v;
      };
      if (e.size === 0xffffffff) e.size = next();
      if (e.compressedSize === 0xffffffff) e.compressedSize = next();
      if (e.localOffset === 0xffffffff) e.localOffset = next();
      return;
    }
    p += 4 + length;
  }
}
