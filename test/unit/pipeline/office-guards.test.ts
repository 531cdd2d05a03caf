/**
 * The guards of src/pipeline/office/ (yauzl + saxes), in this thread: the four hostile packages
 * of issue 13 get their documented outcome, inflation stops within a small fixed amount past what
 * a part declares, XML that would cost memory out of proportion is refused, what yauzl refuses is
 * OFFICE_CORRUPT, and no file descriptor is left open on any path.
 */
import { test, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { isIngestError } from '../../../src/core/errors.ts';
import { extractOffice } from '../../../src/pipeline/extract-office.ts';
import { OfficePackage } from '../../../src/pipeline/office/package.ts';
import { MAX_ATTRIBUTES, MAX_DEPTH, TEXT_PIECE_CHARS, XmlStream } from '../../../src/pipeline/office/xml.ts';
import { ENTITY_BOMB_TEXT, XXE_TEXT, docxWith, entityBomb, honestZipBomb, lyingZipBomb, xxe } from '../../support/office-bombs.ts';
import { deflated, stored, zipFile, type ZipEntry } from '../../support/zip.ts';
import { tempDir } from './support.ts';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const MiB = 1024 * 1024;
const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';
const body = (inner: string) => `<?xml version="1.0" encoding="UTF-8"?><w:document ${W}><w:body>${inner}</w:body></w:document>`;

const files = await tempDir();
afterAll(() => files.cleanup());

/** Descriptors of this process open on the test's own files (other fds come and go with the test runner). */
const openFds = () =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(files.dir);
    } catch {
      return false; // closed while we looked
    }
  }).length;

function rejectsWith(code: string, check?: (details: Record<string, unknown>, message: string) => void) {
  return (err: unknown) => {
    assert.ok(isIngestError(err), String(err));
    assert.equal(err.code, code, err.message);
    assert.equal(err.retryable, false);
    check?.(err.details ?? {}, err.message);
    return true;
  };
}

test('zip bomb, honest (1 GiB declared as such): OFFICE_TOO_LARGE before anything inflates', async () => {
  const path = await files.write('honest.docx', honestZipBomb());
  const started = performance.now();
  await assert.rejects(extractOffice(path, DOCX), rejectsWith('OFFICE_TOO_LARGE', (d) => assert.equal(d.part, 'word/document.xml')));
  assert.ok(performance.now() - started < 5_000, 'refused from the central directory, not by inflating');
});

test('zip bomb, lying (declares 100 MiB, under both limits; inflates to 1 GiB): OFFICE_CORRUPT within 64 KiB past the declared size', async () => {
  const path = await files.write('lying.docx', lyingZipBomb());
  await assert.rejects(extractOffice(path, DOCX), rejectsWith('OFFICE_CORRUPT', (d, message) => {
    assert.match(message, /word\/document\.xml inflates to more than its declared 104857600 bytes/);
    assert.equal(d.size, 100 * MiB);
    assert.ok(typeof d.inflated === 'number' && d.inflated <= 100 * MiB + 64 * 1024, `inflated ${String(d.inflated)}`);
  }));
  // the same with a small declared size: stopped as early
  const small = await files.write('lying-small.docx', lyingZipBomb(MiB, 64 * MiB));
  await assert.rejects(extractOffice(small, DOCX), rejectsWith('OFFICE_CORRUPT', (d) => assert.ok(Number(d.inflated) <= MiB + 64 * 1024)));
});

test('entity bomb (billion laughs) and XXE: the DOCTYPE is inert, references stay as written, nothing is expanded or read', async () => {
  assert.deepEqual(await extractOffice(await files.write('laughs.docx', entityBomb()), DOCX), { text: ENTITY_BOMB_TEXT, pageCount: 1, warnings: [] });
  const out = await extractOffice(await files.write('xxe.docx', xxe()), DOCX);
  assert.deepEqual(out, { text: XXE_TEXT, pageCount: 1, warnings: [] });
  assert.doesNotMatch(out.text, /root:/);
});

test('XML nested deeper than MAX_DEPTH, or an element with more than MAX_ATTRIBUTES attributes, is OFFICE_TOO_LARGE', async () => {
  const deep = docxWith(body(`${'<w:p>'.repeat(MAX_DEPTH + 1)}${'</w:p>'.repeat(MAX_DEPTH + 1)}`));
  await assert.rejects(extractOffice(await files.write('deep.docx', deep), DOCX), rejectsWith('OFFICE_TOO_LARGE', (_, m) => assert.match(m, /deeper than/)));
  const attrs = Array.from({ length: MAX_ATTRIBUTES + 1 }, (_, i) => `a${i}="x"`).join(' ');
  await assert.rejects(extractOffice(await files.write('attrs.docx', docxWith(body(`<w:p ${attrs}/>`))), DOCX), rejectsWith('OFFICE_TOO_LARGE', (_, m) => assert.match(m, /attributes/)));
  // just under both limits reads
  const fine = docxWith(body(`${'<w:p>'.repeat(100)}<w:r><w:t>deep</w:t></w:r>${'</w:p>'.repeat(100)}`));
  assert.equal((await extractOffice(await files.write('fine.docx', fine), DOCX)).text, 'deep');
});

test('malformed XML is read leniently, as before: an undefined entity stays as written, unclosed elements at the end are no error', async () => {
  const xml = `<?xml version="1.0"?><w:document ${W}><w:body><w:p><w:r><w:t>a &unknown; b</w:t></w:r></w:p><w:p><w:r><w:t>c</w:t></w:r>`;
  const out = await extractOffice(await files.write('malformed.docx', docxWith(xml)), DOCX);
  assert.equal(out.text, 'a &unknown; b\nc');
});

function withMain(main: ZipEntry): Buffer {
  return zipFile([deflated('[Content_Types].xml', '<Types/>'), main]);
}

test('what yauzl refuses is OFFICE_CORRUPT: encrypted part, unknown method, stored size mismatch, bad central directory, trailing bytes', async () => {
  const doc = deflated('word/document.xml', body('<w:p><w:r><w:t>x</w:t></w:r></w:p>'));
  const encrypted = withMain(doc);
  // set the "encrypted" bit of word/document.xml in its local and central headers
  for (const sig of [0x04034b50, 0x02014b50]) {
    for (let i = encrypted.indexOf(Buffer.from([sig & 0xff, (sig >> 8) & 0xff, (sig >> 16) & 0xff, sig >>> 24])); i >= 0; i = encrypted.indexOf(Buffer.from([sig & 0xff, (sig >> 8) & 0xff, (sig >> 16) & 0xff, sig >>> 24]), i + 4)) {
      const at = i + (sig === 0x04034b50 ? 6 : 8);
      encrypted.writeUInt16LE(encrypted.readUInt16LE(at) | 1, at);
    }
  }
  await assert.rejects(extractOffice(await files.write('enc.docx', encrypted), DOCX), rejectsWith('OFFICE_CORRUPT', (_, m) => assert.match(m, /encrypted/)));
  await assert.rejects(extractOffice(await files.write('method.docx', withMain({ ...doc, method: 14 as 8 })), DOCX), rejectsWith('OFFICE_CORRUPT', (_, m) => assert.match(m, /compression method 14/)));
  const plain = stored('word/document.xml', body('<w:p/>'));
  await assert.rejects(extractOffice(await files.write('stored.docx', withMain({ ...plain, declaredSize: plain.declaredSize + 5 })), DOCX), rejectsWith('OFFICE_CORRUPT'));
  const good = withMain(doc);
  const badDirectory = Buffer.from(good);
  badDirectory.writeUInt32LE(0x12345678, badDirectory.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])));
  await assert.rejects(extractOffice(await files.write('cd.docx', badDirectory), DOCX), rejectsWith('OFFICE_CORRUPT'));
  await assert.rejects(extractOffice(await files.write('trailing.docx', Buffer.concat([good, Buffer.from('trailing')])), DOCX), rejectsWith('OFFICE_CORRUPT'));
  assert.equal((await extractOffice(await files.write('good.docx', good), DOCX)).text, 'x');
});

test('a part whose CRC-32 does not match is read, with OFFICE_CRC_MISMATCH:<part>', async () => {
  const doc = deflated('word/document.xml', body('<w:p><w:r><w:t>crc</w:t></w:r></w:p>'));
  const out = await extractOffice(await files.write('crc.docx', withMain({ ...doc, crc: (doc.crc ^ 1) >>> 0 })), DOCX);
  assert.deepEqual(out, { text: 'crc', pageCount: null, warnings: ['OFFICE_CRC_MISMATCH:word/document.xml'] });
});

test('no file descriptor stays open, whatever the outcome (read, refused, corrupt, aborted)', async () => {
  const paths = [
    await files.write('fd-ok.docx', entityBomb()),
    await files.write('fd-honest.docx', honestZipBomb(64 * MiB)),
    await files.write('fd-lying.docx', lyingZipBomb(MiB, 16 * MiB)),
    await files.write('fd-garbage.docx', 'PK\x03\x04 not a zip'),
  ];
  assert.equal(openFds(), 0);
  for (let round = 0; round < 3; round++) {
    for (const path of paths) await extractOffice(path, DOCX).catch(() => undefined);
    const controller = new AbortController();
    const pending = extractOffice(paths[2]!, DOCX, { signal: controller.signal });
    controller.abort();
    await assert.rejects(pending, { name: 'AbortError' });
  }
  assert.equal(openFds(), 0);
});

test('an empty header part (no data at all) reads as no text, as before', async () => {
  const empty: ZipEntry = { name: 'word/header1.xml', method: 8, data: Buffer.alloc(0), crc: 0, declaredSize: 0 };
  const pkg = zipFile([deflated('[Content_Types].xml', '<Types/>'), deflated('word/document.xml', body('<w:p><w:r><w:t>body</w:t></w:r></w:p>')), empty]);
  assert.deepEqual(await extractOffice(await files.write('empty-part.docx', pkg), DOCX), { text: 'body', pageCount: null, warnings: [] });
});

test('one huge text node reaches the format in pieces, not held whole by the parser; the text is the same', () => {
  const pieces: string[] = [];
  const stream = new XmlStream('word/document.xml', { text: (value) => pieces.push(value) });
  const text = 'あA'.repeat(3 * TEXT_PIECE_CHARS);
  const xml = `<w:document ${W}><w:t>${text}</w:t></w:document>`;
  const CHUNK = 16 * 1024;
  for (let i = 0; i < xml.length; i += CHUNK) stream.write(xml.slice(i, i + CHUNK));
  stream.end();
  assert.equal(pieces.join(''), text);
  assert.ok(pieces.length >= 6, `handed over in pieces (${pieces.length})`);
  assert.ok(Math.max(...pieces.map((p) => p.length)) <= TEXT_PIECE_CHARS + CHUNK, 'no piece much over the piece size');
});

test('text over the limit is cut, and the document says TEXT_TRUNCATED', async () => {
  const words = 'word '.repeat(40_000); // 200,000 characters in one run
  const path = await files.write('long.docx', docxWith(body(`<w:p><w:r><w:t>${words}</w:t></w:r></w:p><w:p><w:r><w:t>tail</w:t></w:r></w:p>`)));
  const out = await extractOffice(path, DOCX, { maxChars: 1_000 });
  assert.equal(out.text.length, 1_000);
  assert.deepEqual(out.warnings, ['TEXT_TRUNCATED']);
  assert.equal(out.text.includes('tail'), false);
});

test('the package hands the formats no more text than its budget, and says it dropped some', async () => {
  const words = 'word '.repeat(40_000);
  const path = await files.write('budget.docx', docxWith(body(`<w:p><w:r><w:t>${words}</w:t></w:r></w:p>`)));
  const pkg = await OfficePackage.open(path, undefined, { maxPartsBytes: 200 * MiB, maxTextChars: 1_000 });
  try {
    let received = 0;
    await pkg.parse('word/document.xml', { text: (value) => (received += value.length) });
    assert.equal(received, 1_000, 'exactly the budget reached the format');
    assert.equal(pkg.textCapped, true);
  } finally {
    await pkg.close();
  }
});
