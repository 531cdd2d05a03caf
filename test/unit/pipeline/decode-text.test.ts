import { test } from 'vitest';
import assert from 'node:assert/strict';
import { decodeText } from '../../../src/pipeline/decode-text.ts';
import { concat, encode } from './support.ts';

const SENTENCE = '東京都の天気は晴れです。請求書を送付します。';
const LETTER = '株式会社サンプル\r\n経理部 御中\r\n\r\n東京都の天気は晴れです。請求書を送付します。ご確認のほど、よろしくお願いいたします。\r\n';
const HALF_WIDTH = 'ｾｲｷｭｳｼｮ ｿｳﾌ ｶ)ﾃｽﾄｼｮｳｼﾞ ﾃﾞｰﾀ 0001';
const CP932_EXTENSIONS = '①請求書　㈱テスト商事　髙橋様　№12　≒∵';

test('TextDecoder in this Node has the Japanese encodings (full ICU)', () => {
  for (const label of ['shift_jis', 'euc-jp', 'iso-2022-jp', 'utf-16le', 'utf-16be']) {
    assert.equal(new TextDecoder(label).encoding, label);
  }
  assert.equal(new TextDecoder('windows-31j').encoding, 'shift_jis');
});

test('UTF-8 Japanese, and plain ASCII, decode as utf-8', () => {
  assert.deepEqual(decodeText(Buffer.from(SENTENCE)), { text: SENTENCE, encoding: 'utf-8', invalidBytes: 0 });
  const ascii = 'Invoice 2024-001: total 10,000 JPY\nThank you.\n';
  assert.deepEqual(decodeText(Buffer.from(ascii)), { text: ascii, encoding: 'utf-8', invalidBytes: 0 });
});

test('the empty input is empty utf-8', () => {
  assert.deepEqual(decodeText(new Uint8Array()), { text: '', encoding: 'utf-8', invalidBytes: 0 });
});

test('BOMs: UTF-8, UTF-16LE and UTF-16BE; the BOM is not part of the text', () => {
  const utf8 = decodeText(concat([0xef, 0xbb, 0xbf], SENTENCE));
  assert.deepEqual(utf8, { text: SENTENCE, encoding: 'utf-8', invalidBytes: 0 });
  const le = decodeText(concat([0xff, 0xfe], encode(LETTER, 'UTF16LE')));
  assert.deepEqual(le, { text: LETTER, encoding: 'utf-16le', invalidBytes: 0 });
  const be = decodeText(concat([0xfe, 0xff], encode(LETTER, 'UTF16BE')));
  assert.deepEqual(be, { text: LETTER, encoding: 'utf-16be', invalidBytes: 0 });
  // A BOM alone is an empty text.
  assert.deepEqual(decodeText(Uint8Array.from([0xef, 0xbb, 0xbf])), { text: '', encoding: 'utf-8', invalidBytes: 0 });
});

test('UTF-16 without BOM: mixed ASCII/Japanese and Japanese only', () => {
  const mixed = 'Invoice No. 12345 請求書 合計 ¥10,000\r\nDue: 2024-05-31 お支払期限\r\n';
  assert.deepEqual(decodeText(encode(mixed, 'UTF16LE')), { text: mixed, encoding: 'utf-16le', invalidBytes: 0 });
  assert.deepEqual(decodeText(encode(mixed, 'UTF16BE')), { text: mixed, encoding: 'utf-16be', invalidBytes: 0 });
  const japanese = '東京都の天気は晴れです。請求書を送付します。ご確認のほど、よろしくお願いいたします。';
  assert.deepEqual(decodeText(encode(japanese, 'UTF16LE')), { text: japanese, encoding: 'utf-16le', invalidBytes: 0 });
});

test('Shift_JIS: sentences, CRLF letters and a CSV', () => {
  assert.deepEqual(decodeText(encode(SENTENCE, 'SJIS')), { text: SENTENCE, encoding: 'shift_jis', invalidBytes: 0 });
  assert.deepEqual(decodeText(encode(LETTER, 'SJIS')), { text: LETTER, encoding: 'shift_jis', invalidBytes: 0 });
  const csv = '取引日,取引先,金額,備考\r\n2024/04/01,株式会社テスト,10000,請求書送付済み\r\n2024/04/02,ｶ)ﾃｽﾄ,2500,ﾊﾝｶｸ\r\n';
  assert.deepEqual(decodeText(encode(csv, 'SJIS')), { text: csv, encoding: 'shift_jis', invalidBytes: 0 });
  // Short inputs, where EUC-JP would also parse.
  for (const s of ['あ', 'です', '東京']) assert.equal(decodeText(encode(s, 'SJIS')).text, s, s);
});

test('Shift_JIS half-width katakana only (bank transfer data) is not taken for EUC-JP', () => {
  assert.deepEqual(decodeText(encode(HALF_WIDTH, 'SJIS')), { text: HALF_WIDTH, encoding: 'shift_jis', invalidBytes: 0 });
  const record = 'ｶ)ﾃｽﾄｼｮｳｼﾞ          ﾐﾂﾋﾞｼﾕｰｴﾌｼﾞｪｲ  ﾄｳｷﾖｳ\r\n';
  assert.deepEqual(decodeText(encode(record, 'SJIS')), { text: record, encoding: 'shift_jis', invalidBytes: 0 });
});

test('Windows-31J (CP932) extension characters decode', () => {
  const bytes = encode(CP932_EXTENSIONS, 'SJIS');
  assert.deepEqual([...bytes.subarray(0, 2)], [0x87, 0x40], '① is NEC row 13');
  assert.deepEqual(decodeText(bytes), { text: CP932_EXTENSIONS, encoding: 'shift_jis', invalidBytes: 0 });
});

test('EUC-JP: sentences, short kana, and half-width katakana', () => {
  assert.deepEqual(decodeText(encode(SENTENCE, 'EUCJP')), { text: SENTENCE, encoding: 'euc-jp', invalidBytes: 0 });
  assert.deepEqual(decodeText(encode(LETTER, 'EUCJP')), { text: LETTER, encoding: 'euc-jp', invalidBytes: 0 });
  // These also parse as Shift_JIS (as half-width katakana); the Japanese reading must win.
  for (const s of ['です', 'テスト', 'ありがとうございます', 'テストデータ']) {
    assert.deepEqual(decodeText(encode(s, 'EUCJP')), { text: s, encoding: 'euc-jp', invalidBytes: 0 }, s);
  }
  assert.deepEqual(decodeText(encode(HALF_WIDTH, 'EUCJP')), { text: HALF_WIDTH, encoding: 'euc-jp', invalidBytes: 0 });
});

test('ISO-2022-JP (JIS), including ASCII runs and half-width katakana', () => {
  assert.deepEqual(decodeText(encode(SENTENCE, 'JIS')), { text: SENTENCE, encoding: 'iso-2022-jp', invalidBytes: 0 });
  const mail = 'Subject: test\r\n\r\nお世話になっております。Invoice No.123 を送付します。\r\n';
  assert.deepEqual(decodeText(encode(mail, 'JIS')), { text: mail, encoding: 'iso-2022-jp', invalidBytes: 0 });
});

test('invalid bytes inside UTF-8 are replaced and counted; the rest stays right', () => {
  const bytes = concat('請求書の送付について。', [0xff], 'お支払いは月末です。', [0xc3, 0x28], 'Total: 10,000 円', [0x80]);
  const r = decodeText(bytes);
  assert.equal(r.encoding, 'utf-8');
  assert.equal(r.invalidBytes, 3);
  assert.equal(r.text, '請求書の送付について。\ufffdお支払いは月末です。\ufffd(Total: 10,000 円\ufffd');
});

test('invalid bytes inside Shift_JIS and EUC-JP are counted, encoding still found', () => {
  const sjis = concat(encode('請求書を送付します。', 'SJIS'), [0xff], encode('ご確認のほど、よろしくお願いいたします。', 'SJIS'));
  const s = decodeText(sjis);
  assert.equal(s.encoding, 'shift_jis');
  assert.equal(s.invalidBytes, 1);
  assert.equal(s.text, '請求書を送付します。\ufffdご確認のほど、よろしくお願いいたします。');
  const euc = concat(encode('請求書を送付します。', 'EUCJP'), [0x80], encode('ご確認のほど、よろしくお願いいたします。', 'EUCJP'));
  const e = decodeText(euc);
  assert.equal(e.encoding, 'euc-jp');
  assert.equal(e.invalidBytes, 1);
  assert.equal(e.text, '請求書を送付します。\ufffdご確認のほど、よろしくお願いいたします。');
});

test('U+FFFD present in the input is content, not an invalid byte', () => {
  assert.deepEqual(decodeText(Buffer.from('a\ufffdb')), { text: 'a\ufffdb', encoding: 'utf-8', invalidBytes: 0 });
  const le = concat([0xff, 0xfe], encode('x\ufffdy', 'UTF16LE'));
  assert.deepEqual(decodeText(le), { text: 'x\ufffdy', encoding: 'utf-16le', invalidBytes: 0 });
});

test('a prefix cut inside a character: dropped when partial, counted otherwise', () => {
  const upToMaru = LETTER.slice(0, -2); // ends with 。, multi-byte in every encoding
  for (const [enc, label] of [['UTF8', 'utf-8'], ['SJIS', 'shift_jis'], ['EUCJP', 'euc-jp'], ['UTF16LE', 'utf-16le']] as const) {
    const full = enc === 'UTF16LE' ? concat([0xff, 0xfe], encode(upToMaru, enc)) : encode(upToMaru, enc);
    const cutInChar = full.subarray(0, full.length - 1);
    assert.deepEqual(decodeText(cutInChar, { partial: true }), { text: LETTER.slice(0, -3), encoding: label, invalidBytes: 0 }, label);
    const whole = decodeText(cutInChar);
    assert.equal(whole.encoding, label);
    assert.equal(whole.invalidBytes, 1, label);
  }
  const utf8 = Buffer.from(SENTENCE).subarray(0, 4); // 東 + first byte of 京
  assert.deepEqual(decodeText(utf8, { partial: true }), { text: '東', encoding: 'utf-8', invalidBytes: 0 });
  assert.deepEqual(decodeText(utf8), { text: '東\ufffd', encoding: 'utf-8', invalidBytes: 1 });
});
