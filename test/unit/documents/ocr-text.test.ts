/**
 * tidyOcrText: spaces tesseract puts between Japanese characters go, spaces next to Latin
 * letters, digits and ASCII punctuation stay; lines are right-trimmed and runs of blank lines cut.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { tidyOcrText } from '../../../src/pool/ocr-text.ts';

test('spaces between kanji, hiragana and katakana are removed', () => {
  assert.equal(tidyOcrText('東京 都 千 代田 区'), '東京都千代田区');
  assert.equal(tidyOcrText('お 支払 い 条件'), 'お支払い条件');
  assert.equal(tidyOcrText('プロ ジェ クター'), 'プロジェクター');
  assert.equal(tidyOcrText('データ ー ベース'), 'データーベース', 'the prolonged sound mark ー counts as Japanese');
});

test('runs of spaces and tabs between Japanese characters go too', () => {
  assert.equal(tidyOcrText('株式 会社\t \tサンプル'), '株式会社サンプル');
});

test('full-width forms and CJK punctuation count as Japanese', () => {
  assert.equal(tidyOcrText('件名 ： クラウド'), '件名：クラウド');
  assert.equal(tidyOcrText('（ 税込 ）'), '（税込）');
  assert.equal(tidyOcrText('ございます 。 下記 、 通り'), 'ございます。下記、通り');
  assert.equal(tidyOcrText('ノート Ａ４'), 'ノートＡ４');
});

test('Latin text keeps its spaces', () => {
  assert.equal(tidyOcrText('Invoice No. 2026-1122 total 48,600 JPY'), 'Invoice No. 2026-1122 total 48,600 JPY');
});

test('a space between Japanese and ASCII (digits, letters, ASCII punctuation) is kept', () => {
  // Only spaces with a Japanese character on both sides go.
  assert.equal(tidyOcrText('合計 48,600 円'), '合計 48,600 円');
  assert.equal(tidyOcrText('多ページ TIFF の一枚目'), '多ページ TIFF の一枚目');
  assert.equal(tidyOcrText('品名 : 会議用'), '品名 : 会議用', 'tesseract\'s ASCII colon is not Japanese');
  assert.equal(tidyOcrText('円 (税込 )'), '円 (税込 )');
});

test('the ideographic space U+3000 itself is not removed (only ASCII spaces and tabs are)', () => {
  assert.equal(tidyOcrText('東京\u3000都'), '東京\u3000都');
});

test('spaces are not removed across a line break; lines are right-trimmed', () => {
  assert.equal(tidyOcrText('東京 \n 都'), '東京\n 都');
  assert.equal(tidyOcrText('line one   \nline two\t'), 'line one\nline two');
});

test('three or more line breaks become one blank line; the whole text is trimmed', () => {
  assert.equal(tidyOcrText('\n\n 請求書\n\n\n\n品名\n  \n\n合計 \n\n'), '請求書\n\n品名\n\n合計');
  assert.equal(tidyOcrText('a\n\nb'), 'a\n\nb', 'one blank line stays');
  assert.equal(tidyOcrText('  \n \n'), '');
});
