/**
 * A page of vertical Japanese for the OCR tests: one character per 56-px cell, columns 100 px apart,
 * right to left, NotoSansJP 50 px (12 pt at 300 dpi), black on white, one byte per pixel.
 */
import { greyOf, whiteCanvas, type Grey } from '../fixtures/documents/render.ts';

/** Ten columns of vertical Japanese text for the tests, in reading order (right to left). */
export const VERTICAL_COLUMNS = [
  '工事期間中はご迷惑をおかけします',
  '会議室の予約は社内システムから',
  '年度末に向けて業務を進めます',
  '見積書の有効期限は三十日間です',
  '本日の定例会議では予算案を議論',
  '新製品の発売日は来年の春です',
  '請求金額は四百万円となります',
  '契約内容の変更は書面で通知します',
  '大阪支店の営業成績は好調でした',
  '品質管理部門から報告書が届きました',
];

export function renderVertical(columns: readonly string[]): Grey {
  const rows = Math.max(...columns.map((c) => [...c].length));
  const width = 80 + columns.length * 100 + 80;
  const height = 80 + rows * 56 + 80;
  const { ctx } = whiteCanvas(width, height);
  ctx.textBaseline = 'top';
  columns.forEach((column, c) => {
    [...column].forEach((ch, r) => ctx.fillText(ch, width - 80 - (c + 1) * 100 + 25, 80 + r * 56));
  });
  return greyOf(ctx, width, height);
}
