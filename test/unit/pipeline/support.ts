/** Test inputs for the pipeline's type detection and text decoding, generated in code. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import Encoding from 'encoding-japanese';
import { stored, zipFile } from '../../support/zip.ts';

export type LegacyEncoding = 'SJIS' | 'EUCJP' | 'JIS' | 'UTF16LE' | 'UTF16BE' | 'UTF8';

/** Encode a string with encoding-japanese (no BOM). */
export function encode(text: string, to: LegacyEncoding): Uint8Array {
  return Uint8Array.from(Encoding.convert(Encoding.stringToCode(text), { to, from: 'UNICODE', type: 'array' }));
}

export function concat(...parts: (Uint8Array | number[] | string)[]): Uint8Array {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));
}

/** A private temp directory; `write` puts a file in it; `cleanup` removes it all. */
export async function tempDir(): Promise<{ dir: string; write(name: string, data: Uint8Array | string): Promise<string>; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'spot-ingest-pipeline-'));
  return {
    dir,
    async write(name, data) {
      const path = join(dir, name);
      await writeFile(path, data);
      return path;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A valid 1×1 RGB PNG. */
export function png(): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const body = concat(Buffer.from(type, 'latin1'), data);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    Buffer.from(body).copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0);
  ihdr.writeUInt32BE(1, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return concat(
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.from([0, 255, 0, 0]))),
    chunk('IEND', new Uint8Array()),
  );
}

/** JPEG SOI + JFIF APP0 header (enough for magic-number detection). */
export function jpeg(): Uint8Array {
  return concat([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10], 'JFIF', [0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00], [0xff, 0xd9]);
}

export function pdf(): Uint8Array {
  return concat('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n');
}

/** A BMP header for a 24-bit image (1×1 by default; a huge size makes a header-only bomb). */
export function bmp(width = 1, height = 1): Uint8Array {
  const b = Buffer.alloc(58);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(58, 2);
  b.writeUInt32LE(54, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(width, 18);
  b.writeInt32LE(height, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(24, 28);
  b.writeUInt32LE(4, 34);
  return b;
}

/** OLE2 / MS-CFB signature followed by an (empty) header sector, as in .doc/.xls/.ppt. */
export function cfb(): Uint8Array {
  const b = Buffer.alloc(512);
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(b, 0);
  b.writeUInt16LE(0x003e, 24);
  b.writeUInt16LE(0x0003, 26);
  b.writeUInt16LE(0xfffe, 28);
  b.writeUInt16LE(9, 30);
  return b;
}

/** A zip archive with stored (uncompressed) entries. */
export function zip(entries: Record<string, string>): Uint8Array {
  return zipFile(Object.entries(entries).map(([name, content]) => stored(name, content)));
}

const OOXML_MAIN = {
  docx: ['word/document.xml', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml'],
  xlsx: ['xl/workbook.xml', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml'],
  pptx: ['ppt/presentation.xml', 'application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml'],
} as const;

/** A minimal OOXML package: [Content_Types].xml naming the main part, rels, and the part. */
export function ooxml(kind: keyof typeof OOXML_MAIN): Uint8Array {
  const [part, contentType] = OOXML_MAIN[kind];
  return zip({
    '[Content_Types].xml':
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
      '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
      '<Default Extension="xml" ContentType="application/xml"/>' +
      `<Override PartName="/${part}" ContentType="${contentType}"/></Types>`,
    '_rels/.rels':
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
      '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
      `<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="${part}"/>` +
      '</Relationships>',
    [part]: '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<root>請求書</root>',
  });
}

/** Deterministic pseudo-random bytes (xorshift32), so a failure reproduces. */
export function noise(length: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}
