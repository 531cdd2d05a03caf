/**
 * prepareForOcr and thumbnail (src/pool/preprocess.ts) on the fixtures: the density written into
 * the PNG tesseract gets (it guesses 70 dpi without one), EXIF orientation, the blank-page check,
 * down-scaling of scans above the target resolution.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { LINE_HEIGHT, MAX_OCR_PIXELS, prepareForOcr, thumbnail, TRUSTED_DENSITY } from '../../../src/pool/preprocess.ts';
import { FIXTURES } from '../../support/documents.ts';

test('a PNG without pHYs (libvips says 72 dpi) gets the target density, at full size (rescaling by text size off)', async () => {
  const input = await sharp(FIXTURES + 'no-density.png').metadata();
  assert.equal(input.density, 72, 'libvips\'s default for a PNG without pHYs');
  const ready = await prepareForOcr(sharp(FIXTURES + 'no-density.png'), { targetDpi: 300, density: input.density, lineHeight: 0 });
  assert.ok(ready.png);
  const out = await sharp(ready.png).metadata();
  assert.equal(out.format, 'png');
  assert.equal(out.density, 300);
  assert.equal(out.width, 2000);
  assert.equal(out.height, 700);
  assert.ok(72 < TRUSTED_DENSITY);
});

// BUG (src/pool/preprocess.ts): OcrReady.png is documented as a greyscale PNG, but a 1-channel raw
// buffer fed back into sharp is written as 3-channel sRGB (sharp 0.35.5 / libvips 8.18.7), so
// tesseract gets (and decodes) three identical channels: twice the PNG bytes for nothing.
// `.toColourspace('b-w')` before `.png()` gives a 1-channel PNG.
test('the PNG handed to tesseract is single-channel greyscale, as OcrReady.png documents', async () => {
  const ready = await prepareForOcr(sharp(FIXTURES + 'no-density.png'), { targetDpi: 300, density: 72 });
  assert.ok(ready.png);
  const out = await sharp(ready.png).metadata();
  assert.equal(out.channels, 1, `channels ${out.channels}, space ${out.space}`);
  assert.equal(out.space, 'b-w');
});

test('a photo is turned upright by its EXIF orientation before OCR, and so is its thumbnail', async () => {
  const ready = await prepareForOcr(sharp(FIXTURES + 'photo-exif-rotated.jpg'), { targetDpi: 300, density: 72 });
  assert.deepEqual([ready.width, ready.height], [1600, 1000]);
  const thumb = await sharp(await thumbnail(sharp(FIXTURES + 'photo-exif-rotated.jpg'), 256)).metadata();
  assert.deepEqual([thumb.format, thumb.width, thumb.height], ['webp', 256, 160]);
});

test('a blank page gives no PNG (nothing for tesseract to do)', async () => {
  const ready = await prepareForOcr(sharp(FIXTURES + 'blank-page.png'), { targetDpi: 300, density: 300 });
  assert.equal(ready.png, null);
  assert.equal(ready.ink, 0);
  assert.deepEqual([ready.width, ready.height], [2480, 3508]);
});

test('text is rescaled so that its lines are LINE_HEIGHT px tall, and the density written follows', async () => {
  const ready = await prepareForOcr(sharp(FIXTURES + 'no-density.png'), { targetDpi: 300, density: 72 });
  assert.ok(ready.layout?.lineHeight, 'a line height was measured');
  const scale = LINE_HEIGHT / ready.layout.lineHeight;
  assert.ok(ready.steps.includes(`scale ${scale.toFixed(2)}`), ready.steps.join(', '));
  const out = await sharp(ready.png!).metadata();
  assert.equal(out.width, Math.round(2000 * scale));
  assert.equal(out.density, Math.round(300 * scale));
  // and larger print is reduced more: the same page at twice the size gives the same output size
  const double = await sharp(FIXTURES + 'no-density.png').resize(4000).png().toBuffer();
  const big = await prepareForOcr(sharp(double), { targetDpi: 300, density: 300 });
  const bigOut = await sharp(big.png!).metadata();
  assert.ok(Math.abs(bigOut.width! - out.width!) / out.width! < 0.1, `${bigOut.width} vs ${out.width}`);
});

test('a page without measurable lines is only reduced to the target resolution: a 600 dpi scan to 300 dpi', async () => {
  const scan = sharp({ create: { width: 1200, height: 800, channels: 3, background: '#ffffff' } })
    .composite([{ input: { create: { width: 400, height: 100, channels: 3, background: '#000000' } }, left: 100, top: 100 }]);
  const ready = await prepareForOcr(sharp(await scan.png().toBuffer()), { targetDpi: 300, density: 600 });
  assert.ok(ready.png);
  const out = await sharp(ready.png).metadata();
  assert.deepEqual([out.width, out.height, out.density], [600, 400, 300]);
});

test('a thumbnail is never enlarged', async () => {
  const small = await sharp({ create: { width: 100, height: 50, channels: 3, background: '#808080' } }).png().toBuffer();
  const meta = await sharp(await thumbnail(sharp(small), 256)).metadata();
  assert.deepEqual([meta.width, meta.height], [100, 50]);
});

test('contrast: a faint scan (grey ink on grey paper) is stretched to black on white; a sparse clean page is left as it is', async () => {
  const width = 1200;
  const height = 1600;
  const faint = Buffer.alloc(width * height, 200);
  for (let y = 400; y < 450; y++) faint.fill(110, y * width + 100, y * width + 1100); // one "line" of grey ink
  const ready = await prepareForOcr(sharp(faint, { raw: { width, height, channels: 1 } }), { targetDpi: 300, density: 300 });
  const stats = await sharp(ready.png!).stats();
  assert.ok(stats.channels[0]!.min <= 10, `ink stretched to black (min ${stats.channels[0]!.min})`);
  assert.ok(stats.channels[0]!.max >= 245, `paper stretched to white (max ${stats.channels[0]!.max})`);

  const clean = Buffer.alloc(width * height, 255);
  for (let y = 400; y < 420; y++) clean.fill(0, y * width + 100, y * width + 700); // 0.6 % ink: the 1st percentile is paper
  const kept = await prepareForOcr(sharp(clean, { raw: { width, height, channels: 1 } }), { targetDpi: 300, density: 300 });
  const out = await sharp(kept.png!).extractChannel(0).raw().toBuffer();
  assert.equal(out[410 * width + 200], 0, 'ink stays black');
  assert.equal(out[100 * width + 200], 255, 'paper stays white');
});

test('a raster over MAX_OCR_PIXELS is reduced to it before its greyscale copy is made', async () => {
  // 9000×7000 = 63 Mpx with one dark bar, so the page is not blank and gets a PNG
  const page = await sharp({ create: { width: 9000, height: 7000, channels: 3, background: '#ffffff' } })
    .composite([{ input: { create: { width: 4000, height: 400, channels: 3, background: '#000000' } }, left: 500, top: 500 }])
    .png({ compressionLevel: 1 }).toBuffer();
  const ready = await prepareForOcr(sharp(page), { targetDpi: 300 });
  assert.ok(ready.png, 'not blank');
  assert.ok(ready.width * ready.height <= MAX_OCR_PIXELS, `${ready.width}×${ready.height}`);
  assert.ok(Math.abs(ready.width / ready.height - 9000 / 7000) < 0.01, 'the aspect ratio is kept');
  const out = await sharp(ready.png).metadata();
  assert.equal(out.width, ready.width);
});

test('faded pages (ink 150 on paper 205, ink 95 on paper 140) are not blank: ink is measured against the paper, not against mid-grey', async () => {
  const width = 1200;
  const height = 800;
  for (const [ink, paper] of [[150, 205], [95, 140]] as const) {
    const faded = Buffer.alloc(width * height, paper);
    for (let y = 300; y < 330; y++) faded.fill(ink, y * width + 100, y * width + 1000); // a "line" of faded ink
    const ready = await prepareForOcr(sharp(faded, { raw: { width, height, channels: 1 } }), { targetDpi: 300 });
    assert.notEqual(ready.png, null, `ink ${ink} on paper ${paper}: handed to OCR`);
    assert.ok(ready.ink > 0.02, `ink share ${ready.ink}`);
  }
  // paper with light noise only (JPEG-like ±20 around 230) stays blank
  const noisy = Buffer.alloc(width * height);
  for (let i = 0; i < noisy.length; i++) noisy[i] = 210 + ((i * 7919) % 41);
  assert.equal((await prepareForOcr(sharp(noisy, { raw: { width, height, channels: 1 } }), { targetDpi: 300 })).png, null);
});
