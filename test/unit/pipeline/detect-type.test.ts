import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { detectType, SNIFF_BYTES, type DetectedType } from '../../../src/pipeline/detect-type.ts';
import { bmp, cfb, concat, encode, jpeg, noise, ooxml, pdf, png, tempDir, zip } from './support.ts';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => {
  await tmp.cleanup();
});

let n = 0;
/** Write `data` under a unique directory as `name` and detect it. */
async function detect(name: string, data: Uint8Array | string, declaredMime?: string): Promise<DetectedType> {
  const path = await tmp.write(`${++n}-${name}`, data);
  return detectType(path, declaredMime === undefined ? { fileName: name } : { fileName: name, declaredMime });
}

const SENTENCE = '東京都の天気は晴れです。請求書を送付します。';
const TEXT_PLAIN = { mime: 'text/plain', extension: 'txt', category: 'text' };

test('a zero-byte file is empty', async () => {
  assert.deepEqual(await detect('report.pdf', new Uint8Array()), { mime: 'inode/x-empty', extension: null, category: 'empty' });
});

test('PDF, PNG, JPEG and BMP by their magic numbers', async () => {
  assert.deepEqual(await detect('a.pdf', pdf()), { mime: 'application/pdf', extension: 'pdf', category: 'pdf' });
  assert.deepEqual(await detect('header-only', '%PDF-1.7\n'), { mime: 'application/pdf', extension: 'pdf', category: 'pdf' });
  const junkBeforeHeader = concat('\r\n\r\n', pdf());
  assert.deepEqual(await detect('padded.pdf', junkBeforeHeader), { mime: 'application/pdf', extension: 'pdf', category: 'pdf' });
  assert.deepEqual(await detect('about-pdf.txt', 'The header looks like:\n%PDF-1.7\n'), TEXT_PLAIN);
  assert.deepEqual(await detect('a.png', png()), { mime: 'image/png', extension: 'png', category: 'image' });
  assert.deepEqual(await detect('a.jpg', jpeg()), { mime: 'image/jpeg', extension: 'jpg', category: 'image' });
  assert.deepEqual(await detect('a.bmp', bmp()), { mime: 'image/bmp', extension: 'bmp', category: 'image' });
});

test('the name and the declared MIME are not trusted', async () => {
  assert.deepEqual(await detect('notes.txt', png(), 'text/plain'), { mime: 'image/png', extension: 'png', category: 'image' });
  assert.deepEqual(await detect('scan.pdf', 'This is not a PDF, just text.\n', 'application/pdf'), TEXT_PLAIN);
  assert.deepEqual(await detect('photo.jpg', Buffer.from(SENTENCE), 'image/jpeg'), TEXT_PLAIN);
});

test('OOXML packages are office; OLE2 compound files are legacy-office', async () => {
  assert.deepEqual(await detect('a.docx', ooxml('docx')), {
    mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', extension: 'docx', category: 'office',
  });
  assert.deepEqual(await detect('a.bin', ooxml('xlsx')), {
    mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', extension: 'xlsx', category: 'office',
  });
  assert.deepEqual(await detect('a.pptx', ooxml('pptx')), {
    mime: 'application/vnd.openxmlformats-officedocument.presentationml.presentation', extension: 'pptx', category: 'office',
  });
  assert.deepEqual(await detect('old.doc', cfb()), { mime: 'application/x-cfb', extension: 'cfb', category: 'legacy-office' });
});

test('zip, gzip and other containers are archives (a .docx name does not make a zip office)', async () => {
  assert.deepEqual(await detect('a.zip', zip({ 'readme.txt': 'hello' })), { mime: 'application/zip', extension: 'zip', category: 'archive' });
  assert.deepEqual(await detect('fake.docx', zip({ 'readme.txt': 'hello' })), { mime: 'application/zip', extension: 'zip', category: 'archive' });
  assert.deepEqual(await detect('a.gz', gzipSync(Buffer.from('hello world\n'))), { mime: 'application/gzip', extension: 'gz', category: 'archive' });
  const epub = zip({ mimetype: 'application/epub+zip', 'META-INF/container.xml': '<container/>' });
  assert.equal((await detect('book.epub', epub)).category, 'archive');
  assert.equal((await detect('a.7z', concat([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0x00, 0x04], new Uint8Array(24)))).category, 'archive');
});

test('random bytes are binary; a known binary format keeps its MIME', async () => {
  assert.deepEqual(await detect('blob.txt', noise(100_000)), { mime: 'application/octet-stream', extension: null, category: 'binary' });
  assert.deepEqual(await detect('small.bin', noise(16, 7)), { mime: 'application/octet-stream', extension: null, category: 'binary' });
  const elf = concat([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00], new Uint8Array(56));
  assert.deepEqual(await detect('tool', elf), { mime: 'application/x-elf', extension: 'elf', category: 'binary' });
});

test('text subtype comes from the name, only once the bytes are text', async () => {
  const csv = encode('取引日,取引先,金額\r\n2024/04/01,株式会社テスト,10000\r\n', 'SJIS');
  assert.deepEqual(await detect('取引.csv', csv), { mime: 'text/csv', extension: 'csv', category: 'text' });
  assert.deepEqual(await detect('UPPER.CSV', 'a,b\n1,2\n'), { mime: 'text/csv', extension: 'csv', category: 'text' });
  assert.deepEqual(await detect('a.tsv', 'a\tb\n1\t2\n'), { mime: 'text/tab-separated-values', extension: 'tsv', category: 'text' });
  assert.deepEqual(await detect('README.md', '# 見出し\n\n本文\n'), { mime: 'text/markdown', extension: 'md', category: 'text' });
  assert.deepEqual(await detect('notes.markdown', '# title\n'), { mime: 'text/markdown', extension: 'md', category: 'text' });
  assert.deepEqual(await detect('data.json', '{"請求":1}\n'), { mime: 'application/json', extension: 'json', category: 'text' });
  assert.deepEqual(await detect('server.log', '2024-04-01 INFO started\n'), TEXT_PLAIN);
  assert.deepEqual(await detect('no-extension', 'plain words\n'), TEXT_PLAIN);
  // No usable extension: a declared text subtype may refine it, never decide text vs binary.
  assert.deepEqual(await detect('export', 'a,b\n1,2\n', 'text/csv; charset=shift_jis'), { mime: 'text/csv', extension: 'csv', category: 'text' });
  assert.deepEqual(await detect('export.csv', png(), 'text/csv'), { mime: 'image/png', extension: 'png', category: 'image' });
});

test('Japanese encodings and UTF-16 are sniffed as text', async () => {
  for (const enc of ['SJIS', 'EUCJP', 'JIS', 'UTF8'] as const) {
    assert.deepEqual(await detect(`${enc}.txt`, encode(SENTENCE, enc)), TEXT_PLAIN, enc);
  }
  assert.deepEqual(await detect('half-width.txt', encode('ｾｲｷｭｳｼｮ ｿｳﾌ ｶ)ﾃｽﾄ', 'SJIS')), TEXT_PLAIN);
  assert.deepEqual(await detect('cp932.txt', encode('①請求書　㈱テスト　髙橋様', 'SJIS')), TEXT_PLAIN);
  assert.deepEqual(await detect('bom.txt', concat([0xef, 0xbb, 0xbf], SENTENCE)), TEXT_PLAIN);
  assert.deepEqual(await detect('le.txt', concat([0xff, 0xfe], encode(SENTENCE, 'UTF16LE'))), TEXT_PLAIN);
  assert.deepEqual(await detect('be.txt', concat([0xfe, 0xff], encode(SENTENCE, 'UTF16BE'))), TEXT_PLAIN);
  assert.deepEqual(await detect('nobom.txt', encode(`Invoice 請求書 No.1\r\n${SENTENCE}`, 'UTF16LE')), TEXT_PLAIN);
  assert.deepEqual(await detect('English.txt', 'Hello, world.\n'), TEXT_PLAIN);
  assert.deepEqual(await detect('ansi.log', '\u001b[31mERROR\u001b[0m failed\n'), TEXT_PLAIN);
  assert.deepEqual(await detect('tiny.txt', 'x'), TEXT_PLAIN);
});

test('text starting like a weak magic number is still text', async () => {
  assert.deepEqual(await detect('cars.txt', 'BMW 3シリーズの見積書です。\n'), TEXT_PLAIN);
  assert.deepEqual(await detect('a.txt', 'MZ-80 is an old computer.\n'), TEXT_PLAIN);
  assert.deepEqual(await detect('b.txt', 'solid state drives, 2 units\n'), TEXT_PLAIN);
  assert.deepEqual(await detect('c.txt', 'ID3 tags explained\n'), TEXT_PLAIN);
});

test('text formats file-type knows keep their MIME', async () => {
  assert.deepEqual(await detect('a.xml', '<?xml version="1.0"?>\n<請求書/>\n'), { mime: 'application/xml', extension: 'xml', category: 'text' });
  assert.deepEqual(await detect('a.ics', 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n'), { mime: 'text/calendar', extension: 'ics', category: 'text' });
});

test('a large text file is judged on its first 64 KiB, even with a character cut at the boundary', async () => {
  const line = encode('請求書を送付します。ご確認ください。\r\n', 'SJIS');
  const repeated = Buffer.concat(Array.from({ length: Math.ceil((SNIFF_BYTES * 2) / line.length) }, () => Buffer.from(line)));
  const shifted = concat('x', repeated); // puts a double-byte character across the 64 KiB mark
  assert.deepEqual(await detect('big.csv', shifted), { mime: 'text/csv', extension: 'csv', category: 'text' });
  const utf8 = concat('x', Buffer.from('東京都の天気は晴れです。'.repeat(Math.ceil(SNIFF_BYTES / 30))));
  assert.deepEqual(await detect('big-utf8.txt', utf8), TEXT_PLAIN);
});

test('text with a few corrupt bytes is text; mostly control characters is binary', async () => {
  const mostlyText = concat('請求書を送付します。'.repeat(40), [0xff], '\u0000', 'ご確認ください。'.repeat(40));
  assert.deepEqual(await detect('damaged.txt', mostlyText), TEXT_PLAIN);
  assert.equal((await detect('controls.txt', '\u0001\u0002\u0003abc\u0004\u0005')).category, 'binary');
});

test('a missing file rejects with the file-system error; an aborted signal rejects', async () => {
  await assert.rejects(detectType(`${tmp.dir}/nope`, { fileName: 'nope' }), { code: 'ENOENT' });
  const path = await tmp.write('aborted.txt', 'text');
  await assert.rejects(detectType(path, { fileName: 'aborted.txt' }, { signal: AbortSignal.abort() }), { name: 'AbortError' });
});

test('a short text file with a couple of corrupt bytes is still text, not binary', async () => {
  const damaged = concat(Buffer.from('valid start '), Uint8Array.from([0xff, 0xfe, 0xc3]), Buffer.from(' valid end'));
  assert.equal((await detect('broken.txt', damaged)).category, 'text');
  const japanese = concat(Buffer.from(SENTENCE), Uint8Array.from([0xff, 0xfe]), Buffer.from('最後の行です。'));
  assert.equal((await detect('broken-ja.txt', japanese)).category, 'text');
  const withNul = concat(Buffer.from('This file was damaged in transit: '), Uint8Array.from([0xff, 0xfe, 0x00, 0xc3, 0x28]), Buffer.from(' but the rest is readable.'));
  assert.equal((await detect('nul.txt', withNul)).category, 'text');
  // but bytes that are mostly noise stay binary
  assert.equal((await detect('noise.txt', noise(64, 7))).category, 'binary');
});
