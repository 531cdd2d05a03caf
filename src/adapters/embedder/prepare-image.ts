/**
 * Any image sharp can read, made fit for Titan Multimodal Embeddings: the first frame / page only,
 * EXIF orientation applied, 8-bit sRGB (CMYK, 16-bit, greyscale, palette and the rest converted),
 * alpha flattened onto white, fitted inside `maxSide`×`maxSide` (never enlarged) and encoded as a
 * JPEG of at most `maxBytes` (lower quality first, then a smaller size).
 *
 * The image is decoded once to raw pixels at its final size; every (re-)encode starts from those.
 * An image sharp cannot decode, or with more than `maxInputPixels` pixels (checked from the header,
 * so a decompression bomb costs nothing), is a permanent EMBEDDING_IMAGE_UNUSABLE: the caller
 * indexes the document without an image vector. A truncated JPEG or GIF is read as far as its data goes.
 */
import sharp, { type Metadata, type Sharp, type SharpOptions } from 'sharp';
import { permanent, type IngestError } from '../../core/errors.ts';
import type { PreparedImage } from './port.ts';

export interface PrepareImageOptions {
  /** The model's largest side (ModelSpec.maxImageSide). */
  maxSide: number;
  /** Largest encoded image; default 5 MiB. */
  maxBytes?: number;
  /** Images with more pixels (of their first page) are refused; default 100 000 000. */
  maxInputPixels?: number;
  signal?: AbortSignal;
}

export const DEFAULT_MAX_IMAGE_BYTES = 5 * 1024 * 1024;
export const DEFAULT_MAX_INPUT_PIXELS = 100_000_000;

const CODE = 'EMBEDDING_IMAGE_UNUSABLE';
/** Qualities tried at full size before the image is made smaller. */
const QUALITIES = [90, 75, 60] as const;
/** Quality of every smaller re-encode. */
const REDUCED_QUALITY = 60;
/**
 * How libvips' JPEG and GIF loaders report a truncated file; with failOn 'none' they give the part
 * there is (the rest grey, or transparent and so white). Not "libpng read error" (a truncated or
 * corrupt PNG): with failOn 'none' libvips returns an all-black image for it, useless for a vector.
 */
const TRUNCATED = /premature end|unexpected end|truncated/i;

interface RawPixels {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

export async function prepareImage(input: string | Buffer, options: PrepareImageOptions): Promise<PreparedImage> {
  const { signal } = options;
  const maxSide = Math.floor(options.maxSide);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_IMAGE_BYTES;
  const maxInputPixels = options.maxInputPixels ?? DEFAULT_MAX_INPUT_PIXELS;
  if (!(maxSide >= 1)) throw new RangeError(`maxSide must be at least 1, not ${options.maxSide}`);
  if (!(maxBytes >= 1)) throw new RangeError(`maxBytes must be at least 1, not ${options.maxBytes}`);
  if (!(maxInputPixels >= 1)) throw new RangeError(`maxInputPixels must be at least 1, not ${options.maxInputPixels}`);
  signal?.throwIfAborted();

  // The header, without sharp's pixel limit (which metadata() enforces too), to say how large it is.
  const meta = await sharpWork(signal, 'the image cannot be read', () => open(input, { limitInputPixels: false, failOn: 'none' }).metadata());
  signal?.throwIfAborted();
  const described = describe(meta);
  const pageHeight = meta.pageHeight ?? meta.height;
  if (meta.width === undefined || pageHeight === undefined) throw unusable(`${described} has no dimensions`, meta);
  if (meta.width * pageHeight > maxInputPixels) {
    throw unusable(`${described} is ${meta.width}×${pageHeight} px, over the limit of ${maxInputPixels} pixels (decompression bomb guard)`, meta);
  }

  // sharp's own limit stays on as a backstop (it applies to the loaded first page).
  const readOptions: SharpOptions = { limitInputPixels: maxInputPixels, failOn: 'error' };
  let raw: RawPixels;
  try {
    raw = await decode(open(input, readOptions), maxSide);
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    if (!TRUNCATED.test(messageOf(err))) throw unusable(`${described} cannot be decoded: ${messageOf(err)}`, meta, err);
    // Truncated: what there is of it still shows what the image is.
    raw = await sharpWork(signal, `${described} is truncated and cannot be decoded`, () =>
      decode(open(input, { ...readOptions, failOn: 'none' }), maxSide), meta);
  }
  signal?.throwIfAborted();

  let width = raw.width;
  let height = raw.height;
  let size = 0;
  for (let quality: readonly number[] = QUALITIES; ; quality = [REDUCED_QUALITY]) {
    for (const q of quality) {
      const data = await sharpWork(signal, `${described} cannot be encoded`, () => encode(raw, width, height, q), meta);
      signal?.throwIfAborted();
      if (data.length <= maxBytes) return { data, format: 'jpeg', width, height };
      size = data.length;
    }
    if (width === 1 && height === 1) {
      throw unusable(`${described} cannot be made smaller than ${maxBytes} bytes (a 1×1 JPEG is ${size} bytes)`, meta);
    }
    // A JPEG's size goes roughly with its pixel count at a given quality; aim a little under.
    const factor = Math.min(0.9, Math.sqrt(maxBytes / size) * 0.95);
    width = Math.max(1, Math.floor(width * factor));
    height = Math.max(1, Math.floor(height * factor));
  }
}

/** A sharp instance: the first frame / page only. sharp's constructor throws on an empty buffer. */
function open(input: string | Buffer, options: SharpOptions): Sharp {
  return sharp(input, { ...options, pages: 1, page: 0 });
}

async function decode(image: Sharp, maxSide: number): Promise<RawPixels> {
  const { data, info } = await image
    .autoOrient()
    .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

function encode(raw: RawPixels, width: number, height: number, quality: number): Promise<Buffer> {
  let image = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } });
  if (width !== raw.width || height !== raw.height) image = image.resize(width, height, { fit: 'fill' });
  return image.jpeg({ quality, mozjpeg: false }).toBuffer();
}

/** Runs sharp work; its failure becomes EMBEDDING_IMAGE_UNUSABLE (an abort rejects with the reason). */
async function sharpWork<T>(signal: AbortSignal | undefined, what: string, work: () => Promise<T>, meta?: Metadata): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw unusable(`${what}: ${messageOf(err)}`, meta, err);
  }
}

function describe(meta: Metadata): string {
  return `the ${meta.format ?? 'unknown'} image`;
}

function unusable(message: string, meta: Metadata | undefined, cause?: unknown): IngestError {
  const details: Record<string, unknown> = {};
  if (meta?.format !== undefined) details.format = meta.format;
  if (meta?.width !== undefined) details.width = meta.width;
  if (meta?.height !== undefined) details.height = meta.height;
  if (meta?.pages !== undefined) details.pages = meta.pages;
  return permanent(CODE, `image unusable for an embedding: ${message}`, cause, details);
}

/** One line of a sharp error: libheif, for one, prefixes its reason with lines of noise ("source: bad seek to …"). */
function messageOf(err: unknown): string {
  const lines = (err instanceof Error ? err.message : String(err)).split('\n').map((line) => line.trim()).filter(Boolean);
  const named = lines.filter((line) => /^[\w .-]+: \S/.test(line) && !/bad seek/.test(line));
  return (named.at(-1) ?? lines[0] ?? 'unknown error').slice(0, 300);
}
