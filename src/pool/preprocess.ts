/**
 * Raster preparation with sharp, shared by image files and rendered PDF pages: orientation from
 * EXIF, greyscale, blank-page check, then the steps the page's measurements (page-analysis.ts) call
 * for, and only those:
 * - uneven light (a shadow, a photo): the paper's level divided out (light.ts);
 * - lone specks (salt-and-pepper): a 3×3 median, then dust away from the text removed (despeckle.ts);
 * - skew of 0.3° or more: rotated straight;
 * - text of any size: rescaled so that its lines are LINE_HEIGHT px tall, where tesseract reads
 *   well (large print costs less to read; small print is enlarged, up to 2×);
 * - a contrast stretch when the ink and the paper are not already far apart.
 * The density written into the PNG follows the rescaling (tesseract guesses 70 dpi without one).
 * sharp's limitInputPixels stays at its default, so a decompression bomb is refused from its header.
 */
import sharp, { type Sharp } from 'sharp';
import { despeckle } from './despeckle.ts';
import { flattenLight } from './light.ts';
import { analysePage, percentile, type PageLayout } from './page-analysis.ts';

export interface RawImage {
  data: Buffer | Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

export interface OcrReady {
  /** Greyscale PNG with its density set, or null when the page is blank. */
  png: Buffer | null;
  width: number;
  height: number;
  /** Share of dark pixels (0–1) before normalisation. */
  ink: number;
  /** What was measured on the page (null for a blank page). */
  layout: PageLayout | null;
  /** The steps applied, e.g. ['light', 'deskew 5.4°', 'scale 0.59']. */
  steps: string[];
}

export interface PrepareOptions {
  /** Density of the input; unknown or below TRUSTED_DENSITY ⇒ taken as the target. */
  density?: number;
  /** The most resolution OCR is given. */
  targetDpi: number;
  /** A page with a smaller share of dark pixels is blank. */
  blankInkBelow?: number;
  /** Height of a text line after rescaling, in px (LINE_HEIGHT); 0 turns rescaling by text size off. */
  lineHeight?: number;
}

/**
 * Text lines are rescaled to this height (in px, the glyphs' extent across the line). Measured on
 * the clean 300-dpi corpus (lines of 44 px): 26 px reads as well as 44 (CER 0.30 %) in 0.88× the
 * time; below ~22 px errors start to grow.
 */
export const LINE_HEIGHT = 26;
/** Rescaling never goes below this share of the input or above twice it. */
const MIN_SCALE = 0.25;
const MAX_SCALE = 2;
/** Paper darker than this share of the brightest paper somewhere on the page is evened out. */
const UNEVEN_LIGHT = 0.8;
/** A page with more lone specks than this share of its pixels is median-filtered. */
const SPECKLED = 0.0005;
/**
 * Dust is at most this share of a line's height across (an area of at most its square), with no
 * text within this share of a line's height around it. Measured on the speckle page (dust of radius
 * 0.5–2.5 px at 300 dpi): 0.1 / 0.08 reads 3.0 % CER; a size of 0.08 leaves too much (14 %), 0.12
 * takes kana marks and periods (5.6 %).
 */
const DUST_SIZE = 0.1;
const DUST_CLEARANCE = 0.08;
/** Dust is removed from a page with at least this many specks of it. */
const MIN_DUST = 200;
/** The line height assumed where none was measured: 12 pt at 300 dpi. */
const DEFAULT_LINE = 44;
/** Skews smaller than this (degrees) are left alone: tesseract copes and rotating blurs. */
const MIN_DESKEW = 0.3;

/**
 * Densities below this are not a scan's: 72 is what libvips reports for a PNG without pHYs and
 * what cameras write; 96 is a screen's. Such images are taken at the target resolution.
 */
export const TRUSTED_DENSITY = 150;

/** Under this share of ink pixels a page holds less than one printed character at 300 dpi. */
export const BLANK_INK = 0.0001;

/**
 * The most pixels a page is given to OCR (an A2 sheet at 300 dpi is 35 Mpx). A larger raster (a
 * 16000×16000 poster, legal under the bomb guard's 268 Mpx) is first reduced to this, so its
 * greyscale copy stays within ~50 MB instead of a gigabyte.
 */
export const MAX_OCR_PIXELS = 50_000_000;

export async function prepareForOcr(input: Sharp, options: PrepareOptions): Promise<OcrReady> {
  const meta = await input.metadata();
  const w = meta.width ?? 0;
  const h = meta.pageHeight ?? meta.height ?? 0;
  const oriented = input.autoOrient();
  const fitted = w * h > MAX_OCR_PIXELS
    ? oriented.resize({ width: Math.floor(Math.max(w, h) * Math.sqrt(MAX_OCR_PIXELS / (w * h))), height: Math.floor(Math.max(w, h) * Math.sqrt(MAX_OCR_PIXELS / (w * h))), fit: 'inside' })
    : oriented;
  const grey = await fitted.greyscale().raw().toBuffer({ resolveWithObject: true });
  const { width, height, channels } = grey.info;
  const levels = histogram(grey.data, channels);
  const ink = levels.dark;
  if (ink < (options.blankInkBelow ?? BLANK_INK)) return { png: null, width, height, ink, layout: null, steps: [] };
  const layout = analysePage({ data: grey.data, width, height, channels });
  const steps: string[] = [];
  let data: Uint8Array = grey.data;
  let rawChannels = channels;
  let paper = levels.high;
  if (layout.evenness < UNEVEN_LIGHT) {
    data = flattenLight({ data: grey.data, width, height, channels }, layout.background);
    rawChannels = 1;
    paper = 255;
    steps.push('light');
  }
  if (layout.speckle > SPECKLED) {
    // before any resampling, which would smear the specks into grey blobs
    data = await sharp(data, { raw: { width, height, channels: rawChannels } }).extractChannel(0).median(3).raw().toBuffer();
    rawChannels = 1;
    const line = layout.lineHeight ?? DEFAULT_LINE;
    const dust = despeckle(data, width, height, {
      threshold: (levels.low + paper) / 2,
      paper,
      maxArea: Math.round((line * DUST_SIZE) ** 2),
      clearance: Math.round(line * DUST_CLEARANCE),
      minSpecks: MIN_DUST,
    });
    steps.push(dust > 0 ? `denoise, ${dust} specks` : 'denoise');
  }
  const density = options.density && options.density >= TRUSTED_DENSITY ? options.density : options.targetDpi;
  const scale = rescale(layout, options, density, width * height);
  let pipeline = sharp(data, { raw: { width, height, channels: rawChannels } });
  if (rawChannels > 1) pipeline = pipeline.extractChannel(0);
  if (layout.lines !== 'unknown' && Math.abs(layout.skew) >= MIN_DESKEW) {
    pipeline = pipeline.rotate(-layout.skew, { background: { r: paper, g: paper, b: paper } });
    steps.push(`deskew ${layout.skew.toFixed(1)}°`);
  }
  // Contrast stretch from the ink's level to the paper's (as sharp's normalise() does, but from the
  // histogram we already have: normalise() costs ~0.45 s on an A4 page), and only when needed.
  const span = levels.high - levels.low;
  if (!steps.includes('light') && (levels.low > 10 || levels.high < 245) && span >= 32) {
    pipeline = pipeline.linear(255 / span, (-levels.low * 255) / span);
    steps.push('contrast');
  }
  if (Math.abs(scale - 1) > 0.01) {
    const box = rotatedBox(width, height, steps.some((s) => s.startsWith('deskew')) ? layout.skew : 0);
    pipeline = pipeline.resize(Math.max(1, Math.round(box.width * scale)), Math.max(1, Math.round(box.height * scale)));
    steps.push(`scale ${scale.toFixed(2)}`);
  }
  // one channel: sharp turns raw single-channel input back into sRGB unless told
  const png = await pipeline.toColourspace('b-w').withDensity(Math.round(density * scale)).png({ compressionLevel: 1 }).toBuffer();
  return { png, width, height, ink, layout, steps };
}

/**
 * The scale that brings the text lines to LINE_HEIGHT px; without a measured line height, only
 * down to the target resolution (never enlarged). Bounded by MIN/MAX_SCALE and by MAX_OCR_PIXELS.
 */
function rescale(layout: PageLayout, options: PrepareOptions, density: number, pixels: number): number {
  const target = options.lineHeight ?? LINE_HEIGHT;
  const byDpi = Math.min(1, options.targetDpi / density);
  if (target <= 0 || layout.lineHeight === null) return byDpi;
  const byText = Math.min(MAX_SCALE, Math.max(MIN_SCALE, target / layout.lineHeight));
  return Math.min(byText, Math.sqrt(MAX_OCR_PIXELS / pixels));
}

/** The size of a width × height raster after sharp rotates it by `degrees`. */
function rotatedBox(width: number, height: number, degrees: number): { width: number; height: number } {
  const r = (Math.abs(degrees) * Math.PI) / 180;
  return {
    width: Math.ceil(width * Math.cos(r) + height * Math.sin(r)),
    height: Math.ceil(width * Math.sin(r) + height * Math.cos(r)),
  };
}

/** WebP, `size` px on the long side (never enlarged). */
export function thumbnail(input: Sharp, size: number): Promise<Buffer> {
  return input.autoOrient().resize(size, size, { fit: 'inside', withoutEnlargement: true }).flatten({ background: '#ffffff' }).webp({ quality: 80 }).toBuffer();
}

export function fromRaw(image: RawImage): Sharp {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });
}

/**
 * A pixel is ink when it is darker than this share of the page's paper level (its 99th
 * percentile): a faded page (grey ink on grey paper, or a dark scan) has ink too, and is not taken
 * for blank; light noise on white paper is not ink.
 */
export const INK_UNDER_PAPER = 0.75;

interface Levels {
  /** Share of ink pixels (darker than INK_UNDER_PAPER of the paper's level). */
  dark: number;
  /**
   * The ink's level (a low percentile, within the dark pixels even on a sparse page: the 1st
   * percentile of a page with one line of text is paper) and the paper's (the 99th percentile).
   */
  low: number;
  high: number;
}

function histogram(data: Buffer, channels: number): Levels {
  const bins = new Uint32Array(256);
  for (let i = 0; i < data.length; i += channels) bins[data[i]!]!++;
  const pixels = data.length / channels;
  if (pixels === 0) return { dark: 0, low: 0, high: 255 };
  const high = percentile(bins, pixels, 0.99);
  let dark = 0;
  for (let v = 0; v < high * INK_UNDER_PAPER; v++) dark += bins[v]!;
  const share = dark / pixels;
  return { dark: share, low: percentile(bins, pixels, Math.min(0.01, Math.max(share / 2, 0.00005))), high };
}
