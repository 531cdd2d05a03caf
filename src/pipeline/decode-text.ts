/**
 * Bytes → string for plain-text files, with Japanese legacy encodings detected.
 *
 * Order: BOM (UTF-8, UTF-16LE/BE) → UTF-16 without BOM (NUL-byte parity, then a plausibility
 * check) → ISO-2022-JP (7-bit with JIS escapes) → strict UTF-8 → mostly-valid UTF-8 →
 * Shift_JIS / EUC-JP via encoding-japanese's structural check, ties broken by how Japanese the
 * decoded text looks → a scored best guess when no candidate decodes cleanly.
 *
 * Decoding itself is WHATWG `TextDecoder` (Node's full ICU): 'shift_jis' is Windows-31J, so the
 * CP932 extensions (①, ㈱, IBM kanji) decode. Nothing here throws on bad input: undecodable
 * sequences become U+FFFD and are counted in `invalidBytes`.
 */
import Encoding from 'encoding-japanese';

export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be' | 'shift_jis' | 'euc-jp' | 'iso-2022-jp';

export interface DecodedText {
  text: string;
  /** WHATWG label of the encoding the bytes were decoded from. */
  encoding: TextEncodingName;
  /** U+FFFD replacement characters produced by decoding (not those already in the input). */
  invalidBytes: number;
}

export interface DecodeOptions {
  /**
   * The bytes are a prefix of a longer file (read limit, sniffing): a multi-byte sequence cut at
   * the end is dropped silently instead of being counted as invalid.
   */
  partial?: boolean;
}

/** Detection looks at this much of the input; decoding always covers all of it. */
const SAMPLE_BYTES = 1024 * 1024;
const REPLACEMENT = 0xfffd;

export function decodeText(bytes: Uint8Array, options: DecodeOptions = {}): DecodedText {
  const partial = options.partial ?? false;
  if (bytes.length === 0) return { text: '', encoding: 'utf-8', invalidBytes: 0 };

  const bom = bomOf(bytes);
  if (bom) return decodeAs(bytes.subarray(bom.length), bom.encoding, partial);

  const sampled = bytes.length > SAMPLE_BYTES;
  const sample = bytes.subarray(0, SAMPLE_BYTES);
  // Structural checks fail on a character cut at the end of a prefix: look at the prefix minus
  // its last few bytes (at most 3 for any encoding considered here).
  const check = (partial || sampled) && sample.length > 8 ? sample.subarray(0, sample.length - 3) : sample;

  const utf16 = guessUtf16(check);
  if (utf16) return decodeAs(bytes, utf16, partial);

  if (isIso2022Jp(check)) return decodeAs(bytes, 'iso-2022-jp', partial);

  const strict = strictUtf8(bytes, partial);
  if (strict !== null) return { text: stripBom(strict), encoding: 'utf-8', invalidBytes: 0 };
  if (mostlyUtf8(check)) return decodeAs(bytes, 'utf-8', partial);

  const sjis = Encoding.detect(check, 'SJIS') === 'SJIS';
  const eucjp = Encoding.detect(check, 'EUCJP') === 'EUCJP';
  if (sjis || eucjp) {
    // Many inputs parse as both (half-width katakana in Shift_JIS; kana in EUC-JP), and one
    // stray byte can make the right one fail: keep the reading that looks more Japanese.
    // Shift_JIS wins ties: it is by far the more common of the two.
    if (eucjp && onlyEucHalfWidthKana(check)) return decodeAs(bytes, 'euc-jp', partial);
    const s = scoreText(decodeRaw(sample, 'shift_jis', true));
    const e = scoreText(decodeRaw(sample, 'euc-jp', true));
    return decodeAs(bytes, e.score > s.score ? 'euc-jp' : 'shift_jis', partial);
  }

  return decodeAs(bytes, bestGuess(sample, check), partial);
}

/** Nothing decodes cleanly (corrupt bytes or an odd mix): take the reading that scores best. */
function bestGuess(sample: Uint8Array, check: Uint8Array): TextEncodingName {
  const candidates: TextEncodingName[] = ['utf-8', 'shift_jis', 'euc-jp'];
  if (hasJisEscape(check)) candidates.push('iso-2022-jp');
  let best: TextEncodingName = 'utf-8';
  let bestScore = -Infinity;
  for (const encoding of candidates) {
    const s = scoreText(decodeRaw(sample, encoding, true));
    if (s.score > bestScore) {
      best = encoding;
      bestScore = s.score;
    }
  }
  // UTF-16 without BOM and without any NUL byte (e.g. kanji/kana only): only when it reads as
  // near-perfect text, which random or 8-bit data does not.
  if (sample.length >= 4 && sample.length % 2 === 0) {
    for (const encoding of ['utf-16le', 'utf-16be'] as const) {
      const s = scoreText(decodeRaw(sample, encoding, true));
      if (s.plausible >= 0.95 && s.replacements === 0 && s.score > bestScore) {
        best = encoding;
        bestScore = s.score;
      }
    }
  }
  return best;
}

/**
 * Every non-ASCII pair is 0x8E + 0xA1..0xDF: EUC-JP half-width katakana. As Shift_JIS the same
 * bytes are kanji from a single JIS row, which real text never consists of.
 */
function onlyEucHalfWidthKana(bytes: Uint8Array): boolean {
  let pairs = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] ?? 0;
    if (b < 0x80) continue;
    const t = bytes[i + 1] ?? 0;
    if (b !== 0x8e || t < 0xa1 || t > 0xdf) return false;
    pairs++;
    i++;
  }
  return pairs >= 3;
}

function bomOf(bytes: Uint8Array): { encoding: TextEncodingName; length: number } | null {
  const [a, b, c] = bytes;
  if (a === 0xef && b === 0xbb && c === 0xbf) return { encoding: 'utf-8', length: 3 };
  if (a === 0xff && b === 0xfe) return { encoding: 'utf-16le', length: 2 };
  if (a === 0xfe && b === 0xff) return { encoding: 'utf-16be', length: 2 };
  return null;
}

function decodeAs(bytes: Uint8Array, encoding: TextEncodingName, partial: boolean): DecodedText {
  const text = stripBom(decodeRaw(bytes, encoding, partial));
  const produced = countReplacements(text);
  const invalidBytes = produced === 0 ? 0 : Math.max(0, produced - encodedReplacements(bytes, encoding));
  return { text, encoding, invalidBytes };
}

/**
 * With `stream: true` a sequence cut at the end stays buffered in the decoder and is dropped.
 * Node's decoders are ICU's: its EUC-JP passes the invalid bytes 0x80–0x8D, 0x90–0xA0 through
 * as C1 controls where the WHATWG decoder reports an error, so those become U+FFFD here too.
 */
function decodeRaw(bytes: Uint8Array, encoding: TextEncodingName, partial: boolean): string {
  const decoder = new TextDecoder(encoding, { fatal: false, ignoreBOM: true });
  const text = partial ? decoder.decode(bytes, { stream: true }) : decoder.decode(bytes);
  return encoding === 'euc-jp' ? text.replace(/[\u0080-\u009f]/g, '\ufffd') : text;
}

function strictUtf8(bytes: Uint8Array, partial: boolean): string | null {
  try {
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    return partial ? decoder.decode(bytes, { stream: true }) : decoder.decode(bytes);
  } catch {
    return null;
  }
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function countReplacements(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\ufffd'); i !== -1; i = text.indexOf('\ufffd', i + 1)) n++;
  return n;
}

/** U+FFFD characters genuinely encoded in the input (they are content, not decoding errors). */
function encodedReplacements(bytes: Uint8Array, encoding: TextEncodingName): number {
  let n = 0;
  if (encoding === 'utf-8') {
    for (let i = 0; i + 2 < bytes.length; i++) {
      if (bytes[i] === 0xef && bytes[i + 1] === 0xbf && bytes[i + 2] === 0xbd) n++;
    }
  } else if (encoding === 'utf-16le' || encoding === 'utf-16be') {
    const [hi, lo] = encoding === 'utf-16le' ? [1, 0] : [0, 1];
    for (let i = 0; i + 1 < bytes.length; i += 2) {
      if (bytes[i + hi] === 0xff && bytes[i + lo] === 0xfd) n++;
    }
  }
  return n;
}

/**
 * UTF-16 without BOM: text mostly in Latin script has a NUL in every other byte. Endianness from
 * where the NULs sit (encoding-japanese's UTF16BE/UTF16LE test only looks at the first NUL, which
 * a stray NUL in 8-bit data fools); then the decoded sample must look like text.
 */
function guessUtf16(check: Uint8Array): 'utf-16le' | 'utf-16be' | null {
  const pairs = check.length >> 1;
  if (pairs < 2) return null;
  let zeroEven = 0;
  let zeroOdd = 0;
  for (let i = 0; i + 1 < check.length; i += 2) {
    if (check[i] === 0) zeroEven++;
    if (check[i + 1] === 0) zeroOdd++;
  }
  let encoding: 'utf-16le' | 'utf-16be';
  if (zeroOdd >= pairs * 0.3 && zeroEven * 4 <= zeroOdd) encoding = 'utf-16le';
  else if (zeroEven >= pairs * 0.3 && zeroOdd * 4 <= zeroEven) encoding = 'utf-16be';
  else return null;
  const s = scoreText(decodeRaw(check, encoding, true));
  return s.plausible >= 0.9 ? encoding : null;
}

/** 7-bit data with JIS designation escapes (encoding-japanese's JIS test; it stops at the first escape, so the 7-bit scan is ours). */
function isIso2022Jp(check: Uint8Array): boolean {
  for (const b of check) if (b >= 0x80) return false;
  return Encoding.detect(check, 'JIS') === 'JIS' && hasJisEscape(check);
}

/** ESC $ @, ESC $ B, ESC $ ( D (double-byte sets) or ESC ( I (half-width katakana). */
function hasJisEscape(bytes: Uint8Array): boolean {
  for (let i = bytes.indexOf(0x1b); i !== -1 && i + 2 < bytes.length; i = bytes.indexOf(0x1b, i + 1)) {
    const b1 = bytes[i + 1];
    const b2 = bytes[i + 2];
    if (b1 === 0x24 && (b2 === 0x40 || b2 === 0x42 || b2 === 0x28)) return true;
    if (b1 === 0x28 && b2 === 0x49) return true;
  }
  return false;
}

/**
 * UTF-8 with a few corrupt bytes: well-formed multi-byte sequences dominate. Shift_JIS and EUC-JP
 * text almost never forms them (their lead bytes are UTF-8 continuation bytes or are followed by
 * ASCII-range trail bytes).
 */
function mostlyUtf8(bytes: Uint8Array): boolean {
  let valid = 0;
  let invalid = 0;
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i] ?? 0;
    if (b < 0x80) {
      i++;
      continue;
    }
    const need = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    let ok = need > 0 && i + need < bytes.length;
    for (let k = 1; ok && k <= need; k++) {
      const c = bytes[i + k] ?? 0;
      if (c < 0x80 || c > 0xbf) ok = false;
    }
    if (ok) {
      valid++;
      i += need + 1;
    } else if (need > 0 && i + need >= bytes.length && continuationsOnly(bytes.subarray(i + 1))) {
      break; // a sequence cut by the end of the input
    } else {
      invalid++;
      i++;
    }
  }
  return invalid === 0 ? valid > 0 : valid >= 4 && invalid * 10 <= valid;
}

function continuationsOnly(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b < 0x80 || b > 0xbf) return false;
  return true;
}

interface TextScore {
  /** Higher = reads more like real (Japanese or Latin) text. */
  score: number;
  replacements: number;
  /** Share of characters in scripts and symbols that ordinary text uses. */
  plausible: number;
}

/**
 * How much a decoding reads like real text. Hiragana is the strongest signal for Japanese; the
 * wrong legacy decoding of kana turns into half-width katakana or rare kanji, and C1 controls,
 * private-use characters and U+FFFD are what mis-decoding produces most.
 */
function scoreText(text: string): TextScore {
  let score = 0;
  let replacements = 0;
  let plausible = 0;
  let total = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    total++;
    if (c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c || (c >= 0x20 && c < 0x7f)) {
      plausible++;
    } else if (c >= 0x3041 && c <= 0x309f) {
      score += 3;
      plausible++;
    } else if (c >= 0x30a0 && c <= 0x30ff) {
      score += 2;
      plausible++;
    } else if (c >= 0x3000 && c <= 0x303f) {
      score += 2;
      plausible++;
    } else if (c >= 0x4e00 && c <= 0x9fff) {
      score += 0.5;
      plausible++;
    } else if (c >= 0xff01 && c <= 0xff5e) {
      score += 1;
      plausible++;
    } else if (c >= 0xff61 && c <= 0xff9f) {
      score += 0.5;
      plausible++;
    } else if (c >= 0xc0 && c <= 0x24f) {
      score += 1; // accented Latin letters: real in UTF-8, never produced by a legacy mis-decoding
      plausible++;
    } else if (
      (c >= 0xa0 && c < 0xc0) || (c >= 0x370 && c <= 0x52f) || (c >= 0x2000 && c <= 0x2bff) ||
      (c >= 0x3200 && c <= 0x33ff) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0x1f300 && c <= 0x1faff)
    ) {
      plausible++;
    } else if (c === REPLACEMENT) {
      score -= 5;
      replacements++;
    } else if ((c >= 0x80 && c <= 0x9f) || (c >= 0xe000 && c <= 0xf8ff)) {
      score -= 3;
    } else if (c < 0x20 || c === 0x7f) {
      score -= 1;
    }
  }
  return { score, replacements, plausible: total === 0 ? 1 : plausible / total };
}
