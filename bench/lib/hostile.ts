/**
 * Hostile files for the chaos benchmark (bench/chaos.ts part c), made in code: zip and XML bombs
 * inside OOXML packages, pixel bombs, broken and disguised PDFs and images, executables.
 *
 * Zips are written by hand (test/support/zip.ts) so that an entry can declare sizes that are not the
 * truth, as a hostile producer would; PNGs are written chunk by chunk for the same reason.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createDeflate, createDeflateRaw, crc32, deflateSync } from 'node:zlib';
import { unzipSync } from 'fflate';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import sharp from 'sharp';
import { FIXTURES } from '../../test/support/documents.ts';
import { deflated, stored, zipFile, type ZipEntry } from '../../test/support/zip.ts';
import { DOC_HEAD, DOC_TAIL, docxFrame, W_NS } from '../../test/support/office-bombs.ts';


// ---------------------------------------------------------------- deflate of generated data

export interface Deflated {
  /** raw deflate (zip) or zlib (PNG) stream */
  data: Buffer;
  /** bytes before compression */
  size: number;
  crc: number;
}

/**
 * Deflates `total` bytes made by repeating `chunk` (and `head`/`tail` around them) without ever
 * holding the uncompressed bytes: a stream, written chunk by chunk.
 */
export async function deflateRepeated(o: { head?: Buffer; chunk: Buffer | ((i: number) => Buffer); total: number; tail?: Buffer; raw: boolean; level?: number }): Promise<Deflated> {
  const z = o.raw ? createDeflateRaw({ level: o.level ?? 9 }) : createDeflate({ level: o.level ?? 9 });
  const out: Buffer[] = [];
  z.on('data', (b: Buffer) => out.push(b));
  const ended = new Promise<void>((resolve, reject) => {
    z.once('end', () => resolve());
    z.once('error', reject);
  });
  let crc = 0;
  let size = 0;
  const write = async (b: Buffer) => {
    crc = crc32(b, crc);
    size += b.length;
    if (!z.write(b)) await new Promise<void>((resolve) => z.once('drain', () => resolve()));
  };
  if (o.head) await write(o.head);
  let body = 0;
  for (let i = 0; body < o.total; i++) {
    const c = typeof o.chunk === 'function' ? o.chunk(i) : o.chunk;
    const piece = body + c.length > o.total ? c.subarray(0, o.total - body) : c;
    await write(piece);
    body += piece.length;
  }
  if (o.tail) await write(o.tail);
  z.end();
  await ended;
  return { data: Buffer.concat(out), size, crc: crc >>> 0 };
}

// ---------------------------------------------------------------- zip

// ---------------------------------------------------------------- OOXML

/**
 * Zip bomb: word/document.xml is one `<w:t>` of `total` bytes of 'A' (deflate's best ratio,
 * ~1030:1). `declare`: 'true' states the real size (over the ratio and size limits); 'small'
 * states 1 MiB — a lie, the entry inflates to far more than it says.
 */
export async function docxZipBomb(total: number, declare: 'true' | 'small'): Promise<Buffer> {
  const d = await deflateRepeated({ head: Buffer.from(DOC_HEAD), chunk: Buffer.alloc(16 * 1024 * 1024, 'A'), total, tail: Buffer.from(DOC_TAIL), raw: true, level: 9 });
  const frame = docxFrame();
  const entry: ZipEntry = { name: 'word/document.xml', method: 8, data: d.data, crc: d.crc, declaredSize: declare === 'true' ? d.size : 1024 * 1024 };
  return zipFile([frame[0]!, frame[1]!, entry, ...frame.slice(2)]);
}

/**
 * A DOCX with real paragraphs of varied text: `total` bytes of XML at well under 1000:1, honestly
 * declared (over the 200 MiB parts limit when total is).
 */
export async function docxLargeHonest(total: number): Promise<Buffer> {
  let n = 0;
  const para = () => {
    const lines: string[] = [];
    for (let i = 0; i < 2000; i++) lines.push(`<w:p><w:r><w:t>段落 ${n++} chaos benchmark paragraph ${(n * 7919) % 100_003}</w:t></w:r></w:p>`);
    return Buffer.from(lines.join(''));
  };
  const head = Buffer.from(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="${W_NS}"><w:body>`);
  const d = await deflateRepeated({ head, chunk: para, total, tail: Buffer.from('</w:body></w:document>'), raw: true, level: 6 });
  const frame = docxFrame();
  return zipFile([frame[0]!, frame[1]!, { name: 'word/document.xml', method: 8, data: d.data, crc: d.crc, declaredSize: d.size }, ...frame.slice(2)]);
}

/** A DOCX with `count` tiny header parts (many entries in the central directory). */
export function docxManyParts(count: number): Buffer {
  const frame = docxFrame();
  const headers: ZipEntry[] = [];
  for (let i = 1; i <= count; i++) headers.push(stored(`word/header${i}.xml`, `<w:hdr xmlns:w="${W_NS}"><w:p><w:r><w:t>h${i}</w:t></w:r></w:p></w:hdr>`));
  return zipFile([frame[0]!, frame[1]!, deflated('word/document.xml', `${DOC_HEAD}many parts${DOC_TAIL}`), ...headers, ...frame.slice(2)]);
}

/** A DOCX whose word/document.xml is `xml`; billion laughs and XXE: as the tests build them (test/support/office-bombs.ts). */
export { billionLaughsXml, docxWith, xxeXml } from '../../test/support/office-bombs.ts';

/** An XLSX whose sharedStrings.xml declares 1 MiB and inflates to `total` bytes. */
export async function xlsxLyingBomb(total: number): Promise<Buffer> {
  const parts = unzipSync(readFileSync(`${FIXTURES}sample.xlsx`));
  const names = Object.keys(parts).filter((n) => n !== 'xl/sharedStrings.xml');
  names.sort((a, b) => (a === '[Content_Types].xml' ? -1 : b === '[Content_Types].xml' ? 1 : 0));
  const d = await deflateRepeated({
    head: Buffer.from('<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'),
    chunk: Buffer.alloc(16 * 1024 * 1024, 'B'), total, tail: Buffer.from('</t></si></sst>'), raw: true, level: 9,
  });
  return zipFile([
    ...names.map((n) => deflated(n, Buffer.from(parts[n]!))),
    { name: 'xl/sharedStrings.xml', method: 8, data: d.data, crc: d.crc, declaredSize: 1024 * 1024 },
  ]);
}

// ---------------------------------------------------------------- PNG

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

function ihdr(width: number, height: number, colourType: 0 | 6): Buffer {
  const b = Buffer.alloc(13);
  b.writeUInt32BE(width, 0);
  b.writeUInt32BE(height, 4);
  b[8] = 8;
  b[9] = colourType;
  return pngChunk('IHDR', b);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A PNG whose header declares width×height (greyscale) over a few bytes of pixel data. */
export function pngHeaderBomb(width: number, height: number): Buffer {
  return Buffer.concat([PNG_SIGNATURE, ihdr(width, height, 0), pngChunk('IDAT', deflateSync(Buffer.alloc(1024))), pngChunk('IEND', Buffer.alloc(0))]);
}

/** A real, complete, all-white RGBA PNG of width×height: small on disk, width×height×4 bytes decoded. */
export async function pngWhiteRgba(width: number, height: number): Promise<Buffer> {
  const row = Buffer.alloc(1 + width * 4, 0xff);
  row[0] = 0; // filter None
  const d = await deflateRepeated({ chunk: row, total: row.length * height, raw: false, level: 9 });
  const idat: Buffer[] = [];
  for (let i = 0; i < d.data.length; i += 1024 * 1024) idat.push(pngChunk('IDAT', d.data.subarray(i, i + 1024 * 1024)));
  return Buffer.concat([PNG_SIGNATURE, ihdr(width, height, 6), ...idat, pngChunk('IEND', Buffer.alloc(0))]);
}

/** A 64×64 white PNG with a zTXt chunk that inflates to `total` bytes (a metadata bomb). */
export async function pngZtxtBomb(total: number): Promise<Buffer> {
  const small = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#ffffff' } }).greyscale().png().toBuffer();
  const iend = small.length - 12;
  const d = await deflateRepeated({ chunk: Buffer.alloc(16 * 1024 * 1024, 'C'), total, raw: false, level: 9 });
  const ztxt = pngChunk('zTXt', Buffer.concat([Buffer.from('Comment\0\0', 'latin1'), d.data]));
  return Buffer.concat([small.subarray(0, iend), ztxt, small.subarray(iend)]);
}

// ---------------------------------------------------------------- other images

/** A real 8×8 JPEG whose SOF0 header is patched to declare width×height. */
export async function jpegHeaderBomb(width: number, height: number): Promise<Buffer> {
  const jpg = Buffer.from(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).jpeg().toBuffer());
  for (let i = 2; i < jpg.length - 9; i++) {
    if (jpg[i] === 0xff && (jpg[i + 1] === 0xc0 || jpg[i + 1] === 0xc2)) {
      jpg.writeUInt16BE(height, i + 5);
      jpg.writeUInt16BE(width, i + 7);
      return jpg;
    }
  }
  throw new Error('no SOF marker in the generated JPEG');
}

/** A real 8×8 GIF whose logical screen and image descriptor declare 65535×65535. */
export async function gifHeaderBomb(): Promise<Buffer> {
  const gif = Buffer.from(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).gif().toBuffer());
  gif.writeUInt16LE(65535, 6);
  gif.writeUInt16LE(65535, 8);
  const desc = gif.indexOf(0x2c, 13);
  if (desc > 0) {
    gif.writeUInt16LE(65535, desc + 5);
    gif.writeUInt16LE(65535, desc + 7);
  }
  return gif;
}

/** A BMP header declaring width×height, 24 bits, with 1 KiB of pixel data. */
export function bmpHeaderBomb(width: number, height: number): Buffer {
  const b = Buffer.alloc(54 + 1024);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(b.length, 2);
  b.writeUInt32LE(54, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(width, 18);
  b.writeInt32LE(height, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(24, 28);
  return b;
}

export const garbageAfter = (magic: number[], bytes: number, seed: Buffer = randomBytes(bytes)) => Buffer.concat([Buffer.from(magic), seed.subarray(0, bytes)]);

// ---------------------------------------------------------------- PDFs

/** A PDF whose page tree is a cycle (Pages → Kids → itself). */
export function pdfCircularPages(): Buffer {
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 3 0 R] /Count 1 >>',
  ];
  let body = '%PDF-1.7\n';
  const offsets: number[] = [];
  objs.forEach((o, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  body += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

/** One empty page of 14400×14400 pt (200 inches square: 60000×60000 px at 300 dpi): no text, so it is rendered for OCR. */
export async function pdfHugePage(): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  doc.addPage([14_400, 14_400]);
  return doc.save();
}

/** A small PDF with a Helvetica text layer. */
export async function pdfText(lines: readonly string[]): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([595.28, 841.89]);
  lines.forEach((line, i) => page.drawText(line, { font, size: 11, x: 57, y: 770 - i * 16 }));
  return doc.save();
}

// ---------------------------------------------------------------- executables and other binaries

/** A minimal ELF64 x86-64 executable header followed by `bytes` of random code. */
export function elfExecutable(bytes = 4096): Buffer {
  const h = Buffer.alloc(64);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]).copy(h, 0);
  h.writeUInt16LE(2, 16); // ET_EXEC
  h.writeUInt16LE(0x3e, 18); // x86-64
  h.writeUInt32LE(1, 20);
  h.writeBigUInt64LE(0x401000n, 24);
  h.writeBigUInt64LE(64n, 32);
  h.writeUInt16LE(64, 52);
  h.writeUInt16LE(56, 54);
  return Buffer.concat([h, randomBytes(bytes)]);
}

/** A DOS/PE header ('MZ', e_lfanew → 'PE\0\0') followed by random bytes. */
export function peExecutable(bytes = 4096): Buffer {
  const h = Buffer.alloc(0x80);
  h.write('MZ', 0, 'latin1');
  h.writeUInt32LE(0x40, 0x3c);
  h.write('PE\0\0', 0x40, 'latin1');
  h.writeUInt16LE(0x8664, 0x44);
  return Buffer.concat([h, randomBytes(bytes)]);
}

/** An OLE2 compound file header (legacy .doc/.xls) and zeros. */
export function ole2(bytes = 4096): Buffer {
  return Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(bytes)]);
}
