/**
 * BMP, which sharp's libvips cannot read: decoded by fast-bmp into raw pixels that sharp then
 * takes as any other image. The size is checked from the header first, with sharp's own default
 * pixel limit, so a forged header cannot make the decoder allocate gigabytes.
 */
import { readFile } from 'node:fs/promises';
import { decode } from 'fast-bmp';
import sharp, { type Sharp } from 'sharp';
import { permanent } from '../core/errors.ts';

/** sharp's default limitInputPixels (0x3FFF × 0x3FFF). */
export const PIXEL_LIMIT = 0x3fff * 0x3fff;

export interface DecodedBmp {
  width: number;
  height: number;
  /** A fresh sharp instance over the decoded pixels (sharp instances are single-use). */
  open(): Sharp;
}

export async function readBmp(path: string): Promise<DecodedBmp> {
  const bytes = await readFile(path);
  if (bytes.length < 26 || bytes.toString('latin1', 0, 2) !== 'BM') throw permanent('IMAGE_CORRUPT', 'not a BMP file (no BM signature)');
  const width = Math.abs(bytes.readInt32LE(18));
  const height = Math.abs(bytes.readInt32LE(22));
  if (width * height > PIXEL_LIMIT) {
    throw permanent('IMAGE_TOO_LARGE', `image refused: a ${width}×${height} BMP exceeds the pixel limit (decompression bomb guard)`);
  }
  let image;
  try {
    image = decode(bytes);
  } catch (err) {
    throw permanent('IMAGE_UNSUPPORTED', `this BMP variant cannot be decoded: ${(err as Error).message}`);
  }
  const channels = image.channels as 1 | 2 | 3 | 4;
  const pixels = image.data;
  if (![1, 2, 3, 4].includes(channels) || !(pixels instanceof Uint8Array) || pixels.length < image.width * image.height * channels) {
    throw permanent('IMAGE_UNSUPPORTED', `this BMP variant cannot be decoded (${image.bitsPerPixel} bits per pixel)`);
  }
  const data = Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  return {
    width: image.width,
    height: image.height,
    open: () => sharp(data, { raw: { width: image.width, height: image.height, channels } }),
  };
}
