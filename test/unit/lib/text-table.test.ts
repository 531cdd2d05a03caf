import { test } from 'vitest';
import assert from 'node:assert/strict';
import { displayWidth, textTable } from '../../../src/lib/text-table.ts';

test('columns line up as the terminal shows them: Japanese takes two columns, a combining mark none', () => {
  assert.equal(displayWidth('請求書.pdf'), 10);
  assert.equal(displayWidth('cafe\u0301'), 4);
  const lines = textTable(['KEY', 'CHARS', 'NOTE'], [['請求書.pdf', '12', 'x'], ['a.txt', '3456', 'free text']], { right: new Set([1]), rule: true, lastUnpadded: true });
  assert.deepEqual(lines, [
    'KEY         CHARS  NOTE',
    '──────────  ─────  ─────────',
    '請求書.pdf     12  x',
    'a.txt        3456  free text',
  ]);
});

test('displayWidth: East Asian wide and full-width characters take two columns, combining marks none', () => {
  assert.equal(displayWidth('abc'), 3);
  assert.equal(displayWidth('請求書'), 6); // CJK ideographs
  assert.equal(displayWidth('ひらがなカタカナ'), 16); // kana
  assert.equal(displayWidth('ｶﾀｶﾅ'), 4); // half-width katakana stay narrow
  assert.equal(displayWidth('ＡＢ１'), 6); // full-width forms
  assert.equal(displayWidth('￥'), 2); // full-width signs
  assert.equal(displayWidth('한국어'), 6); // Hangul syllables
  assert.equal(displayWidth('ᄀ'), 2); // Hangul Jamo
  assert.equal(displayWidth('㐀'), 2); // CJK extension A
  assert.equal(displayWidth('𠀋'), 2); // CJK extension B (outside the BMP)
  assert.equal(displayWidth('ꀀ'), 2); // Yi
  assert.equal(displayWidth('豈'), 2); // CJK compatibility ideographs
  assert.equal(displayWidth('︰'), 2); // CJK compatibility forms
  assert.equal(displayWidth('📄'), 2); // emoji
  assert.equal(displayWidth('e\u0301'), 1); // a combining accent takes no column
  assert.equal(displayWidth('a\u200bb'), 2); // zero-width space
  assert.equal(displayWidth('✔\ufe0f'), 2); // VS16 asks for the emoji presentation: two columns
});
