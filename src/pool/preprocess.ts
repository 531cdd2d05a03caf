/**
 * Raster preparation with sharp, shared by image files and rendered PDF pages:
 * orientation from EXIF, greyscale, blank-page check, contrast normalisation, at most ~300 dpi,
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

/** Under this share of dark pixels a page holds less than one printed character at 300 dpi. */
export const BLANK_INK = 0.0001;

export async function prepareForOcr(input: Sharp, options: PrepareOptions): Promise<OcrReady> {
  const grey = await input.autoOrient().greyscale().raw().toBuffer({ resolveWithObject: true });
  const { width, height } = grey.info;
  const ink = inkShare(grey.data, grey.info.channels);
  if (ink < (options.blankInkBelow ?? BLANK_INK)) return { png: null, width, height, ink };
  const density = options.density && options.density >= TRUSTED_DENSITY ? options.density : options.targetDpi;
  const scale = Math.min(1, options.targetDpi / density);
  let pipeline = sharp(grey.data, { raw: { width, height, channels: grey.info.channels } }).normalise();
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

function inkShare(data: Buffer, channels: number): number {
  let dark = 0;
  const pixels = data.length / channels;
  for (let i = 0; i < data.length; i += channels) if (data[i]! < 128) dark++;
  return pixels === 0 ? 0 : dark / pixels;
}
