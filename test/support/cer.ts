/**
 * Character error rate for OCR tests: the Levenshtein distance (insertions, deletions and
 * substitutions of Unicode code points, each costing 1) between the expected and the actual
 * text, divided by the length of the expected text.
 *
 * Both sides are normalised first, as test/fixtures/documents/README.md asks:
 * - NFKC, so full-width forms tesseract writes as ASCII compare equal ('：' ⇔ ':', '（' ⇔ '(',
 *   'Ａ' ⇔ 'A');
 * - every whitespace character removed (\s, which includes U+3000), because tesseract puts
 *   spaces between Japanese characters and splits lines with blank lines; layout is not content.
 *
 * An empty expected text gives 0 when the actual text is empty too, else Infinity. The rate can
 * exceed 1 when the actual text is much longer than the expected one.
 */
export function normaliseForCer(text: string): string {
  return text.normalize('NFKC').replace(/\s+/gu, '');
}

export function characterErrorRate(expected: string, actual: string): number {
  const a = [...normaliseForCer(expected)];
  const b = [...normaliseForCer(actual)];
  if (a.length === 0) return b.length === 0 ? 0 : Number.POSITIVE_INFINITY;
  return levenshtein(a, b) / a.length;
}

/** Edit distance between two code-point arrays (two-row dynamic programme). */
export function levenshtein(a: readonly string[], b: readonly string[]): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length]!;
}
