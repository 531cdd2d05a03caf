/**
 * Removes dust from a speckled page: connected specks of ink of at most `maxArea` pixels with no
 * larger ink (text) within `clearance` pixels are painted over with paper. A 3×3 median (preprocess.ts)
 * takes care of single-pixel salt-and-pepper; dust of a few pixels across survives it, and in the
 * blank space between lines tesseract takes it for text and loses the lines. Punctuation and the
 * marks of kana (゛, ゜) are kept because they sit next to their characters.
 * Runs only on pages the analysis found speckled. 8-connectivity, iterative (no recursion).
 */
export interface DespeckleOptions {
  /** A pixel darker than this is ink. */
  threshold: number;
  /** Paper level painted over removed specks. */
  paper: number;
  maxArea: number;
  clearance: number;
  /**
   * Fewer dust specks than this are left alone: a page without dust still has a few small bits of
   * text standing apart (the pieces of a noisy glyph), and removing them only loses text.
   */
  minSpecks: number;
}

interface Speck {
  pixels: number[];
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Paints the dust over and returns how many specks were removed (0 when fewer than minSpecks were found). */
export function despeckle(data: Uint8Array, width: number, height: number, options: DespeckleOptions): number {
  const { threshold, paper, maxArea, clearance, minSpecks } = options;
  // 0: paper or not yet seen; 1: part of a speck; 2: part of larger ink
  const kind = new Uint8Array(width * height);
  const specks: Speck[] = [];
  const stack: number[] = [];
  const pixels: number[] = [];
  for (let start = 0; start < data.length; start++) {
    if (kind[start] || data[start]! >= threshold) continue;
    pixels.length = 0;
    let x0 = width;
    let y0 = height;
    let x1 = -1;
    let y1 = -1;
    stack.push(start);
    kind[start] = 1;
    while (stack.length > 0) {
      const i = stack.pop()!;
      // past maxArea the component is text, not dust: mark it so at once rather than keep its pixels
      if (pixels.length <= maxArea) pixels.push(i);
      else kind[i] = 2;
      const x = i % width;
      const y = (i - x) / width;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const n = ny * width + nx;
          if (kind[n] || data[n]! >= threshold) continue;
          kind[n] = 1;
          stack.push(n);
        }
      }
    }
    if (pixels.length <= maxArea) specks.push({ pixels: [...pixels], x0, y0, x1, y1 });
    else for (const i of pixels) kind[i] = 2;
  }
  const dust = specks.filter((speck) => !nearText(kind, width, height, speck, clearance));
  if (dust.length < minSpecks) return 0;
  for (const speck of dust) for (const i of speck.pixels) data[i] = paper;
  return dust.length;
}

/** Larger ink within `d` pixels of the speck's box. */
function nearText(kind: Uint8Array, width: number, height: number, s: Speck, d: number): boolean {
  const ye = Math.min(height - 1, s.y1 + d);
  const xs = Math.max(0, s.x0 - d);
  const xe = Math.min(width - 1, s.x1 + d);
  for (let y = Math.max(0, s.y0 - d); y <= ye; y++) {
    for (let x = xs; x <= xe; x++) if (kind[y * width + x] === 2) return true;
  }
  return false;
}
