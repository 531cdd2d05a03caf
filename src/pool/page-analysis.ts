/**
 * Measurements of a scanned page, made before OCR on a reduced copy of its greyscale raster, so that
 * each preprocessing step runs only on the pages that need it:
 * - the paper's brightness across the page (a shadow, a photo's uneven light);
 * - the direction of the text lines (horizontal, or vertical: vertical Japanese or a page on its side)
 *   and their skew, from projection profiles over ±MAX_SKEW degrees;
 * - the height of the text lines, for rescaling to the size tesseract reads best;
 * - isolated specks (salt-and-pepper noise).
 * Pure functions on pixel arrays: no I/O, no sharp. An A4 page at 300 dpi is measured in ~40 ms.
 */

/** A greyscale raster, one byte per pixel (or the first of `channels` bytes). */
export interface GreyRaster {
  data: Uint8Array;
  width: number;
  height: number;
  channels?: number;
}

export interface PageLayout {
  /** Direction of the text lines; 'unknown' when the page has too little ink to tell. */
  lines: 'horizontal' | 'vertical' | 'unknown';
  /** Clockwise skew of the lines in degrees (within ±MAX_SKEW); rotating by −skew straightens them. */
  skew: number;
  /** Median height of a horizontal line (width of a vertical one) in pixels of the input, or null. */
  lineHeight: number | null;
  /** Darkest paper level over the brightest (0–1): 1 is evenly lit paper. */
  evenness: number;
  /** Share of pixels that are a lone dark speck on paper (salt-and-pepper noise). */
  speckle: number;
  /** The paper's brightness, as a grid (see Background). */
  background: Background;
}

/** The paper's level per cell of `cell` × `cell` input pixels, smoothed; row-major, `cols` × `rows`. */
export interface Background {
  cell: number;
  cols: number;
  rows: number;
  levels: Float32Array;
  /** Each cell's own level (its 90th percentile) and the brightest of it and its neighbours. */
  own: Float32Array;
  brightest: Float32Array;
}

export const MAX_SKEW = 15;
/** One direction's profile must score this many times the other's to tell the lines' direction. */
const DIRECTION_MARGIN = 1.4;
/** The reduced copy is at most about this many pixels on its long side. */
const ANALYSIS_SIZE = 1000;
/** Background cells, in pixels of the reduced copy. */
const CELL = 24;

export function analysePage(page: GreyRaster): PageLayout {
  const factor = Math.max(1, Math.round(Math.max(page.width, page.height) / ANALYSIS_SIZE));
  const small = reduce(page, factor);
  const background = paperLevels(small, factor);
  const evenness = spread(background.levels);
  const ink = inkPoints(small, background, factor);
  const speckle = speckles(page, ink.threshold);
  if (ink.xs.length < 50) return { lines: 'unknown', skew: 0, lineHeight: null, evenness, speckle, background };
  const horizontal = bestAngle(ink.xs, ink.ys, 'horizontal');
  const vertical = bestAngle(ink.xs, ink.ys, 'vertical');
  // Lines run where the profile has the most line structure; a page of text has clearly more one way
  // (measured: 3–6× on pages of text, 2× on a photographed page).
  const direction = horizontal.score >= vertical.score ? horizontal : vertical;
  const other = direction === horizontal ? vertical : horizontal;
  const lines = direction.score > other.score * DIRECTION_MARGIN ? direction.kind : 'unknown';
  const lineHeight = direction.lineHeight === null ? null : direction.lineHeight * factor;
  // A skew is only trusted from several lines: one line (a heading, a bar) fits many angles.
  const skew = lines === 'unknown' || direction.lineHeight === null ? 0 : direction.angle;
  return { lines, skew, lineHeight, evenness, speckle, background };
}

/** Box-average reduction by an integer factor. */
function reduce(page: GreyRaster, factor: number): GreyRaster {
  const channels = page.channels ?? 1;
  const width = Math.max(1, Math.floor(page.width / factor));
  const height = Math.max(1, Math.floor(page.height / factor));
  const sums = new Uint32Array(width);
  const data = new Uint8Array(width * height);
  const area = factor * factor;
  for (let y = 0; y < height; y++) {
    sums.fill(0);
    for (let dy = 0; dy < factor; dy++) {
      const row = (y * factor + dy) * page.width;
      for (let x = 0; x < width; x++) {
        let s = 0;
        const start = (row + x * factor) * channels;
        for (let dx = 0; dx < factor; dx++) s += page.data[start + dx * channels]!;
        sums[x]! += s;
      }
    }
    for (let x = 0; x < width; x++) data[y * width + x] = Math.round(sums[x]! / area);
  }
  return { data, width, height };
}

/**
 * The paper's level per cell: the 90th percentile of the cell (text covers far less than a tenth of
 * a cell's area), or, for a cell far darker than its brightest neighbour (a heading's solid ink, a
 * picture, what lies around a photographed page), that neighbour's; then a mean over the
 * neighbours to smooth it.
 */
function paperLevels(small: GreyRaster, factor: number): Background {
  const cols = Math.max(1, Math.ceil(small.width / CELL));
  const rows = Math.max(1, Math.ceil(small.height / CELL));
  const raw = new Float32Array(cols * rows);
  const bins = new Uint32Array(256);
  for (let cy = 0; cy < rows; cy++) {
    for (let cx = 0; cx < cols; cx++) {
      bins.fill(0);
      let n = 0;
      for (let y = cy * CELL; y < Math.min(small.height, (cy + 1) * CELL); y++) {
        for (let x = cx * CELL; x < Math.min(small.width, (cx + 1) * CELL); x++) {
          bins[small.data[y * small.width + x]!]!++;
          n++;
        }
      }
      raw[cy * cols + cx] = percentile(bins, n, 0.9);
    }
  }
  const brightest = neighbourhood(raw, cols, rows, (values) => Math.max(...values));
  const paper = raw.map((own, i) => (own < brightest[i]! * DARK_CELL ? brightest[i]! : own));
  const levels = neighbourhood(paper, cols, rows, (values) => values.reduce((a, v) => a + v, 0) / values.length);
  return { cell: CELL * factor, cols, rows, levels, own: raw, brightest };
}

function neighbourhood(grid: Float32Array, cols: number, rows: number, f: (values: number[]) => number): Float32Array {
  const out = new Float32Array(grid.length);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const values: number[] = [];
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const ny = y + dy;
          const nx = x + dx;
          if (ny >= 0 && ny < rows && nx >= 0 && nx < cols) values.push(grid[ny * cols + nx]!);
        }
      }
      out[y * cols + x] = f(values);
    }
  }
  return out;
}

/** The 5th percentile of the paper levels over the 95th. */
function spread(levels: Float32Array): number {
  const sorted = [...levels].sort((a, b) => a - b);
  const low = sorted[Math.floor(sorted.length * 0.05)] ?? 255;
  const high = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? 255;
  return high <= 0 ? 1 : Math.min(1, low / high);
}

/** The paper level under input pixel (x, y), bilinear between cell centres. */
export function levelAt(bg: Background, x: number, y: number): number {
  const gx = Math.min(Math.max(x / bg.cell - 0.5, 0), bg.cols - 1);
  const gy = Math.min(Math.max(y / bg.cell - 0.5, 0), bg.rows - 1);
  const x0 = Math.floor(gx);
  const y0 = Math.floor(gy);
  const x1 = Math.min(x0 + 1, bg.cols - 1);
  const y1 = Math.min(y0 + 1, bg.rows - 1);
  const fx = gx - x0;
  const fy = gy - y0;
  const l = bg.levels;
  const top = l[y0 * bg.cols + x0]! * (1 - fx) + l[y0 * bg.cols + x1]! * fx;
  const bottom = l[y1 * bg.cols + x0]! * (1 - fx) + l[y1 * bg.cols + x1]! * fx;
  return top * (1 - fy) + bottom * fy;
}

/** At most this many ink points go into the profiles (a regular subsample beyond). */
const MAX_POINTS = 30_000;
/** The page's outer margins (a share of each side) give no ink: scanner edges and gutter shadows lie there. */
const MARGIN = 0.02;
/** A cell whose own paper level is under this share of its brightest neighbour's is not paper. */
const DARK_CELL = 0.85;

/**
 * Ink pixels of the reduced copy: darker than Otsu's threshold on the copy divided by its paper
 * level, so that a faded page and a shadowed one are read alike. Cells that are not paper (a
 * photo's surroundings, the dark side of a page edge, a picture) give no ink: their edges would
 * pass for lines. `threshold` is the mean ink threshold, in grey levels of the input.
 */
function inkPoints(small: GreyRaster, bg: Background, factor: number): { xs: Float32Array; ys: Float32Array; threshold: number } {
  const ratio = new Uint8Array(small.data.length);
  const bins = new Uint32Array(256);
  const dark = bg.own.map((own, i) => (own < bg.brightest[i]! * DARK_CELL ? 1 : 0));
  // and their neighbours: a cell holding the edge of a dark region is partly dark
  const darkCell = neighbourhood(dark, bg.cols, bg.rows, (values) => Math.max(...values));
  const marginX = Math.round(small.width * MARGIN);
  const marginY = Math.round(small.height * MARGIN);
  let counted = 0;
  let paper = 0;
  const rowLevels = new Float32Array(small.width);
  for (let y = 0; y < small.height; y++) {
    for (let x = 0; x < small.width; x++) rowLevels[x] = levelAt(bg, (x + 0.5) * factor, (y + 0.5) * factor);
    for (let x = 0; x < small.width; x++) {
      const i = y * small.width + x;
      const cell = Math.floor(y / CELL) * bg.cols + Math.floor(x / CELL);
      if (darkCell[cell] || x < marginX || y < marginY || x >= small.width - marginX || y >= small.height - marginY) {
        ratio[i] = 255;
        continue;
      }
      const level = Math.max(1, rowLevels[x]!);
      paper += level;
      counted++;
      const v = Math.min(255, Math.round((small.data[i]! * 255) / level));
      ratio[i] = v;
      bins[v]!++;
    }
  }
  const cut = otsu(bins);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let y = 0; y < small.height; y++) {
    for (let x = 0; x < small.width; x++) {
      if (ratio[y * small.width + x]! < cut) {
        xs.push(x);
        ys.push(y);
      }
    }
  }
  const step = Math.max(1, Math.ceil(xs.length / MAX_POINTS));
  const n = Math.floor(xs.length / step);
  const outX = new Float32Array(n);
  const outY = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    outX[i] = xs[i * step]!;
    outY[i] = ys[i * step]!;
  }
  return { xs: outX, ys: outY, threshold: counted === 0 ? 0 : ((paper / counted) * cut) / 255 };
}

/** Otsu's threshold of a histogram (the level splitting it into the two most separated classes). */
function otsu(bins: Uint32Array): number {
  let total = 0;
  let sum = 0;
  for (let v = 0; v < 256; v++) {
    total += bins[v]!;
    sum += v * bins[v]!;
  }
  let below = 0;
  let sumBelow = 0;
  let best = 0;
  let cut = 128;
  for (let v = 0; v < 256; v++) {
    below += bins[v]!;
    if (below === 0) continue;
    const above = total - below;
    if (above === 0) break;
    sumBelow += v * bins[v]!;
    const meanBelow = sumBelow / below;
    const meanAbove = (sum - sumBelow) / above;
    const between = below * above * (meanBelow - meanAbove) ** 2;
    if (between > best) {
      best = between;
      cut = v + 1;
    }
  }
  return cut;
}

interface AngleFit {
  kind: 'horizontal' | 'vertical';
  angle: number;
  /** How clustered the profile is (1 = uniform). */
  score: number;
  lineHeight: number | null;
}

/**
 * The skew whose profile has the most line structure: 1° steps over ±MAX_SKEW on a third of the
 * points, then 0.25° and 0.1° steps on all of them.
 */
function bestAngle(xs: Float32Array, ys: Float32Array, kind: 'horizontal' | 'vertical'): AngleFit {
  const coarse = { xs: xs.filter((_, i) => i % 3 === 0), ys: ys.filter((_, i) => i % 3 === 0) };
  let best = { angle: 0, score: -1 };
  for (let a = -MAX_SKEW; a <= MAX_SKEW; a += 1) {
    const score = profileScore(project(coarse.xs, coarse.ys, kind, a));
    if (score > best.score) best = { angle: a, score };
  }
  best = { angle: best.angle, score: profileScore(project(xs, ys, kind, best.angle)) };
  for (const step of [0.25, 0.1]) {
    const centre = best.angle;
    for (let k = -3; k <= 3; k++) {
      if (k === 0) continue;
      const angle = Math.round((centre + k * step) * 100) / 100;
      const score = profileScore(project(xs, ys, kind, angle));
      if (score > best.score) best = { angle, score };
    }
  }
  const profile = project(xs, ys, kind, best.angle);
  return { kind, angle: Math.round(best.angle * 10) / 10, score: best.score, lineHeight: medianRun(profile) };
}

/** Counts of points per 1-px bin across the lines' direction, after undoing a skew of `angle` degrees. */
function project(xs: Float32Array, ys: Float32Array, kind: 'horizontal' | 'vertical', angle: number): Uint32Array {
  const r = (angle * Math.PI) / 180;
  const cos = Math.cos(r);
  const sin = Math.sin(r);
  let min = Infinity;
  let max = -Infinity;
  const pos = new Float32Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const p = kind === 'horizontal' ? ys[i]! * cos - xs[i]! * sin : xs[i]! * cos + ys[i]! * sin;
    pos[i] = p;
    if (p < min) min = p;
    if (p > max) max = p;
  }
  const bins = new Uint32Array(Math.max(1, Math.ceil(max - min) + 1));
  for (let i = 0; i < pos.length; i++) bins[Math.floor(pos[i]! - min)]!++;
  return bins;
}

/** Half-width of the window that the profile's local mean is taken over, in bins of the reduced copy. */
const WINDOW = 25;

/**
 * How much of the profile is line structure: the energy of the profile less its local mean (over
 * ±WINDOW bins) against its whole energy, 0–1. Empty stretches (margins, a photo's surroundings)
 * add nothing, and each bin is capped at the level of the busiest tenth, so that one long straight
 * edge (a rule, a page's border in a photo) does not outweigh the lines of text.
 */
function profileScore(bins: Uint32Array): number {
  const sorted = Uint32Array.from(bins).sort();
  let empty = 0;
  while (empty < sorted.length && sorted[empty] === 0) empty++;
  const cap = sorted[empty + Math.floor((sorted.length - empty) * 0.9)] ?? 0;
  const prefix = new Float64Array(bins.length + 1);
  for (let i = 0; i < bins.length; i++) prefix[i + 1] = prefix[i]! + Math.min(bins[i]!, cap);
  let energy = 0;
  let detail = 0;
  for (let i = 0; i < bins.length; i++) {
    const c = Math.min(bins[i]!, cap);
    const lo = Math.max(0, i - WINDOW);
    const hi = Math.min(bins.length, i + WINDOW + 1);
    const local = (prefix[hi]! - prefix[lo]!) / (hi - lo);
    energy += c * c;
    detail += (c - local) ** 2;
  }
  return energy === 0 ? 0 : detail / energy;
}

/** Median length of the runs of bins holding a line (above a fifth of the busiest bins' level). */
function medianRun(bins: Uint32Array): number | null {
  const sorted = [...bins].filter((c) => c > 0).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const level = sorted[Math.floor(sorted.length * 0.9)]! * 0.2;
  const runs: number[] = [];
  let run = 0;
  for (const c of bins) {
    if (c > level) run++;
    else {
      if (run >= 2) runs.push(run);
      run = 0;
    }
  }
  if (run >= 2) runs.push(run);
  if (runs.length < 2) return null;
  runs.sort((a, b) => a - b);
  return runs[Math.floor(runs.length / 2)]!;
}

/** Share of sampled pixels (every fourth row) that are dark while their four neighbours are not. */
function speckles(page: GreyRaster, threshold: number): number {
  const c = page.channels ?? 1;
  const w = page.width;
  const d = page.data;
  let lone = 0;
  let seen = 0;
  for (let y = 1; y < page.height - 1; y += 4) {
    for (let x = 1; x < w - 1; x++) {
      seen++;
      const i = y * w + x;
      if (d[i * c]! >= threshold) continue;
      if (d[(i - 1) * c]! >= threshold && d[(i + 1) * c]! >= threshold && d[(i - w) * c]! >= threshold && d[(i + w) * c]! >= threshold) lone++;
    }
  }
  return seen === 0 ? 0 : lone / seen;
}

/** The level below which a share `p` of the `n` pixels counted in a 256-bin histogram lie. */
export function percentile(bins: Uint32Array, n: number, p: number): number {
  const target = n * p;
  let seen = 0;
  for (let v = 0; v < 256; v++) {
    seen += bins[v]!;
    if (seen >= target) return v;
  }
  return 255;
}
