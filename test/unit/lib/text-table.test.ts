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
