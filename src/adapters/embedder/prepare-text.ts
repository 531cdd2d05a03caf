/**
 * Text as an embedding model takes it: whitespace collapsed, lone surrogates replaced, and cut to
 * the model's limits — at most `maxTextChars` UTF-16 units (conservative whichever way Bedrock
 * counts characters) and at most an *estimate* of `maxTextTokens`. There is no tokenizer for these
 * models in Node, so the estimate errs high: CJK, kana, hangul and fullwidth forms ≈ 1.3 tokens a
 * character (real tokenizers give about one), everything else ≈ 0.3 (English runs near 0.25), and
 * 10 % of the limit is kept as headroom. Bedrock's own "too many input tokens" answer is the backstop
 * (bedrock.ts halves and retries). Every step is one linear pass: a million characters is cheap.
 */
import type { ModelSpec } from './models.ts';

export interface PreparedText {
  /** The text to send; '' when there is nothing to embed (the caller skips it). */
  text: string;
  /** Only a beginning of the (normalised) text is kept. */
  truncated: boolean;
  /** `text.length`. */
  charsUsed: number;
}

export type TextLimits = Pick<ModelSpec, 'maxTextChars' | 'maxTextTokens'>;

/** Token estimates in tenths, so the running sum stays an exact integer. */
const WIDE_TENTHS = 13;
const NARROW_TENTHS = 3;
/** A character outside the BMP (emoji, rare kanji) is often split into several tokens. */
const ASTRAL_TENTHS = 20;
const HEADROOM = 0.9;
/** How far back from the hard cut a word or sentence boundary is looked for. */
const BOUNDARY_WINDOW = 200;

// Runs of whitespace and C0/DEL control characters (PDF text layers carry NULs and form feeds).
const SPACE_RUN = /[\s\u0000-\u001f\u007f]+/g;

export function prepareText(input: string, limits: TextLimits): PreparedText {
  const text = normalise(input);
  if (text === '') return { text: '', truncated: false, charsUsed: 0 };
  const budgetTenths = Math.floor(limits.maxTextTokens * HEADROOM * 10);
  const end = fitEnd(text, limits.maxTextChars, budgetTenths);
  if (end >= text.length) return { text, truncated: false, charsUsed: text.length };
  const cut = cutNear(text, end);
  return { text: cut, truncated: true, charsUsed: cut.length };
}

/** Whitespace runs become one space (or one newline when the run had a line break); trimmed. */
export function normalise(input: string): string {
  return input
    .toWellFormed()
    .replace(SPACE_RUN, (run) => (run.includes('\n') || run.includes('\r') ? '\n' : ' '))
    .trim();
}

/** The token estimate for a whole text (as prepareText counts it, without headroom). */
export function estimateTokens(text: string): number {
  let tenths = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      tenths += ASTRAL_TENTHS;
      i++;
    } else {
      tenths += isWide(c) ? WIDE_TENTHS : NARROW_TENTHS;
    }
  }
  return Math.ceil(tenths / 10);
}

/**
 * The beginning of `text` that ends at or before `end`, preferably just after punctuation or at a
 * space found in the last BOUNDARY_WINDOW characters; never splits a surrogate pair. Used for the
 * first cut and to halve a text Bedrock said was too long.
 */
export function cutNear(text: string, end: number): string {
  if (end >= text.length) return text;
  if (end <= 0) return '';
  let hard = end;
  if (isHighSurrogate(text.charCodeAt(hard - 1))) hard--;
  const floor = Math.max(1, hard - Math.min(BOUNDARY_WINDOW, Math.floor(hard / 10)));
  for (let i = hard; i >= floor; i--) {
    const before = text.charCodeAt(i - 1);
    if (isSpace(text.charCodeAt(i)) || isPunctuation(before)) return text.slice(0, i).trimEnd();
  }
  return text.slice(0, hard).trimEnd();
}

/** Index just past the longest prefix within both limits. */
function fitEnd(text: string, maxChars: number, budgetTenths: number): number {
  const limit = Math.min(text.length, maxChars);
  let tenths = 0;
  let i = 0;
  while (i < limit) {
    const c = text.charCodeAt(i);
    const pair = isHighSurrogate(c) && i + 1 < text.length;
    const cost = pair ? ASTRAL_TENTHS : isWide(c) ? WIDE_TENTHS : NARROW_TENTHS;
    const next = i + (pair ? 2 : 1);
    if (tenths + cost > budgetTenths || next > limit) break;
    tenths += cost;
    i = next;
  }
  return i;
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

/** CJK ideographs, kana, hangul, CJK punctuation and fullwidth forms. */
function isWide(c: number): boolean {
  if (c < 0x1100) return false;
  return (c <= 0x11ff) // Hangul Jamo
    || (c >= 0x2e80 && c <= 0x9fff) // radicals, CJK symbols, kana, bopomofo, ext A, unified ideographs
    || (c >= 0xa960 && c <= 0xa97f) // Hangul Jamo Ext-A
    || (c >= 0xac00 && c <= 0xd7ff) // Hangul syllables, Jamo Ext-B
    || (c >= 0xf900 && c <= 0xfaff) // compatibility ideographs
    || (c >= 0xfe30 && c <= 0xfe4f) // CJK compatibility forms
    || (c >= 0xff00 && c <= 0xffef); // halfwidth and fullwidth forms
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x3000;
}

/** Sentence and clause punctuation, ASCII and Japanese, after which a cut reads naturally. */
function isPunctuation(c: number): boolean {
  switch (c) {
    case 0x2e: case 0x2c: case 0x3b: case 0x3a: case 0x21: case 0x3f: case 0x29: // . , ; : ! ? )
    case 0x3001: case 0x3002: case 0x300d: case 0x300f: case 0x3011: // 、 。 」 』 】
    case 0xff01: case 0xff09: case 0xff0c: case 0xff0e: case 0xff1a: case 0xff1b: case 0xff1f: // ！ ） ， ． ： ； ？
      return true;
    default:
      return false;
  }
}
