/**
 * prepareImage against images made with sharp here: size limits, first frame of animations,
 * EXIF orientation, colour-space and bit-depth conversion, alpha, the pixel limit, undecodable
 * input, the byte limit and aborts.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';
import { isIngestError } from '../../../src/core/errors.ts';
import { prepareImage } from '../../../src/adapters/embedder/prepare-image.ts';

type Rgb = [number, number, number];

function solid(width: number, height: number, colour: string): Sharp {
  return sharp({ create: { width, height, channels: 3, background: colour } });
}

/** RGB of one pixel of an encoded image. */
async function pixel(image: Buffer, x: number, y: number): Promise<Rgb> {
  const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return [data[i]!, data[i + 1]!, data[i + 2]!];
}

function assertColour(actual: Rgb, expected: Rgb, tolerance = 8): void {
  const off = actual.some((v, i) => Math.abs(v - expected[i]!) > tolerance);
  assert.ok(!off, `colour ${actual.join(',')} is not ${expected.join(',')} (±${tolerance})`);
}

/** The output is a baseline 8-bit sRGB JPEG of the size it claims. */
async function assertJpeg(result: { data: Buffer; format: string; width: number; height: number }): Promise<void> {
  assert.equal(result.format, 'jpeg');
  const meta = await sharp(result.data).metadata();
  assert.equal(meta.format, 'jpeg');
  assert.equal(meta.width, result.width);
  assert.equal(meta.height, result.height);
  assert.equal(meta.channels, 3);
  assert.equal(meta.space, 'srgb');
  assert.equal(meta.depth, 'uchar');
}

function assertUnusable(err: unknown, pattern: RegExp): true {
  assert.ok(isIngestError(err), `not an IngestError: ${String(err)}`);
  assert.equal(err.code, 'EMBEDDING_IMAGE_UNUSABLE');
  assert.equal(err.retryable, false);
  assert.match(err.message, pattern);
  return true;
}

/**
 * A real decompression bomb: a 1-bit greyscale PNG of width × height pixels, all black, that
 * deflates to a few kilobytes (sharp would need gigabytes to decode it at 8 bits per channel).
 */
function pngBomb(width: number, height: number): Buffer {
  const chunk = (type: string, body: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(body.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
    return Buffer.concat([head, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const rows = Buffer.alloc(height * (1 + Math.ceil(width / 8))); // filter byte 0 + zero bits per row
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

test('a large JPEG is fitted inside maxSide, keeping its aspect ratio', async () => {
  const input = await solid(6000, 3000, '#3366cc').jpeg().toBuffer();
  const result = await prepareImage(input, { maxSide: 2048 });
  assert.equal(result.width, 2048);
  assert.equal(result.height, 1024);
  await assertJpeg(result);
  assertColour(await pixel(result.data, 1000, 500), [0x33, 0x66, 0xcc]);
});

test('a portrait image is fitted by its height', async () => {
  const input = await solid(1000, 4000, '#808080').png().toBuffer();
  const result = await prepareImage(input, { maxSide: 1000 });
  assert.deepEqual([result.width, result.height], [250, 1000]);
});

test('a small PNG is not enlarged (and becomes a JPEG)', async () => {
  const input = await solid(120, 45, '#10c050').png().toBuffer();
  const result = await prepareImage(input, { maxSide: 2048 });
  assert.deepEqual([result.width, result.height], [120, 45]);
  await assertJpeg(result);
  assertColour(await pixel(result.data, 60, 20), [0x10, 0xc0, 0x50]);
});

test('a file path is read like a buffer', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'prepare-image-'));
  t.onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'photo.webp');
  await writeFile(path, await solid(3000, 1500, '#c03030').webp().toBuffer());
  const result = await prepareImage(path, { maxSide: 2048 });
  assert.deepEqual([result.width, result.height], [2048, 1024]);
  await assertJpeg(result);
});

test('an animated GIF gives its first frame only', async () => {
  const frame = 40;
  const colours: Rgb[] = [[255, 0, 0], [0, 255, 0], [0, 0, 255]];
  const raw = Buffer.alloc(frame * frame * colours.length * 3);
  for (let p = 0; p < raw.length / 3; p++) raw.set(colours[Math.floor(p / (frame * frame))]!, p * 3);
  const gif = await sharp(raw, { raw: { width: frame, height: frame * colours.length, channels: 3, pageHeight: frame } }).gif().toBuffer();
  const meta = await sharp(gif).metadata();
  assert.equal(meta.pages, 3, 'the test input is animated');

  const result = await prepareImage(gif, { maxSide: 2048 });
  assert.deepEqual([result.width, result.height], [frame, frame]);
  assertColour(await pixel(result.data, 20, 5), [255, 0, 0], 20);
  assertColour(await pixel(result.data, 20, 35), [255, 0, 0], 20);
});

test('a multi-page TIFF gives its first page only', async () => {
  const raw = Buffer.alloc(30 * 60 * 3);
  for (let p = 0; p < 30 * 60; p++) raw.set(p < 30 * 30 ? [0, 0, 0] : [255, 255, 255], p * 3);
  const tiff = await sharp(raw, { raw: { width: 30, height: 60, channels: 3, pageHeight: 30 } }).tiff().toBuffer();
  assert.equal((await sharp(tiff).metadata()).pages, 2, 'the test input has two pages');
  const result = await prepareImage(tiff, { maxSide: 2048 });
  assert.deepEqual([result.width, result.height], [30, 30]);
  assertColour(await pixel(result.data, 15, 25), [0, 0, 0]);
});

test('a CMYK JPEG is converted to sRGB with the right colour', async () => {
  const cmyk = await solid(64, 64, '#e01020').toColourspace('cmyk').jpeg().toBuffer();
  const meta = await sharp(cmyk).metadata();
  assert.equal(meta.space, 'cmyk', 'the test input is CMYK');
  assert.equal(meta.channels, 4);

  const result = await prepareImage(cmyk, { maxSide: 2048 });
  await assertJpeg(result);
  const [r, g, b] = await pixel(result.data, 32, 32);
  // a red with little cyan: read as RGB(A) it would come out with R near 0
  assert.ok(r > 180 && g < 70 && b < 70, `expected red, got ${r},${g},${b}`);
});

test('a 16-bit PNG becomes 8-bit with its colour kept', async () => {
  const input = await solid(32, 32, '#0ac85a').toColourspace('rgb16').png().toBuffer();
  assert.equal((await sharp(input).metadata()).depth, 'ushort', 'the test input is 16-bit');
  const result = await prepareImage(input, { maxSide: 2048 });
  await assertJpeg(result);
  assertColour(await pixel(result.data, 16, 16), [0x0a, 0xc8, 0x5a]);
});

test('a greyscale image becomes three-channel sRGB', async () => {
  const input = await solid(20, 20, '#606060').toColourspace('b-w').png().toBuffer();
  assert.equal((await sharp(input).metadata()).channels, 1, 'the test input is greyscale');
  const result = await prepareImage(input, { maxSide: 2048 });
  await assertJpeg(result);
  assertColour(await pixel(result.data, 10, 10), [0x60, 0x60, 0x60]);
});

test('greyscale with alpha becomes sRGB flattened onto white', async () => {
  // black at half opacity, stored as a two-channel greyscale PNG
  const input = await sharp({ create: { width: 16, height: 16, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0.5 } } })
    .toColourspace('b-w').png().toBuffer();
  assert.equal((await sharp(input).metadata()).channels, 2, 'the test input is grey + alpha');
  const result = await prepareImage(input, { maxSide: 2048 });
  await assertJpeg(result);
  assertColour(await pixel(result.data, 8, 8), [128, 128, 128]);
});

test('a palette PNG is converted to RGB', async () => {
  const input = await solid(50, 50, '#2040e0').png({ palette: true }).toBuffer();
  assert.equal((await sharp(input).metadata()).isPalette, true, 'the test input has a palette');
  const result = await prepareImage(input, { maxSide: 2048 });
  await assertJpeg(result);
  assertColour(await pixel(result.data, 25, 25), [0x20, 0x40, 0xe0]);
});

test('transparency is flattened onto white', async () => {
  // left half fully transparent (with black RGB underneath), right half opaque blue
  const raw = Buffer.alloc(40 * 20 * 4);
  for (let y = 0; y < 20; y++) {
    for (let x = 0; x < 40; x++) raw.set(x < 20 ? [0, 0, 0, 0] : [0, 0, 255, 255], (y * 40 + x) * 4);
  }
  const input = await sharp(raw, { raw: { width: 40, height: 20, channels: 4 } }).png().toBuffer();
  const result = await prepareImage(input, { maxSide: 2048 });
  await assertJpeg(result);
  assertColour(await pixel(result.data, 5, 10), [255, 255, 255]);
  assertColour(await pixel(result.data, 35, 10), [0, 0, 255]);
});

test('EXIF orientation is applied', async () => {
  // 300×100 stored, left half red and right half blue, orientation 6 (display rotated 90° clockwise)
  const raw = Buffer.alloc(300 * 100 * 3);
  for (let y = 0; y < 100; y++) {
    for (let x = 0; x < 300; x++) raw.set(x < 150 ? [255, 0, 0] : [0, 0, 255], (y * 300 + x) * 3);
  }
  const input = await sharp(raw, { raw: { width: 300, height: 100, channels: 3 } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
  assert.equal((await sharp(input).metadata()).orientation, 6, 'the test input carries an EXIF orientation');

  const result = await prepareImage(input, { maxSide: 2048 });
  assert.deepEqual([result.width, result.height], [100, 300]);
  assertColour(await pixel(result.data, 50, 30), [255, 0, 0], 20);
  assertColour(await pixel(result.data, 50, 270), [0, 0, 255], 20);
  // the orientation is applied, not passed on (or a viewer / Bedrock would rotate it again)
  assert.equal((await sharp(result.data).metadata()).orientation, undefined);
});

test('an image over maxInputPixels is refused from its header, permanently', async () => {
  const bomb = pngBomb(12_000, 10_000); // 120 Mpx in a few kB
  assert.ok(bomb.length < 100_000);
  await assert.rejects(prepareImage(bomb, { maxSide: 2048 }), (err) => assertUnusable(err, /12000×10000 px.*100000000 pixels/));

  const small = await solid(400, 300, '#000000').png().toBuffer();
  await assert.rejects(prepareImage(small, { maxSide: 2048, maxInputPixels: 100_000 }), (err) => assertUnusable(err, /400×300 px/));
  // at the limit is fine
  const ok = await prepareImage(small, { maxSide: 2048, maxInputPixels: 120_000 });
  assert.deepEqual([ok.width, ok.height], [400, 300]);
});

test('garbage, an empty buffer and a missing file are unusable, permanently', async () => {
  await assert.rejects(prepareImage(Buffer.from('this is not an image, just some text'), { maxSide: 2048 }),
    (err) => assertUnusable(err, /cannot be read: .*unsupported image format/));
  await assert.rejects(prepareImage(randomBytes(4096), { maxSide: 2048 }), (err) => assertUnusable(err, /cannot be read/));
  await assert.rejects(prepareImage(Buffer.alloc(0), { maxSide: 2048 }), (err) => assertUnusable(err, /empty/i));
  await assert.rejects(prepareImage(join(tmpdir(), 'no-such-image-here.jpg'), { maxSide: 2048 }), (err) => assertUnusable(err, /missing|no such file/i));
});

test('an image whose header is fine but whose data is corrupt is unusable', async () => {
  const good = await solid(64, 64, '#ff00ff').webp().toBuffer();
  const broken = Buffer.from(good);
  for (let i = 40; i < broken.length; i++) broken[i]! ^= 0x5a;
  assert.equal((await sharp(broken).metadata()).width, 64, 'the header still reads');
  await assert.rejects(prepareImage(broken, { maxSide: 2048 }), (err) => assertUnusable(err, /webp image cannot be decoded: .*unable to read pixels/));
});

test('a truncated JPEG or GIF is read as far as its data goes; a truncated PNG is unusable', async () => {
  const raw = Buffer.alloc(200 * 200 * 3);
  for (let p = 0; p < 200 * 200; p++) raw.set([0x40, 0x80, (p * 7) % 256], p * 3); // not too compressible
  const truncate = async (format: 'jpeg' | 'gif' | 'png'): Promise<Buffer> => {
    const input = await sharp(raw, { raw: { width: 200, height: 200, channels: 3 } }).toFormat(format).toBuffer();
    const truncated = input.subarray(0, Math.floor(input.length * 0.6));
    await assert.rejects(sharp(truncated, { failOn: 'error' }).raw().toBuffer(), `the test ${format} is truncated`);
    return truncated;
  };
  for (const format of ['jpeg', 'gif'] as const) {
    const result = await prepareImage(await truncate(format), { maxSide: 2048 });
    assert.deepEqual([result.width, result.height], [200, 200], format);
    const [r, g] = await pixel(result.data, 100, 2);
    assert.ok(Math.abs(r - 0x40) < 16 && Math.abs(g - 0x80) < 16, `${format}: top row kept (${r},${g})`);
  }
  await assert.rejects(prepareImage(await truncate('png'), { maxSide: 2048 }), (err) => assertUnusable(err, /png image cannot be decoded: .*read error/));
});

test('a noisy image is re-encoded until it fits maxBytes', async () => {
  const width = 1600;
  const height = 1000;
  const input = await sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } }).png().toBuffer();
  const first = await prepareImage(input, { maxSide: 2048 });
  assert.ok(first.data.length > 1_000_000, `noise at quality 90 is large (${first.data.length} bytes)`);
  assert.deepEqual([first.width, first.height], [width, height]);

  // a lower quality is enough
  const lower = await prepareImage(input, { maxSide: 2048, maxBytes: Math.floor(first.data.length * 0.8) });
  assert.ok(lower.data.length <= first.data.length * 0.8);
  assert.deepEqual([lower.width, lower.height], [width, height]);

  // only a smaller image fits
  const maxBytes = 60_000;
  const small = await prepareImage(input, { maxSide: 2048, maxBytes });
  assert.ok(small.data.length <= maxBytes, `${small.data.length} bytes`);
  assert.ok(small.width < width && small.height < height);
  assert.ok(Math.abs(small.width / small.height - width / height) < 0.05, 'aspect ratio kept');
  await assertJpeg(small);
});

test('a maxBytes no JPEG can meet is unusable', async () => {
  const input = await solid(100, 100, '#123456').png().toBuffer();
  await assert.rejects(prepareImage(input, { maxSide: 2048, maxBytes: 50 }), (err) => assertUnusable(err, /smaller than 50 bytes/));
});

test('an aborted signal rejects with its reason, before or during the work', async () => {
  const input = await solid(3000, 2000, '#445566').jpeg().toBuffer();
  const reason = new Error('shutting down');

  const before = new AbortController();
  before.abort(reason);
  await assert.rejects(prepareImage(input, { maxSide: 2048, signal: before.signal }), (err) => err === reason);

  const during = new AbortController();
  const pending = prepareImage(input, { maxSide: 2048, signal: during.signal });
  during.abort(reason);
  await assert.rejects(pending, (err) => err === reason);

  // an abort during the work does not turn garbage into an abort-less unusable error either
  const garbage = new AbortController();
  const refused = prepareImage(Buffer.from('garbage garbage garbage'), { maxSide: 2048, signal: garbage.signal });
  garbage.abort(reason);
  await assert.rejects(refused, (err) => err === reason);
});

test('options are checked', async () => {
  const input = await solid(10, 10, '#000000').png().toBuffer();
  await assert.rejects(prepareImage(input, { maxSide: 0 }), RangeError);
  await assert.rejects(prepareImage(input, { maxSide: 2048, maxBytes: 0 }), RangeError);
});
