import { describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { resolveModel } from '../../../src/adapters/embedder/models.ts';
import { cutNear, estimateTokens, normalise, prepareText } from '../../../src/adapters/embedder/prepare-text.ts';

const TITAN = resolveModel('amazon.titan-embed-text-v2:0'); // 50 000 chars, 8192 tokens
const COHERE = resolveModel('cohere.embed-multilingual-v3'); // 2048 chars, 512 tokens

describe('prepareText', () => {
  test('empty and whitespace-only text gives an empty text (the caller skips it)', () => {
    for (const input of ['', ' ', '\n\t \r\n', '\u3000\u00a0 ', '\u0000\u000c']) {
      assert.deepEqual(prepareText(input, TITAN), { text: '', truncated: false, charsUsed: 0 }, JSON.stringify(input));
    }
  });

  test('collapses whitespace runs (a line break survives as one newline) and trims', () => {
    assert.equal(normalise('  a \t\u3000 b\n\n \n c\u0000d  '), 'a b\nc d');
    const prepared = prepareText('  hello\t\tworld  ', TITAN);
    assert.deepEqual(prepared, { text: 'hello world', truncated: false, charsUsed: 11 });
  });

  test('replaces lone surrogates, which JSON bodies cannot carry as text', () => {
    const prepared = prepareText('a\ud800b', TITAN);
    assert.equal(prepared.text, 'a\ufffdb');
    assert.ok(prepared.text.isWellFormed());
  });

  test('English is cut near the token estimate with headroom, at a word boundary', () => {
    const text = 'invoice payment '.repeat(10_000).trim(); // 160k chars
    const prepared = prepareText(text, TITAN);
    assert.equal(prepared.truncated, true);
    assert.equal(prepared.charsUsed, prepared.text.length);
    // 0.9 × 8192 tokens at 0.3 tokens a character ⇒ at most 24 576 characters
    assert.ok(prepared.text.length <= 24_576, String(prepared.text.length));
    assert.ok(prepared.text.length >= 24_576 - 200, String(prepared.text.length));
    assert.ok(estimateTokens(prepared.text) <= Math.ceil(0.9 * 8192));
    assert.match(prepared.text, /(invoice|payment)$/);
    assert.ok(text.startsWith(prepared.text));
  });

  test('Japanese is cut much earlier (≈1.3 tokens a character), after sentence punctuation', () => {
    const text = '請求書を送付します。お支払いをお願いします。'.repeat(2_000); // 44k chars, below the char limit
    const prepared = prepareText(text, TITAN);
    assert.equal(prepared.truncated, true);
    // 0.9 × 8192 / 1.3 ⇒ at most 5671 characters
    assert.ok(prepared.text.length <= 5_671, String(prepared.text.length));
    assert.ok(prepared.text.length >= 5_671 - 200, String(prepared.text.length));
    assert.ok(prepared.text.endsWith('。'), prepared.text.slice(-5));
    assert.ok(estimateTokens(prepared.text) <= Math.ceil(0.9 * 8192));
  });

  test('the character limit applies when the token estimate would allow more', () => {
    const text = 'a'.repeat(5_000);
    const prepared = prepareText(text, { maxTextChars: 100, maxTextTokens: 100_000 });
    assert.deepEqual(prepared, { text: 'a'.repeat(100), truncated: true, charsUsed: 100 });
    // Cohere: 2048 characters but 512 tokens ⇒ English stops near 1536 characters
    const cohere = prepareText('word '.repeat(1_000), COHERE);
    assert.ok(cohere.truncated && cohere.text.length <= 1_536 && cohere.text.length > 1_300, String(cohere.text.length));
  });

  test('never splits a surrogate pair', () => {
    const emoji = '😀'.repeat(1_000);
    for (const maxTextChars of [1, 2, 3, 101, 102]) {
      const prepared = prepareText(emoji, { maxTextChars, maxTextTokens: 100_000 });
      assert.ok(prepared.text.isWellFormed(), `maxTextChars ${maxTextChars}`);
      assert.equal(prepared.text.length, maxTextChars - (maxTextChars % 2));
    }
    const byTokens = prepareText(`a${emoji}`, { maxTextChars: 100_000, maxTextTokens: 100 });
    assert.ok(byTokens.truncated && byTokens.text.isWellFormed());
    for (let end = 0; end < 12; end++) assert.ok(cutNear(`ab${emoji}`, end).isWellFormed(), `cutNear at ${end}`);
  });

  test('cutNear prefers a boundary near the end and falls back to a hard cut', () => {
    // looks back at most 10 % of the kept length (and at most 200 characters)
    const words = 'alpha beta gamma delta '.repeat(20);
    assert.equal(cutNear(words, 100), words.slice(0, 100).replace(/ \S*$/, ''));
    const japanese = '今日は晴れ。明日は雨です'.repeat(10);
    assert.equal(cutNear(japanese, 100), japanese.slice(0, 90));
    assert.ok(cutNear(japanese, 100).endsWith('。'));
    assert.equal(cutNear('alpha beta gamma delta', 13), 'alpha beta ga'); // no boundary within 10 %: hard cut
    assert.equal(cutNear('x'.repeat(5_000) + ' tail', 4_990), 'x'.repeat(4_990));
    assert.equal(cutNear('abc', 10), 'abc');
    assert.equal(cutNear('abc', 0), '');
  });

  test('cutNear ends just after sentence or clause punctuation, ASCII, Japanese and full-width alike', () => {
    // a boundary inside the look-back window (10 % of 200 = 20 characters), no space anywhere
    for (const mark of ['.', ',', ';', ':', '!', '?', ')', '、', '。', '」', '』', '】', '！', '）', '，', '．', '：', '；', '？']) {
      const text = `${'x'.repeat(190)}${mark}${'y'.repeat(30)}`;
      assert.equal(cutNear(text, 200), `${'x'.repeat(190)}${mark}`, `after ${mark}`);
    }
    // other symbols are not boundaries: a hard cut
    for (const other of ['-', '/', '・', '(']) {
      const text = `${'x'.repeat(190)}${other}${'y'.repeat(30)}`;
      assert.equal(cutNear(text, 200), text.slice(0, 200), `not after ${other}`);
    }
  });

  test('estimateTokens: an astral character (emoji, rare kanji) counts 2, a lone high surrogate at the end as a narrow one', () => {
    assert.equal(estimateTokens('😀'), 2);
    assert.equal(estimateTokens('😀😀😀'), 6);
    assert.equal(estimateTokens('\ud83d'), 1);
    assert.equal(estimateTokens('aaaaaaaaaa'), 3); // 0.3 a character, rounded up
    assert.equal(estimateTokens('請求書請求書請求書請'), 13); // 1.3 a character
  });

  test('a million characters is handled in one linear pass', (t) => {
    const noBoundaries = 'x'.repeat(1_000_000);
    const mixed = 'The quarterly 請求書 report, page 12.\n\n'.repeat(30_000); // ~1.1M chars
    for (const text of [noBoundaries, mixed]) {
      const started = performance.now();
      const prepared = prepareText(text, TITAN);
      const tokens = estimateTokens(text);
      const ms = performance.now() - started;
      assert.equal(prepared.truncated, true);
      assert.ok(prepared.text.length <= 50_000);
      assert.ok(tokens > 0);
      console.log(`prepareText + estimateTokens on ${text.length} chars: ${ms.toFixed(1)} ms`);
    }
  });
});
