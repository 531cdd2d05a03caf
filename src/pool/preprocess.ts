/**
 * Raster preparation with sharp, shared by image files and rendered PDF pages:
 * orientation from EXIF, greyscale, blank-page check, contrast stretch when needed, at most ~300 dpi,
 * density written into the PNG (tesseract guesses 70 dpi without it), and the WebP thumbnail.
 * sharp's limitInputPixels stays at its default, so a decompression bomb is refused from its header.
 */
import sharp, { type Sharp } from 'sharp';

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
}

export interface PrepareOptions {
  /** Density of the input; unknown or below TRUSTED_DENSITY ⇒ taken as the target. */
  density?: number;
  /** The most resolution OCR is given. */
  targetDpi: number;
  /** A page with a smaller share of dark pixels is blank. */
  blankInkBelow?: number;
}

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
  if (ink < (options.blankInkBelow ?? BLANK_INK)) return { png: null, width, height, ink };
  const density = options.density && options.density >= TRUSTED_DENSITY ? options.density : options.targetDpi;
  const scale = Math.min(1, options.targetDpi / density);
  let pipeline = sharp(grey.data, { raw: { width, height, channels } });
  // Contrast stretch from the ink's level to the paper's (as sharp's normalise() does, but from the
  // histogram we already have: normalise() costs ~0.45 s on an A4 page), and only when needed.
  const span = levels.high - levels.low;
  if ((levels.low > 10 || levels.high < 245) && span >= 32) {
    pipeline = pipeline.linear(255 / span, (-levels.low * 255) / span);
  }
  if (scale < 0.99) pipeline = pipeline.resize(Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale)));
  // one channel: sharp turns raw single-channel input back into sRGB unless told
  const png = await pipeline.toColourspace('b-w').withDensity(Math.round(density * scale)).png({ compressionLevel: 1 }).toBuffer();
  return { png, width, height, ink };
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
  const percentile = (p: number) => {
    const target = pixels * p;
    let seen = 0;
    for (let v = 0; v < 256; v++) {
      seen += bins[v]!;
      if (seen >= target) return v;
    }
    return 255;
  };
  const high = percentile(0.99);
  let dark = 0;
  for (let v = 0; v < high * INK_UNDER_PAPER; v++) dark += bins[v]!;
  const share = dark / pixels;
  return { dark: share, low: percentile(Math.min(0.01, Math.max(share / 2, 0.00005))), high };
}
