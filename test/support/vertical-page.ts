/**
 * A page of vertical Japanese for the OCR tests: one character per 56-px cell, columns 100 px apart,
 * right to left, NotoSansJP 50 px (12 pt at 300 dpi), black on white, one byte per pixel.
 */
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { fontPath, type Grey } from '../fixtures/documents/render.ts';

export function renderVertical(columns: readonly string[]): Grey {
  GlobalFonts.registerFromPath(fontPath, 'NotoSansJP');
  const rows = Math.max(...columns.map((c) => [...c].length));
  const width = 80 + columns.length * 100 + 80;
  const height = 80 + rows * 56 + 80;
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#000000';
  ctx.font = '50px NotoSansJP';
  ctx.textBaseline = 'top';
  columns.forEach((column, c) => {
    [...column].forEach((ch, r) => ctx.fillText(ch, width - 80 - (c + 1) * 100 + 25, 80 + r * 56));
  });
  const rgba = ctx.getImageData(0, 0, width, height).data;
  return { width, height, data: Uint8Array.from({ length: width * height }, (_, i) => rgba[i * 4]!) };
}
