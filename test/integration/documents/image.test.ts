/**
 * Images through the real document pool against test/fixtures/documents/ground-truth.json:
 * EXIF orientation and date, OCR (with its CER) of a JPEG photo, a multi-page TIFF and a PNG
 * without density, a blank page, a decompression bomb, a truncated JPEG and a corrupt PNG.
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'fast-bmp';
import sharp from 'sharp';
import { assemblePages } from '../../../src/pipeline/assemble-pages.ts';
import type { DocumentResult, PageResult } from '../../../src/core/document.ts';
import { characterErrorRate } from '../../support/cer.ts';
import { assertPermanent, FIXTURES, testDocumentPool, webpSize, type TestPool } from '../../support/documents.ts';
import { bmp } from '../../unit/pipeline/support.ts';

interface GroundTruth {
  pageCount: number | null;
  pages: { source: string; text: string }[];
}
const truth = JSON.parse(await readFile(new URL('../../fixtures/documents/ground-truth.json', import.meta.url), 'utf8')) as Record<string, GroundTruth>;

function truthText(file: string, page: number): string {
  const text = truth[file]?.pages[page - 1]?.text;
  assert.ok(text !== undefined, `${file} page ${page} is in ground-truth.json`);
  return text;
}

const LOW_CONFIDENCE = 60;

let docs: TestPool;
let scratch: string;
beforeAll(async () => {
  docs = await testDocumentPool({ size: 2 });
  scratch = await mkdtemp(join(tmpdir(), 'spot-ingest-image-test-'));
});
afterAll(async () => {
  await docs.close();
  await rm(scratch, { recursive: true, force: true });
});

function read(path: string, mime: string, onPage?: (page: PageResult) => void): Promise<DocumentResult> {
  return docs.pool.read('image', path, mime, { signal: AbortSignal.timeout(60_000), ...(onPage ? { onPage } : {}) });
}

/** Asserts one OCR page's CER against the ground truth and returns it. */
function assertOcrPage(file: string, page: PageResult, bound: number): number {
  assert.equal(page.source, 'ocr', `${file} page ${page.page} source`);
  const cer = characterErrorRate(truthText(file, page.page), page.text);
  console.log(`${file} page ${page.page} CER ${cer.toFixed(4)}, confidence ${page.confidence}`);
  assert.ok(cer < bound, `${file} page ${page.page}: CER ${cer.toFixed(4)} ≥ ${bound} (text ${JSON.stringify(page.text)})`);
  assert.ok(page.confidence !== null && page.confidence > 70, `confidence ${page.confidence}`);
  return cer;
}

test('photo-exif-rotated.jpg: upright 1600×1000 after EXIF orientation 6, EXIF date, OCR of the upright text', async (t) => {
  const result = await read(FIXTURES + 'photo-exif-rotated.jpg', 'image/jpeg');
  assert.equal(result.width, 1600);
  assert.equal(result.height, 1000);
  // exif-reader builds EXIF dates (which carry no zone) with Date.UTC: the wall-clock time
  // 2026:11:20 09:30:00 comes out as that time in UTC, whatever the process's TZ.
  assert.equal(result.takenAt, '2026-11-20T09:30:00.000Z');
  assert.equal(result.pageCount, 1);
  assert.deepEqual(result.warnings, []);
  assert.equal(result.pages.length, 1);
  // A JPEG photo at a camera's 72 dpi (taken as 300): measured CER 0.026 (': ' read as '・', ',' as '.').
  assertOcrPage('photo-exif-rotated.jpg', result.pages[0]!, 0.05);
  const thumb = await webpSize(result.thumbnail);
  assert.deepEqual(thumb, { width: 256, height: 160 }, 'the thumbnail is upright too');

  const extraction = assemblePages(result, LOW_CONFIDENCE);
  assert.equal(extraction.textSource, 'ocr');
  assert.equal(extraction.takenAt, '2026-11-20T09:30:00.000Z');
  assert.equal(extraction.ocrConfidence, result.pages[0]!.confidence);
});

test('multipage.tiff: both pages OCRed, in order, each with its own text', async (t) => {
  const progress: number[] = [];
  const result = await read(FIXTURES + 'multipage.tiff', 'image/tiff', (p) => progress.push(p.page));
  assert.equal(result.pageCount, 2);
  assert.equal(result.width, 2480);
  assert.equal(result.height, 1000, 'the height of one page, not of the whole stack');
  assert.deepEqual(result.pages.map((p) => p.page), [1, 2]);
  assert.deepEqual(progress, [1, 2]);
  for (const page of result.pages) assertOcrPage('multipage.tiff', page, 0.02);
  // each page its own number (tesseract may drop a space between short words at the 26-px line
  // height pages are rescaled to: "page1of 2")
  assert.match(result.pages[0]!.text, /page\s*1\s*of\s*2/);
  assert.match(result.pages[1]!.text, /page\s*2\s*of\s*2/);
  assert.deepEqual(result.warnings, []);
  const thumb = await webpSize(result.thumbnail);
  assert.equal(Math.max(thumb.width, thumb.height), 256);
});

test('no-density.png: without pHYs the page is still read at 300 dpi (not the 70 dpi tesseract would guess)', async (t) => {
  const result = await read(FIXTURES + 'no-density.png', 'image/png');
  assert.equal(result.pageCount, 1);
  assert.equal(result.width, 2000);
  assert.equal(result.height, 700);
  assertOcrPage('no-density.png', result.pages[0]!, 0.02);
  assert.match(result.pages[0]!.text, /Action items: 3 open, 5 closed/);
});

test('blank-page.png: a blank page, no text, no OCR; BLANK_PAGES after assembly', async () => {
  const result = await read(FIXTURES + 'blank-page.png', 'image/png');
  assert.equal(result.pageCount, 1);
  assert.deepEqual(result.pages.map((p) => [p.page, p.source, p.text, p.confidence]), [[1, 'blank', '', null]]);
  assert.equal(result.steps.ocr, undefined, 'tesseract never ran');
  assert.deepEqual(result.warnings, []);
  await webpSize(result.thumbnail);
  const extraction = assemblePages(result, LOW_CONFIDENCE);
  assert.equal(extraction.textSource, 'none');
  assert.equal(extraction.text, '');
  assert.equal(extraction.ocrConfidence, null);
  assert.deepEqual(extraction.warnings, ['BLANK_PAGES: page 1 had nothing to read']);
});

test('bomb.png (IHDR 50000×50000) is refused from its header: IMAGE_TOO_LARGE, permanent', async () => {
  await assertPermanent(read(FIXTURES + 'bomb.png', 'image/png'), 'IMAGE_TOO_LARGE');
});

test('truncated.jpg: read best-effort with an IMAGE_TRUNCATED warning, a thumbnail and the EXIF data', async () => {
  const result = await read(FIXTURES + 'truncated.jpg', 'image/jpeg');
  assert.equal(result.warnings.length, 1);
  assert.match(result.warnings[0]!, /^IMAGE_TRUNCATED: VipsJpeg: premature end of JPEG image/);
  assert.equal(result.pageCount, 1);
  assert.equal(result.width, 1600);
  assert.equal(result.height, 1000);
  assert.equal(result.takenAt, '2026-11-20T09:30:00.000Z');
  const thumb = await webpSize(result.thumbnail);
  assert.deepEqual(thumb, { width: 256, height: 160 });
  // The first 40 % of the bytes hold part of the picture; whatever OCR finds there is kept.
  assert.equal(result.pages.length, 1);
  assert.ok(['ocr', 'blank'].includes(result.pages[0]!.source));
  const extraction = assemblePages(result, LOW_CONFIDENCE);
  assert.ok(extraction.warnings.some((w) => w.startsWith('IMAGE_TRUNCATED:')));
});

test('a PNG signature followed by garbage is a permanent IMAGE_CORRUPT', async () => {
  // Deterministic pseudo-random bytes (an LCG) so a failure can be reproduced.
  const garbage = Buffer.alloc(4096);
  let x = 0x2545f491;
  for (let i = 0; i < garbage.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    garbage[i] = x >>> 24;
  }
  const path = join(scratch, 'corrupt.png');
  await writeFile(path, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), garbage]));
  await assertPermanent(read(path, 'image/png'), 'IMAGE_CORRUPT');
});

test('a JPEG cut right after its header is a permanent IMAGE_CORRUPT (nothing to decode at all)', async () => {
  const whole = await readFile(FIXTURES + 'photo-exif-rotated.jpg');
  const path = join(scratch, 'header-only.jpg');
  await writeFile(path, whole.subarray(0, 64));
  await assertPermanent(read(path, 'image/jpeg'), 'IMAGE_CORRUPT');
});

test('BMP (which libvips cannot read) is decoded first: OCR and a thumbnail; a forged huge header is refused before decoding', async () => {
  const png = await sharp(FIXTURES + 'no-density.png').removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const bmpPath = join(scratch, 'scan.bmp');
  await writeFile(bmpPath, encode({ width: png.info.width, height: png.info.height, data: png.data, bitsPerPixel: 24, channels: 3, components: 3 }));
  const result = await docs.pool.read('image', bmpPath, 'image/bmp', { signal: AbortSignal.timeout(60_000) });
  assert.equal(result.pages[0]?.source, 'ocr');
  const cer = characterErrorRate(truthText('no-density.png', 1), result.pages[0]?.text ?? '');
  assert.ok(cer < 0.02, `CER ${cer.toFixed(4)}`);
  assert.deepEqual([result.width, result.height], [png.info.width, png.info.height]);
  await webpSize(result.thumbnail);

  const bombPath = join(scratch, 'bomb.bmp');
  await writeFile(bombPath, bmp(60_000, 60_000));
  await assertPermanent(docs.pool.read('image', bombPath, 'image/bmp', { signal: AbortSignal.timeout(10_000) }), 'IMAGE_TOO_LARGE');
});
