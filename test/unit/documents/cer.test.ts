/**
 * The CER helper the OCR tests measure with (test/support/cer.ts).
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { characterErrorRate, levenshtein, normaliseForCer } from '../../support/cer.ts';

test('identical texts have a CER of 0', () => {
  assert.equal(characterErrorRate('東京都千代田区', '東京都千代田区'), 0);
});

test('whitespace is ignored and NFKC folds full-width forms', () => {
  assert.equal(normaliseForCer('件名：クラウド（テスト）\n Ａ４　X'), '件名:クラウド(テスト)A4X');
  assert.equal(characterErrorRate('件名：クラウド（テスト）', '件 名 : クラ ウド (テスト)'), 0);
  assert.equal(characterErrorRate('line one\nline two', 'lineone\n\nlinetwo'), 0);
});

test('one substitution in ten characters is 0.1', () => {
  assert.equal(characterErrorRate('二ページ目はスキャン', 'ニページ目はスキャン'), 0.1);
});

test('one insertion or deletion costs one', () => {
  assert.equal(characterErrorRate('abcd', 'abXcd'), 0.25);
  assert.equal(characterErrorRate('abcd', 'abd'), 0.25);
});

test('an empty result is a CER of 1; a longer result can exceed 1', () => {
  assert.equal(characterErrorRate('請求書', ''), 1);
  assert.equal(characterErrorRate('請求書', '  \n '), 1);
  assert.equal(characterErrorRate('ab', 'xxxxxx'), 3);
});

test('an empty expected text: 0 against empty, Infinity against anything', () => {
  assert.equal(characterErrorRate('', ' '), 0);
  assert.equal(characterErrorRate('', 'x'), Number.POSITIVE_INFINITY);
});

test('counts code points, not UTF-16 units', () => {
  assert.equal(levenshtein([...'𠮷野家'], [...'吉野家']), 1);
  assert.equal(characterErrorRate('𠮷野家', '吉野家'), 1 / 3);
});

test('levenshtein is the classic edit distance', () => {
  assert.equal(levenshtein([...'kitten'], [...'sitting']), 3);
  assert.equal(levenshtein([], [...'abc']), 3);
  assert.equal(levenshtein([...'abc'], []), 3);
});
