/**
 * Degraded scanned pages with ground truth, for bench/ocr-quality.ts (issue 14, step 3).
 *
 * Every page starts from the benchmarks' synthetic scan (bench/lib/documents.ts: NotoSansJP 50 px,
 * A4 at 300 dpi, Japanese with English lines from a seeded PRNG) and is then degraded in one way.
 * All randomness (text, angles, noise, light) comes from seededRandom(seed): the same seed gives
 * the same PNG bytes (same sharp / @napi-rs/canvas versions).
 *
 * Classes (one function each): clean (reference: the first pages of bench:ocr's corpus), skew
 * 1–10°, noise (gaussian, speckle), blur, JPEG quality 30, low contrast, shadow gradient, 1-bit
 * 200 dpi fax, rotation 90/180/270°, vertical Japanese, two-column layout, phone-style photo.
 */
import sharp, { type Sharp } from 'sharp';
import { whiteCanvas } from '../../test/fixtures/documents/render.ts';
import { A4_300DPI, greyPng, pageLines, renderScan, SCAN_DPI, type Grey } from './documents.ts';
import { seededRandom } from './stats.ts';

export const DEGRADED_SEED = 20_261_204;
/** The seed and line count of bench/ocr.ts's corpus: the clean class is its first pages. */
export const CLEAN_CORPUS_SEED = 20_261_122;
export const CLEAN_CORPUS_LINES = 28;
export const LINES_PER_PAGE = 20;

export type DegradedClass =
  | 'clean' | 'skew' | 'noise' | 'blur' | 'jpeg30' | 'low-contrast' | 'shadow' | 'fax' | 'rotated' | 'vertical-ja' | 'two-column' | 'photo';

export interface DegradedPage {
  class: DegradedClass;
  /** file name, e.g. skew-2.png */
  name: string;
  /** greyscale PNG with a pHYs density */
  png: Buffer;
  /** the text on the page in reading order, lines joined with \n */
  text: string;
  /** density written into the PNG */
  dpi: number;
  /** what was done to this page */
  detail: string;
}

export interface ClassSpec {
  name: DegradedClass;
  description: string;
  make(seed: number): Promise<DegradedPage[]>;
}

// ---------------------------------------------------------------- helpers

/** A per-class, per-page text seed (distinct text for each class). */
const textSeed = (seed: number, cls: number) => seed * 31 + cls;

function lines(seed: number, cls: number, index: number, n = LINES_PER_PAGE): string[] {
  return pageLines(textSeed(seed, cls), index, n);
}

/** Runs a sharp pipeline on a grey image and returns the grey result (channel 0 of whatever comes out). */
async function step(img: Grey, f: (s: Sharp) => Sharp): Promise<Grey> {
  const { data, info } = await f(sharp(img.data, { raw: { width: img.width, height: img.height, channels: 1 } }))
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels === 1) return { width: info.width, height: info.height, data: new Uint8Array(data) };
  const out = new Uint8Array(info.width * info.height);
  for (let i = 0; i < out.length; i++) out[i] = data[i * info.channels]!;
  return { width: info.width, height: info.height, data: out };
}

const WHITE = { r: 255, g: 255, b: 255 };

/** Standard normal samples from a seeded uniform source (Box–Muller). */
function gaussian(random: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = 1 - random();
    const v = random();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

const clamp = (x: number) => (x < 0 ? 0 : x > 255 ? 255 : Math.round(x));

function addGaussianNoise(img: Grey, sigma: number, random: () => number): Grey {
  const g = gaussian(random);
  const data = new Uint8Array(img.data.length);
  for (let i = 0; i < data.length; i++) data[i] = clamp(img.data[i]! + sigma * g());
  return { ...img, data };
}

/** Multiplies every pixel by light(x, y) (0..1). */
function light(img: Grey, f: (x: number, y: number) => number): Grey {
  const data = new Uint8Array(img.data.length);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const i = y * img.width + x;
      data[i] = clamp(img.data[i]! * f(x, y));
    }
  }
  return { ...img, data };
}

/** JPEG at `quality`, decoded again (the artefacts stay; the file handed on is a lossless PNG). */
const jpegRoundTrip = (img: Grey, quality: number) =>
  step(img, (s) => s).then(async (g) => {
    const jpg = await sharp(g.data, { raw: { width: g.width, height: g.height, channels: 1 } }).jpeg({ quality, mozjpeg: false }).toBuffer();
    const { data, info } = await sharp(jpg).greyscale().raw().toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data: new Uint8Array(data) } satisfies Grey;
  });

async function page(cls: DegradedClass, index: number, img: Grey, text: readonly string[], detail: string, dpi = SCAN_DPI): Promise<DegradedPage> {
  return { class: cls, name: `${cls}-${index + 1}.png`, png: await greyPng(img, dpi), text: text.join('\n'), dpi, detail };
}

function canvas(width: number, height: number) {
  const { canvas: c, ctx } = whiteCanvas(width, height, FONT_PX);
  return { c, ctx };
}

function canvasGrey(c: ReturnType<typeof canvas>): Grey {
  const { width, height } = c.c;
  const rgba = c.ctx.getImageData(0, 0, width, height).data;
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = rgba[i * 4] ?? 255;
  return { width, height, data };
}

const FONT_PX = 50;
const MARGIN = 236;

// ---------------------------------------------------------------- classes

/** The first pages of bench:ocr's corpus, unchanged (28 lines, its seed): the reference class. */
async function clean(): Promise<DegradedPage[]> {
  const out: DegradedPage[] = [];
  for (let i = 0; i < 4; i++) {
    const text = pageLines(CLEAN_CORPUS_SEED, i, CLEAN_CORPUS_LINES);
    out.push(await page('clean', i, renderScan(text), text, `bench:ocr corpus page ${i + 1} (seed ${CLEAN_CORPUS_SEED}), unchanged`));
  }
  return out;
}

/** Rotated by 1–10° (one page in each of 1–4°, 4–7°, 7–10°, seeded sign), canvas enlarged, white fill. */
async function skew(seed: number): Promise<DegradedPage[]> {
  const random = seededRandom(seed + 1);
  const out: DegradedPage[] = [];
  for (let i = 0; i < 3; i++) {
    const angle = Number(((1 + 3 * i + 3 * random()) * (random() < 0.5 ? -1 : 1)).toFixed(2));
    const text = lines(seed, 1, i);
    const img = await step(renderScan(text), (s) => s.rotate(angle, { background: WHITE }));
    out.push(await page('skew', i, img, text, `rotated ${angle}°`));
  }
  return out;
}

/** Gaussian noise σ 40 on one page; speckle (dark dots and white pinholes, salt-and-pepper) on the other. */
async function noise(seed: number): Promise<DegradedPage[]> {
  const random = seededRandom(seed + 2);
  const t0 = lines(seed, 2, 0);
  const p0 = addGaussianNoise(renderScan(t0), 40, random);
  const t1 = lines(seed, 2, 1);
  const base = renderScan(t1);
  const data = new Uint8Array(base.data);
  const { width, height } = base;
  // 0.3 % of the pixels start a dark dot of radius 0.5–2.5 px (dust); 1 % of the pixels flip (salt and pepper).
  const dots = Math.round(width * height * 0.003);
  for (let k = 0; k < dots; k++) {
    const cx = random() * width;
    const cy = random() * height;
    const r = 0.5 + 2 * random();
    const v = Math.floor(random() * 90);
    for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(height - 1, Math.ceil(cy + r)); y++) {
      for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(width - 1, Math.ceil(cx + r)); x++) {
        if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) data[y * width + x] = v;
      }
    }
  }
  const flips = Math.round(width * height * 0.01);
  for (let k = 0; k < flips; k++) data[Math.floor(random() * data.length)] = random() < 0.5 ? 0 : 255;
  return [
    await page('noise', 0, p0, t0, 'gaussian noise σ 40 (of 255)'),
    await page('noise', 1, { width, height, data }, t1, 'speckle: dark dots r 0.5–2.5 px on 0.3 % of pixels, salt-and-pepper on 1 %'),
  ];
}

/** Gaussian blur σ 1.5 px and σ 3 px (at 300 dpi; strokes are ~5 px wide). */
async function blur(seed: number): Promise<DegradedPage[]> {
  const out: DegradedPage[] = [];
  for (const [i, sigma] of [1.5, 3].entries()) {
    const text = lines(seed, 3, i);
    out.push(await page('blur', i, await step(renderScan(text), (s) => s.blur(sigma)), text, `gaussian blur σ ${sigma} px`));
  }
  return out;
}

/** JPEG quality 30 (libjpeg, 4:2:0 irrelevant in grey), decoded; page 2 is scanner-grey paper first. */
async function jpeg30(seed: number): Promise<DegradedPage[]> {
  const random = seededRandom(seed + 4);
  const t0 = lines(seed, 4, 0);
  const t1 = lines(seed, 4, 1);
  const grey = await step(renderScan(t1), (s) => s.linear(205 / 255, 30));
  return [
    await page('jpeg30', 0, await jpegRoundTrip(renderScan(t0), 30), t0, 'JPEG quality 30 of the clean page'),
    await page('jpeg30', 1, await jpegRoundTrip(addGaussianNoise(grey, 6, random), 30), t1, 'grey paper (text 30, paper 235) + noise σ 6, then JPEG quality 30'),
  ];
}

/** Faded (text 150 on 205) and underexposed (text 95 on 140). */
async function lowContrast(seed: number): Promise<DegradedPage[]> {
  const out: DegradedPage[] = [];
  for (const [i, [ink, paper]] of ([[150, 205], [95, 140]] as const).entries()) {
    const text = lines(seed, 5, i);
    out.push(await page('low-contrast', i, await step(renderScan(text), (s) => s.linear((paper - ink) / 255, ink)), text, `ink ${ink}, paper ${paper} (of 255)`));
  }
  return out;
}

/** A book-gutter shadow on the left edge, and a diagonal shadow gradient across the page. */
async function shadow(seed: number): Promise<DegradedPage[]> {
  const t0 = lines(seed, 6, 0);
  const t1 = lines(seed, 6, 1);
  const { width, height } = A4_300DPI;
  const gutter = light(renderScan(t0), (x) => 1 - 0.8 * Math.exp(-x / 450));
  const diagonal = light(renderScan(t1), (x, y) => 0.3 + 0.7 * Math.min(1, (x / width + y / height) / 1.6));
  return [
    await page('shadow', 0, gutter, t0, 'gutter shadow: light 1 − 0.8·exp(−x / 450 px) (paper 51 at the left edge)'),
    await page('shadow', 1, diagonal, t1, 'diagonal gradient: light 0.3 at the top-left corner to 1.0 toward the bottom-right'),
  ];
}

/** Down to 200 dpi, noise, thresholded to pure black and white (stored as 8-bit grey holding 0/255 only). */
async function fax(seed: number): Promise<DegradedPage[]> {
  const random = seededRandom(seed + 7);
  const out: DegradedPage[] = [];
  for (const [i, [sigma, threshold]] of ([[20, 128], [35, 100]] as const).entries()) {
    const text = lines(seed, 7, i);
    const small = await step(renderScan(text), (s) => s.resize({ width: Math.round((A4_300DPI.width * 200) / 300), kernel: 'linear' }));
    const noisy = addGaussianNoise(small, sigma, random);
    const data = noisy.data.map((v) => (v < threshold ? 0 : 255));
    out.push(await page('fax', i, { ...noisy, data }, text, `200 dpi (1654 px wide), noise σ ${sigma}, threshold ${threshold}: 1-bit content`, 200));
  }
  return out;
}

/** Rotated by 90°, 180° and 270° clockwise (a page fed sideways or upside down). */
async function rotated(seed: number): Promise<DegradedPage[]> {
  const out: DegradedPage[] = [];
  for (const [i, angle] of [90, 180, 270].entries()) {
    const text = lines(seed, 8, i);
    out.push(await page('rotated', i, await step(renderScan(text), (s) => s.rotate(angle)), text, `rotated ${angle}° clockwise`));
  }
  return out;
}

/** Vertical forms for punctuation that must not stay horizontal in tategaki (NFKC maps them back). */
const VERTICAL_FORMS: Record<string, string> = { '、': '\uFE11', '。': '\uFE12', '（': '\uFE35', '）': '\uFE36' };
/** Drawn rotated 90° clockwise in vertical text. */
const ROTATED_IN_VERTICAL = new Set(['ー', '〜', '-']);

/**
 * Vertical Japanese (tategaki): one character per row, columns right to left, Japanese lines only
 * (the English lines are dropped), each source line starting a new column. Punctuation uses the
 * vertical presentation forms, the long-vowel mark is turned 90°. Expected text: the columns
 * right to left, each top to bottom.
 */
async function verticalJa(seed: number): Promise<DegradedPage[]> {
  const out: DegradedPage[] = [];
  const { width, height } = A4_300DPI;
  const rowPx = 56;
  const colPx = 90;
  const rows = Math.floor((height - 2 * MARGIN) / rowPx);
  const maxCols = Math.floor((width - 2 * MARGIN) / colPx);
  for (let i = 0; i < 2; i++) {
    const source = lines(seed, 9, i, 80).filter((l) => !/[A-Za-z]/.test(l));
    const columns: string[][] = [];
    const used: string[] = [];
    for (const line of source) {
      const chars = [...line].filter((c) => c !== ' ');
      const need = Math.ceil(chars.length / rows);
      if (columns.length + need > Math.min(maxCols, LINES_PER_PAGE)) break;
      for (let k = 0; k < need; k++) columns.push(chars.slice(k * rows, (k + 1) * rows));
      used.push(line);
    }
    const cv = canvas(width, height);
    const { ctx } = cv;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    columns.forEach((col, c) => {
      const x = width - MARGIN - colPx / 2 - c * colPx;
      col.forEach((ch, r) => {
        const y = MARGIN + rowPx / 2 + r * rowPx;
        if (ROTATED_IN_VERTICAL.has(ch)) {
          ctx.save();
          ctx.translate(x, y);
          ctx.rotate(Math.PI / 2);
          ctx.fillText(ch, 0, 0);
          ctx.restore();
        } else {
          ctx.fillText(VERTICAL_FORMS[ch] ?? ch, x, y);
        }
      });
    });
    out.push(await page('vertical-ja', i, canvasGrey(cv), used, `${columns.length} vertical columns, ${rows} rows of ${rowPx} px, right to left`));
  }
  return out;
}

/** Wraps a line to `maxPx` (at spaces for lines with Latin letters, anywhere for Japanese). */
function wrap(ctx: ReturnType<typeof canvas>['ctx'], line: string, maxPx: number): string[] {
  const out: string[] = [];
  let current = '';
  for (const ch of line) {
    if (ctx.measureText(current + ch).width <= maxPx) {
      current += ch;
      continue;
    }
    const space = current.lastIndexOf(' ');
    if (/[A-Za-z]/.test(line) && space > 0) {
      out.push(current.slice(0, space));
      current = current.slice(space + 1) + ch;
    } else {
      out.push(current);
      current = ch;
    }
  }
  if (current !== '') out.push(current);
  return out;
}

/** Two columns with a 100 px gutter; the text flows down column 1, then column 2. */
async function twoColumn(seed: number): Promise<DegradedPage[]> {
  const out: DegradedPage[] = [];
  const { width, height } = A4_300DPI;
  const gutter = 100;
  const colWidth = (width - 2 * MARGIN - gutter) / 2;
  const linePx = Math.round(FONT_PX * 1.8);
  for (let i = 0; i < 2; i++) {
    const text = lines(seed, 10, i, 24);
    const cv = canvas(width, height);
    const wrapped = text.flatMap((l) => wrap(cv.ctx, l, colWidth));
    const half = Math.ceil(wrapped.length / 2);
    if (half * linePx + MARGIN + FONT_PX > height - MARGIN / 2) throw new Error(`two-column page ${i}: ${wrapped.length} lines do not fit`);
    cv.ctx.textBaseline = 'alphabetic';
    wrapped.forEach((l, k) => {
      const col = k < half ? 0 : 1;
      const row = col === 0 ? k : k - half;
      cv.ctx.fillText(l, MARGIN + col * (colWidth + gutter), MARGIN + FONT_PX + row * linePx);
    });
    out.push(await page('two-column', i, canvasGrey(cv), [...wrapped.slice(0, half), ...wrapped.slice(half)], `two columns of ${Math.round(colWidth)} px, gutter ${gutter} px, ${wrapped.length} wrapped lines`));
  }
  return out;
}

/** The 3×3 homography taking the four `from` points to the four `to` points (8×8 Gaussian elimination). */
function homography(from: ReadonlyArray<readonly [number, number]>, to: ReadonlyArray<readonly [number, number]>): number[] {
  const a: number[][] = [];
  for (let k = 0; k < 4; k++) {
    const [x, y] = from[k]!;
    const [u, v] = to[k]!;
    a.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    a.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  for (let c = 0; c < 8; c++) {
    let p = c;
    for (let r = c + 1; r < 8; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
    [a[c], a[p]] = [a[p]!, a[c]!];
    for (let r = 0; r < 8; r++) {
      if (r === c) continue;
      const f = a[r]![c]! / a[c]![c]!;
      for (let k = c; k < 9; k++) a[r]![k]! -= f * a[c]![k]!;
    }
  }
  return [...a.map((row, i) => row[8]! / row[i]!), 1];
}

/**
 * A phone-style photo: the page in perspective (a true homography, bilinear sampling) on a darker
 * desk, in a 2300×3100 frame (about 240 dpi at the page's centre), uneven light (an off-centre
 * bright spot falling off to ~45 %), a mild blur, sensor noise, JPEG quality 75, greyscale, 72 dpi
 * in the file as phones write it.
 */
async function photo(seed: number): Promise<DegradedPage[]> {
  const random = seededRandom(seed + 11);
  const out: DegradedPage[] = [];
  const W = 2300;
  const H = 3100;
  for (let i = 0; i < 2; i++) {
    const text = lines(seed, 11, i);
    const src = renderScan(text);
    const j = () => (random() - 0.5) * 120;
    // Top edge narrower than the bottom (camera tilted back), slightly rotated.
    const quad: Array<[number, number]> = [
      [260 + j(), 200 + j()],
      [2000 + j(), 150 + j()],
      [2200 + j(), 2980 + j()],
      [80 + j(), 2930 + j()],
    ];
    const corners: Array<[number, number]> = [[0, 0], [src.width, 0], [src.width, src.height], [0, src.height]];
    const h = homography(quad, corners); // output pixel -> source pixel
    const lx = W * (0.3 + 0.4 * random());
    const ly = H * (0.25 + 0.3 * random());
    const g = gaussian(random);
    const data = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const d = h[6]! * x + h[7]! * y + h[8]!;
        const u = (h[0]! * x + h[1]! * y + h[2]!) / d;
        const v = (h[3]! * x + h[4]! * y + h[5]!) / d;
        let value = 70; // desk
        if (u >= 0 && v >= 0 && u < src.width - 1 && v < src.height - 1) {
          const x0 = Math.floor(u);
          const y0 = Math.floor(v);
          const fx = u - x0;
          const fy = v - y0;
          const p = (xx: number, yy: number) => src.data[yy * src.width + xx]!;
          value = (p(x0, y0) * (1 - fx) + p(x0 + 1, y0) * fx) * (1 - fy) + (p(x0, y0 + 1) * (1 - fx) + p(x0 + 1, y0 + 1) * fx) * fy;
          value = 25 + value * 0.9; // ink is never black in a photo
        }
        const r2 = ((x - lx) ** 2 + (y - ly) ** 2) / (W * W);
        const lit = 0.45 + 0.55 * Math.exp(-r2 / 0.35);
        data[y * W + x] = clamp(value * lit + 4 * g());
      }
    }
    const blurred = await step({ width: W, height: H, data }, (s) => s.blur(1.1));
    const img = await jpegRoundTrip(blurred, 75);
    const q = quad.map(([x, y]) => `(${Math.round(x)}, ${Math.round(y)})`).join(' ');
    out.push(await page('photo', i, img, text, `perspective to ${q} in ${W}×${H}, light spot at (${Math.round(lx)}, ${Math.round(ly)}) falling to 45 %, blur σ 1.1, noise σ 4, JPEG 75, 72 dpi`, 72));
  }
  return out;
}

export const CLASSES: readonly ClassSpec[] = [
  { name: 'clean', description: 'reference: the first 4 pages of bench:ocr\'s clean corpus (28 lines), unchanged', make: clean },
  { name: 'skew', description: 'rotated 1–10° (one page each in 1–4°, 4–7°, 7–10°)', make: skew },
  { name: 'noise', description: 'gaussian noise σ 40; speckle (dust dots + salt-and-pepper)', make: noise },
  { name: 'blur', description: 'gaussian blur σ 1.5 and 3 px', make: blur },
  { name: 'jpeg30', description: 'JPEG quality 30 (clean page; grey noisy paper)', make: jpeg30 },
  { name: 'low-contrast', description: 'ink/paper 150/205 (faded) and 95/140 (dark)', make: lowContrast },
  { name: 'shadow', description: 'gutter shadow at the left edge; diagonal light gradient', make: shadow },
  { name: 'fax', description: '1-bit, 200 dpi, noisy threshold', make: fax },
  { name: 'rotated', description: 'rotated 90°, 180°, 270°', make: rotated },
  { name: 'vertical-ja', description: 'vertical Japanese, columns right to left', make: verticalJa },
  { name: 'two-column', description: 'two-column layout, column 1 then column 2', make: twoColumn },
  { name: 'photo', description: 'phone-style photo: perspective, uneven light, blur, noise, JPEG 75', make: photo },
];

/** All classes' pages (or those named), in CLASSES order. */
export async function degradedPages(seed = DEGRADED_SEED, only?: ReadonlySet<DegradedClass>): Promise<DegradedPage[]> {
  const out: DegradedPage[] = [];
  for (const spec of CLASSES) if (!only || only.has(spec.name)) out.push(...(await spec.make(seed)));
  return out;
}
