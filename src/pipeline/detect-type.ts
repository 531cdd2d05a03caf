/**
 * What a downloaded file is, from its bytes. The object's name and the declared Content-Type are
 * never trusted for the category: a `.txt` that is a PNG is an image, a `.pdf` that is text is
 * text. The name only picks the subtype of something already known to be text.
 *
 * Magic numbers come from file-type; when it finds nothing, the first 64 KiB are sniffed for text
 * (BOM, UTF-8, Shift_JIS, EUC-JP, ISO-2022-JP, UTF-16 — see decode-text.ts).
 */
import { open } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { fileTypeFromFile, type FileTypeResult } from 'file-type';
import { decodeText, type DecodedText } from './decode-text.ts';

export type TypeCategory = 'text' | 'pdf' | 'image' | 'office' | 'legacy-office' | 'archive' | 'empty' | 'binary';

export interface DetectedType {
  mime: string;
  /** Canonical extension of the detected content (not the object's name); null when unknown. */
  extension: string | null;
  category: TypeCategory;
}

export interface DetectHints {
  /** The object's file name (or key); only used to pick a text subtype. */
  fileName: string;
  /** Content-Type the uploader declared; only used to pick a text subtype when the name has none. */
  declaredMime?: string;
}

export interface DetectOptions {
  signal?: AbortSignal;
}

export const SNIFF_BYTES = 64 * 1024;

/** MIME reported for a zero-byte object (as libmagic's `file --mime-type` does). */
export const EMPTY_MIME = 'inode/x-empty';
const UNKNOWN_BINARY_MIME = 'application/octet-stream';

const ARCHIVE_MIMES = new Set([
  'application/zip', 'application/gzip', 'application/x-7z-compressed', 'application/x-rar-compressed',
  'application/x-tar', 'application/x-bzip2', 'application/x-xz', 'application/zstd', 'application/lzip',
  'application/x-lz4', 'application/x-compress', 'application/x-lzh-compressed', 'application/x-arj',
  'application/x-ace-compressed', 'application/x-cpio', 'application/vnd.ms-cab-compressed',
  'application/x-unix-archive', 'application/x-deb', 'application/x-rpm', 'application/x-iso9660-image',
  'application/x-apple-diskimage', 'application/java-archive',
]);

/** Text formats file-type recognises by their first line; they are decoded like any text. */
const TEXT_FORMAT_MIMES = new Set(['application/xml', 'text/calendar', 'text/vcard', 'text/vtt', 'application/x-ms-regedit']);

/** Not raster images whatever their MIME says. */
const NOT_IMAGES = new Set(['image/vnd.dwg']);

/** Text subtype by the name's extension (only once the bytes are known to be text). */
const TEXT_BY_EXTENSION: Readonly<Record<string, { mime: string; extension: string }>> = {
  csv: { mime: 'text/csv', extension: 'csv' },
  md: { mime: 'text/markdown', extension: 'md' },
  markdown: { mime: 'text/markdown', extension: 'md' },
  json: { mime: 'application/json', extension: 'json' },
  tsv: { mime: 'text/tab-separated-values', extension: 'tsv' },
  txt: { mime: 'text/plain', extension: 'txt' },
};
const PLAIN_TEXT = { mime: 'text/plain', extension: 'txt' };

export async function detectType(filePath: string, hints: DetectHints, options: DetectOptions = {}): Promise<DetectedType> {
  const { signal } = options;
  signal?.throwIfAborted();
  const { head, size } = await readHead(filePath, SNIFF_BYTES);
  if (size === 0) return { mime: EMPTY_MIME, extension: null, category: 'empty' };
  signal?.throwIfAborted();

  const found = await magic(filePath, signal);
  if (found) {
    const type = fromMagic(found, head);
    // Weak signatures ("BM" = BMP, "MZ" = EXE, "solid " = STL, "ID3" = MP3, ...) also start
    // ordinary text; a genuine file of those formats never reads as clean text.
    if ((type.category === 'image' || type.category === 'binary') && textVerdict(sniff(head, size)) === 'clean') {
      return { ...textSubtype(hints), category: 'text' };
    }
    return type;
  }

  // PDF readers accept a header after leading whitespace / NULs (padding added by some
  // exporters and gateways); file-type only looks at offset 0. Any other prefix is not trusted.
  if (pdfAfterPadding(head)) return { mime: 'application/pdf', extension: 'pdf', category: 'pdf' };

  return textVerdict(sniff(head, size)) === 'no'
    ? { mime: UNKNOWN_BINARY_MIME, extension: null, category: 'binary' }
    : { ...textSubtype(hints), category: 'text' };
}

async function readHead(filePath: string, length: number): Promise<{ head: Uint8Array; size: number }> {
  const handle = await open(filePath, 'r');
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(Math.min(length, size));
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return { head: buffer.subarray(0, filled), size };
  } finally {
    await handle.close();
  }
}

/**
 * file-type's answer, or undefined. Its parsers survive corrupt input, but should one throw on a
 * malformed file, the file is still sniffed as text/binary rather than failing the job.
 */
async function magic(filePath: string, signal: AbortSignal | undefined): Promise<FileTypeResult | undefined> {
  try {
    return await fileTypeFromFile(filePath, signal ? { signal } : {});
  } catch (err) {
    signal?.throwIfAborted();
    if (isFsError(err)) throw err;
    return undefined;
  }
}

function isFsError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

function fromMagic(found: FileTypeResult, head: Uint8Array): DetectedType {
  const { mime, ext } = found;
  const as = (category: TypeCategory): DetectedType => ({ mime, extension: ext, category });
  if (mime === 'application/pdf') return as('pdf');
  if (isOoxml(mime)) return as('office');
  if (mime === 'application/x-cfb') return as('legacy-office');
  if (ARCHIVE_MIMES.has(mime) || isZip(head)) return as('archive');
  if (mime.startsWith('image/') && !NOT_IMAGES.has(mime)) return as('image');
  if (TEXT_FORMAT_MIMES.has(mime)) return as('text');
  return as('binary');
}

/** docx/xlsx/pptx and their macro-enabled, template and slideshow variants. */
function isOoxml(mime: string): boolean {
  return (
    mime.startsWith('application/vnd.openxmlformats-officedocument.') ||
    /^application\/vnd\.ms-(?:word|excel|powerpoint)\.[a-z.]*macroenabled/.test(mime)
  );
}

/** Zip-based containers file-type names but we cannot read (epub, odt, jar, apk, ...) are archives. */
function isZip(head: Uint8Array): boolean {
  return head[0] === 0x50 && head[1] === 0x4b && (head[2] === 0x03 || head[2] === 0x05 || head[2] === 0x07);
}

const PDF_MAGIC = Buffer.from('%PDF-', 'latin1');

function pdfAfterPadding(head: Uint8Array): boolean {
  const at = Buffer.from(head.buffer, head.byteOffset, Math.min(head.length, 1024)).indexOf(PDF_MAGIC);
  if (at <= 0) return false;
  for (let i = 0; i < at; i++) {
    const b = head[i];
    if (b !== 0x00 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x20) return false;
  }
  return true;
}

function sniff(head: Uint8Array, size: number): DecodedText {
  return decodeText(head, { partial: size > head.length });
}

/**
 * 'clean': decodes without a single error or stray control character. 'text': a few (corrupt
 * bytes, a stray NUL) among real text. 'no': binary.
 * Allowed controls: \t \n \v \f \r, and ESC (ISO-2022-JP escapes, ANSI colours in logs).
 */
export function textVerdict(decoded: DecodedText): 'clean' | 'text' | 'no' {
  const { text, invalidBytes } = decoded;
  let controls = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && !(c >= 0x09 && c <= 0x0d) && c !== 0x1b) || (c >= 0x7f && c <= 0x9f)) controls++;
  }
  if (controls === 0 && invalidBytes === 0) return 'clean';
  const chars = Math.max(text.length, 1);
  // A few stray bytes among real text are damage, not binary: a handful (once there are 20+
  // characters to judge by), or 1 % controls / 2 % undecodable bytes of a longer text.
  const few = chars >= 20;
  return controls <= Math.max(few ? 2 : 0, chars * 0.01) && invalidBytes <= Math.max(few ? 4 : 0, chars * 0.02) ? 'text' : 'no';
}

function textSubtype(hints: DetectHints): { mime: string; extension: string } {
  const ext = extname(basename(hints.fileName)).slice(1).toLowerCase();
  const byName = ext === '' ? undefined : TEXT_BY_EXTENSION[ext];
  if (byName) return byName;
  const declared = hints.declaredMime?.split(';')[0]?.trim().toLowerCase();
  if (declared && declared !== 'text/plain') {
    const byMime = Object.values(TEXT_BY_EXTENSION).find((t) => t.mime === declared);
    if (byMime) return byMime;
  }
  return PLAIN_TEXT;
}
