import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { DEFAULT_MAX_TEXT_BYTES, extractPlainText, normalise } from '../../../src/pipeline/extract-text.ts';
import { concat, encode, tempDir } from './support.ts';

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => {
  await tmp.cleanup();
});

let n = 0;
const file = (data: Uint8Array | string) => tmp.write(`${++n}.txt`, data);

const LETTER = '株式会社サンプル\r\n経理部 御中\r\n\r\n請求書を送付します。\rご確認ください。\r\n';
const LETTER_LF = '株式会社サンプル\n経理部 御中\n\n請求書を送付します。\nご確認ください。\n';

test('the default limit is 32 MiB', () => {
  assert.equal(DEFAULT_MAX_TEXT_BYTES, 32 * 1024 * 1024);
});

test('decodes each encoding and normalises CRLF and lone CR to LF', async () => {
  const cases = [
    ['UTF8', 'utf-8'], ['SJIS', 'shift_jis'], ['EUCJP', 'euc-jp'], ['JIS', 'iso-2022-jp'],
  ] as const;
  for (const [enc, label] of cases) {
    const r = await extractPlainText(await file(encode(LETTER, enc)));
    assert.deepEqual(r, { text: LETTER_LF, encoding: label, warnings: [], truncated: false, invalidBytes: 0 }, enc);
  }
  const le = await extractPlainText(await file(concat([0xff, 0xfe], encode(LETTER, 'UTF16LE'))));
  assert.deepEqual(le, { text: LETTER_LF, encoding: 'utf-16le', warnings: [], truncated: false, invalidBytes: 0 });
});

test('a UTF-8 BOM is dropped', async () => {
  const r = await extractPlainText(await file(concat([0xef, 0xbb, 0xbf], 'hello')));
  assert.equal(r.text, 'hello');
  assert.equal(r.encoding, 'utf-8');
});

test('Unicode is NFC: decomposed kana and accents are composed', async () => {
  const r = await extractPlainText(await file('か\u3099ッコウ / Cafe\u0301 / ﾃﾞｰﾀ'));
  assert.equal(r.text, 'がッコウ / Café / ﾃﾞｰﾀ'); // NFC, not NFKC: half-width kana stay as they are
  assert.equal(normalise('a\r\n\r\nb\rc'), 'a\n\nb\nc');
});

test('an empty file is empty text without warnings', async () => {
  assert.deepEqual(await extractPlainText(await file('')), { text: '', encoding: 'utf-8', warnings: [], truncated: false, invalidBytes: 0 });
});

test('invalid bytes are a warning with their count, not an error', async () => {
  const bytes = concat('請求書を送付します。', [0xff, 0xfe], 'ご確認ください。', [0x80]);
  const r = await extractPlainText(await file(bytes));
  assert.equal(r.encoding, 'utf-8');
  assert.equal(r.text, '請求書を送付します。\ufffd\ufffdご確認ください。\ufffd');
  assert.deepEqual(r.warnings, ['TEXT_INVALID_BYTES:3']);
  assert.equal(r.invalidBytes, 3);
  assert.equal(r.truncated, false);
});

test('over maxBytes: truncated, TEXT_TRUNCATED, no character is broken', async () => {
  const text = '東京都の天気は晴れです。'.repeat(100);
  const utf8 = Buffer.from(text);
  const r = await extractPlainText(await file(utf8), { maxBytes: 100 }); // 100 = 33 characters + 1 byte
  assert.equal(r.truncated, true);
  assert.deepEqual(r.warnings, ['TEXT_TRUNCATED']);
  assert.equal(r.text, text.slice(0, 33));
  assert.equal(r.invalidBytes, 0);

  const sjis = encode(text, 'SJIS');
  const s = await extractPlainText(await file(sjis), { maxBytes: 1001 });
  assert.equal(s.encoding, 'shift_jis');
  assert.equal(s.text, text.slice(0, 500));
  assert.deepEqual(s.warnings, ['TEXT_TRUNCATED']);

  const exact = await extractPlainText(await file(utf8), { maxBytes: utf8.length });
  assert.equal(exact.truncated, false);
  assert.equal(exact.text, text);
});

test('reads across several chunks', async () => {
  const big = 'あいうえお,12345\n'.repeat(200_000); // ~4.2 MB
  const r = await extractPlainText(await file(big));
  assert.equal(r.text.length, big.length);
  assert.equal(r.text, big);
  const cut = await extractPlainText(await file(big), { maxBytes: 1.5 * 1024 * 1024 });
  assert.equal(cut.truncated, true);
  assert.ok(big.startsWith(cut.text));
});

test('honours the AbortSignal; file-system errors propagate', async () => {
  const path = await file('hello');
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(extractPlainText(path, { signal: controller.signal }), { name: 'AbortError' });
  const reason = new Error('lease lost');
  await assert.rejects(extractPlainText(path, { signal: AbortSignal.abort(reason) }), reason);
  await assert.rejects(extractPlainText(`${tmp.dir}/missing.txt`), { code: 'ENOENT' });
  await assert.rejects(extractPlainText(path, { maxBytes: 0 }), RangeError);
});
