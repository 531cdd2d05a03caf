/**
 * tesseract's Japanese model separates every character with a space ("東京 都 千 代田 区");
 * the spaces carry no meaning and break phrase search, so they are removed between CJK
 * characters (kana, kanji, full-width forms and CJK punctuation) while spaces in Latin text stay.
 */
const CJK = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\u3000-\\u303f\\uff00-\\uffef\\u30fc';
const BETWEEN_CJK = new RegExp(`(?<=[${CJK}])[ \\t]+(?=[${CJK}])`, 'gu');

export function tidyOcrText(text: string): string {
  return text
    .replace(BETWEEN_CJK, '')
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
