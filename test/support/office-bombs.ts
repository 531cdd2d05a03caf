/**
 * Hostile OOXML packages, made in code (test/support/zip.ts writes the sizes an entry declares,
 * true or not): the four of issue 13 — a zip bomb that declares its size honestly, one that lies
 * about it, an XML entity bomb (billion laughs) and an XXE — each a DOCX whose other parts are
 * those of test/fixtures/documents/files/sample.docx, so that the bytes are detected as a DOCX.
 *
 * The bombs' deflate data is made without deflating a gibibyte: one 16 MiB run of 'A' is
 * deflated with a full flush (a byte-aligned end that depends on nothing before it) and that
 * piece is repeated, then closed with an empty final block.
 */
import { readFileSync } from 'node:fs';
import { constants, crc32, deflateRawSync } from 'node:zlib';
import { unzipSync } from 'fflate';
import { FIXTURES } from './documents.ts';
import { deflated, zipFile, type ZipEntry } from './zip.ts';

const MiB = 1024 * 1024;
export const W_NS = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main';
export const DOC_HEAD = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="${W_NS}"><w:body><w:p><w:r><w:t>`;
export const DOC_TAIL = '</w:t></w:r></w:p></w:body></w:document>';

/** The parts of sample.docx other than word/document.xml, [Content_Types].xml first (file-type reads it to tell a DOCX). */
export function docxFrame(): ZipEntry[] {
  const parts = unzipSync(readFileSync(`${FIXTURES}sample.docx`));
  const order = ['[Content_Types].xml', '_rels/.rels', 'docProps/app.xml'];
  return order.filter((n) => parts[n] !== undefined).map((n) => deflated(n, Buffer.from(parts[n]!)));
}

/** A DOCX with this word/document.xml entry. */
function docxAround(document: ZipEntry): Buffer {
  const frame = docxFrame();
  return zipFile([frame[0]!, frame[1]!, document, ...frame.slice(2)]);
}

/** A DOCX whose word/document.xml is `xml`. */
export function docxWith(xml: string): Buffer {
  return docxAround(deflated('word/document.xml', xml));
}

/** word/document.xml: one `<w:t>` of `total` bytes of 'A' (a multiple of 16 MiB), deflated at ~1030:1. */
function bombDocument(total: number, declaredSize: number | 'true'): ZipEntry {
  const run = Buffer.alloc(16 * MiB, 'A');
  if (total % run.length !== 0) throw new RangeError('total must be a multiple of 16 MiB');
  const flush = { finishFlush: constants.Z_FULL_FLUSH, level: 9 };
  const head = deflateRawSync(Buffer.from(DOC_HEAD), flush);
  const piece = deflateRawSync(run, flush);
  const tail = deflateRawSync(Buffer.from(DOC_TAIL)); // ends with the final block
  const runs = total / run.length;
  let crc = crc32(DOC_HEAD);
  for (let i = 0; i < runs; i++) crc = crc32(run, crc);
  crc = crc32(DOC_TAIL, crc);
  const size = Buffer.byteLength(DOC_HEAD) + total + Buffer.byteLength(DOC_TAIL);
  const data = Buffer.concat([head, ...Array.from({ length: runs }, () => piece), tail]);
  return { name: 'word/document.xml', method: 8, data, crc: crc >>> 0, declaredSize: declaredSize === 'true' ? size : declaredSize };
}

/** Zip bomb, honest: word/document.xml inflates to `total` (default 1 GiB) and says so (over 200 MiB, over 1000:1). */
export function honestZipBomb(total = 1024 * MiB): Buffer {
  return docxAround(bombDocument(total, 'true'));
}

/**
 * Zip bomb, lying: word/document.xml declares `declared` (default 100 MiB: under the 200 MiB limit,
 * and ~100:1 from its ~1 MiB of deflate data, under the ratio limit) and really inflates to `total`
 * (default 1 GiB).
 */
export function lyingZipBomb(declared = 100 * MiB, total = 1024 * MiB): Buffer {
  return docxAround(bombDocument(total, declared));
}

/** Billion laughs: ten levels of entities, ten references each, used in the body ("laughs &lol9; end"). */
export function billionLaughsXml(): string {
  const ents = ['<!ENTITY lol0 "lol">'];
  for (let i = 1; i <= 9; i++) ents.push(`<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE w:document [\n${ents.join('\n')}\n]>\n<w:document xmlns:w="${W_NS}"><w:body><w:p><w:r><w:t>laughs &lol9; end</w:t></w:r></w:p></w:body></w:document>`;
}

/** XXE: an external entity naming /etc/passwd and an external parameter entity, used in the body ("before &xxe; after"). */
export function xxeXml(): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE w:document [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> <!ENTITY % pe SYSTEM "http://127.0.0.1:1/evil.dtd"> %pe; ]>\n<w:document xmlns:w="${W_NS}"><w:body><w:p><w:r><w:t>before &xxe; after</w:t></w:r></w:p></w:body></w:document>`;
}

export const entityBomb = (): Buffer => docxWith(billionLaughsXml());
export const xxe = (): Buffer => docxWith(xxeXml());

/** The text the earlier walker and saxes give both: the references as written, never expanded or resolved. */
export const ENTITY_BOMB_TEXT = 'laughs &lol9; end';
export const XXE_TEXT = 'before &xxe; after';
