/**
 * Evens out the light on a page: each pixel is divided by the paper's level under it (page-analysis's
 * background grid, bilinear between cell centres), so that a shadow or a photo's light spot becomes
 * white paper again and the ink keeps its contrast against it. Used only when the analysis measured
 * uneven light: on an evenly lit page it would change nothing but cost a pass over every pixel.
 */
import { levelAt, type Background, type GreyRaster } from './page-analysis.ts';

export function flattenLight(page: GreyRaster, bg: Background): Uint8Array {
  const channels = page.channels ?? 1;
  const { width, height } = page;
  const out = new Uint8Array(width * height);
  const row = new Float32Array(width);
  for (let y = 0; y < height; y++) {
    // the level varies slowly: interpolate every 8th pixel of the row and fill in between
    for (let x = 0; x < width; x += 8) row[x] = levelAt(bg, x, y);
    for (let x = 0; x < width; x++) {
      if (x % 8 !== 0) {
        const x0 = x - (x % 8);
        const x1 = Math.min(x0 + 8, width - 1 - ((width - 1) % 8));
        row[x] = x1 > x0 ? row[x0]! + ((row[x1]! - row[x0]!) * (x - x0)) / (x1 - x0) : row[x0]!;
      }
      const level = Math.max(1, row[x]!);
      const v = (page.data[(y * width + x) * channels]! * 255) / level;
      out[y * width + x] = v >= 255 ? 255 : v;
    }
  }
  return out;
}
