/**
 * prepareForOcr and thumbnail (src/pool/preprocess.ts) on the fixtures: the density written into
 * the PNG tesseract gets (it guesses 70 dpi without one), EXIF orientation, the blank-page check,
 * down-scaling of scans above the target resolution.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { prepareForOcr, thumbnail, TRUSTED_DENSITY } from '../../../src/pool/preprocess.ts';
import { FIXTURES } from '../../support/documents.ts';

test('a PNG without pHYs (libvips says 72 dpi) gets the target density, at full size', async () => {
  const input = await sharp(FIXTURES + 'no-density.png').metadata();
  assert.equal(input.density, 72, 'libvips\'s default for a PNG without pHYs');
  const ready = await prepareForOcr(sharp(FIXTURES + 'no-density.png'), { targetDpi: 300, density: input.density });
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

test('a 600 dpi scan is reduced to the 300 dpi target', async () => {
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
