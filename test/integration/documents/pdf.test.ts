/**
 * PDFs through the real document pool (worker threads, pdf.js, @napi-rs/canvas, sharp,
 * tesseract.js jpn+eng) against test/fixtures/documents/ground-truth.json: the text layer, the
 * predefined-CMap path, OCR of scanned pages and its CER, mixed documents, the page limit,
 * encryption, corrupt files, progress, OCR switched off, and aborting a running OCR task.
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { assemblePages, PAGE_SEPARATOR } from '../../../src/pipeline/assemble-pages.ts';
import type { DocumentResult, PageResult } from '../../../src/core/document.ts';
import { characterErrorRate } from '../../support/cer.ts';
import { assertPermanent, FIXTURES, testDocumentPool, webpSize, type TestPool } from '../../support/documents.ts';

interface GroundTruth {
  kind: string;
  expectTextSource: string | null;
  pageCount: number | null;
  pages: { source: string; text: string }[];
  expectError: string | null;
}
const truth = JSON.parse(await readFile(new URL('../../fixtures/documents/ground-truth.json', import.meta.url), 'utf8')) as Record<string, GroundTruth>;

function expected(file: string): GroundTruth {
  const entry = truth[file];
  assert.ok(entry, `${file} is in ground-truth.json`);
  return entry;
}

const squash = (s: string): string => s.replace(/\s+/gu, '');
const LOW_CONFIDENCE = 60;
const PDF = 'application/pdf';

let docs: TestPool;
beforeAll(async () => {
  docs = await testDocumentPool({ size: 2 });
});
afterAll(async () => {
  await docs.close();
});

function read(file: string, options: { signal?: AbortSignal; onPage?: (page: PageResult) => void; pool?: TestPool } = {}): Promise<DocumentResult> {
  const pool = options.pool ?? docs;
  return pool.pool.read('pdf', FIXTURES + file, PDF, {
    signal: options.signal ?? AbortSignal.timeout(60_000),
    ...(options.onPage ? { onPage: options.onPage } : {}),
  });
}

/** Text-layer pages equal the ground truth, whitespace aside. */
function assertTextLayer(file: string, result: DocumentResult): void {
  const truthPages = expected(file).pages;
  assert.equal(result.pages.length, truthPages.length);
  result.pages.forEach((page, i) => {
    assert.equal(page.page, i + 1);
    assert.equal(page.source, 'text-layer', `page ${i + 1} source`);
    assert.equal(page.confidence, null);
    assert.equal(squash(page.text), squash(truthPages[i]!.text), `page ${i + 1} text`);
  });
}

async function assertWebpThumbnail(thumbnail: Uint8Array | null, longSide: number): Promise<{ width: number; height: number }> {
  const size = await webpSize(thumbnail);
  assert.equal(Math.max(size.width, size.height), longSide);
  return size;
}

test('born-digital-ja.pdf: the text layer of both pages, no OCR, an A4 portrait WebP thumbnail', async () => {
  const result = await read('born-digital-ja.pdf');
  assert.equal(result.pageCount, 2);
  assertTextLayer('born-digital-ja.pdf', result);
  assert.equal(result.pages.some((p) => p.source === 'ocr'), false);
  assert.equal(result.steps.ocr, undefined, 'no OCR step');
  assert.deepEqual(result.warnings, []);
  assert.equal(result.takenAt, null);
  // width/height: page 1 at the OCR resolution (A4 at 300 dpi)
  assert.equal(result.width, 2480);
  assert.equal(result.height, 3508);
  const thumb = await assertWebpThumbnail(result.thumbnail, 256);
  assert.equal(thumb.height, 256, 'portrait: the long side is the height');
  assert.ok(thumb.width > 170 && thumb.width < 190, `A4 aspect, width ${thumb.width}`);

  const extraction = assemblePages(result, LOW_CONFIDENCE);
  assert.equal(extraction.textSource, 'text-layer');
  assert.equal(extraction.ocrConfidence, null);
  assert.equal(extraction.pageCount, 2);
  assert.deepEqual(extraction.warnings, []);
});

test('cmap-ja.pdf: text of a non-embedded CID font with a predefined CMap (the cmaps path works)', async () => {
  const result = await read('cmap-ja.pdf');
  assert.equal(result.pageCount, 1);
  assertTextLayer('cmap-ja.pdf', result);
  assert.match(result.pages[0]!.text, /東京都千代田区/);
});

test('scanned-ja.pdf: an image-only page is OCRed (jpn+eng) with a CER under 1 %', async (t) => {
  const result = await read('scanned-ja.pdf');
  assert.equal(result.pageCount, 1);
  const page = result.pages[0]!;
  assert.equal(page.source, 'ocr');
  const cer = characterErrorRate(expected('scanned-ja.pdf').pages[0]!.text, page.text);
  console.log(`scanned-ja.pdf CER ${cer.toFixed(4)}, confidence ${page.confidence}`);
  assert.ok(cer < 0.01, `CER ${cer.toFixed(4)} (text ${JSON.stringify(page.text)})`);
  assert.ok(page.confidence !== null && page.confidence > 70, `confidence ${page.confidence}`);
  assert.doesNotMatch(page.text, /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}] [\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u, 'no spaces left between Japanese characters');
  assert.ok((result.steps.ocr ?? 0) > 0, 'an OCR step was timed');
  await assertWebpThumbnail(result.thumbnail, 256);
  assert.equal(assemblePages(result, LOW_CONFIDENCE).textSource, 'ocr');
});

test('mixed.pdf: pages 1 and 3 from the text layer, page 2 OCRed; progress once per page, in order; textSource mixed', async (t) => {
  const progress: PageResult[] = [];
  const result = await read('mixed.pdf', { onPage: (p) => progress.push(p) });
  const truthPages = expected('mixed.pdf').pages;
  assert.equal(result.pageCount, 3);
  assert.deepEqual(result.pages.map((p) => p.source), ['text-layer', 'ocr', 'text-layer']);
  assert.equal(squash(result.pages[0]!.text), squash(truthPages[0]!.text));
  assert.equal(squash(result.pages[2]!.text), squash(truthPages[2]!.text));
  const scan = result.pages[1]!;
  const cer = characterErrorRate(truthPages[1]!.text, scan.text);
  console.log(`mixed.pdf page 2 CER ${cer.toFixed(4)}, confidence ${scan.confidence}`);
  assert.ok(cer < 0.02, `CER ${cer.toFixed(4)} (text ${JSON.stringify(scan.text)})`);
  assert.ok(scan.confidence !== null && scan.confidence > 70);

  assert.deepEqual(progress.map((p) => p.page), [1, 2, 3], 'onPage once per page, in order');
  assert.deepEqual(progress, result.pages, 'progress carries the same page results');

  const extraction = assemblePages(result, LOW_CONFIDENCE);
  assert.equal(extraction.textSource, 'mixed');
  assert.equal(extraction.pageCount, 3);
  assert.equal(extraction.ocrConfidence, scan.confidence, 'the only OCR page sets the mean');
  assert.equal(extraction.text.split(PAGE_SEPARATOR).length, 3);
  assert.deepEqual(extraction.warnings, []);
});

test('text-100-pages.pdf: 100 text-layer pages without OCR; progress 1..100', async () => {
  const progress: number[] = [];
  const result = await read('text-100-pages.pdf', { onPage: (p) => progress.push(p.page) });
  assert.equal(result.pageCount, 100);
  assertTextLayer('text-100-pages.pdf', result);
  assert.equal(result.steps.ocr, undefined);
  assert.deepEqual(result.warnings, []);
  assert.deepEqual(progress, Array.from({ length: 100 }, (_, i) => i + 1));
});

test('text-100-pages.pdf with maxPages 10: 10 pages read, a PAGE_LIMIT warning, pageCount still 100', async () => {
  const limited = await testDocumentPool({ size: 1, task: { maxPages: 10 } });
  try {
    const result = await read('text-100-pages.pdf', { pool: limited });
    assert.equal(result.pageCount, 100);
    assert.deepEqual(result.pages.map((p) => p.page), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.ok(result.pages.every((p) => p.source === 'text-layer'));
    assert.deepEqual(result.warnings, ['PAGE_LIMIT: 100 pages, only the first 10 read']);
    const extraction = assemblePages(result, LOW_CONFIDENCE);
    assert.equal(extraction.pageCount, 100);
    assert.ok(extraction.warnings.some((w) => w.startsWith('PAGE_LIMIT:')));
  } finally {
    await limited.close();
  }
});

test('encrypted-empty-user.pdf (AES-256, empty user password) reads like born-digital-ja.pdf', async () => {
  const result = await read('encrypted-empty-user.pdf');
  assert.equal(result.pageCount, 2);
  assertTextLayer('encrypted-empty-user.pdf', result);
  assert.deepEqual(result.warnings, []);
  await assertWebpThumbnail(result.thumbnail, 256);
});

test('encrypted-user-password.pdf: no pages, pageCount null, a PDF_ENCRYPTED warning (not an error)', async () => {
  const result = await read('encrypted-user-password.pdf');
  assert.equal(result.pageCount, null);
  assert.deepEqual(result.pages, []);
  assert.equal(result.thumbnail, null);
  assert.equal(result.warnings.length, 1);
  assert.match(result.warnings[0]!, /^PDF_ENCRYPTED: /);
  const extraction = assemblePages(result, LOW_CONFIDENCE);
  assert.equal(extraction.textSource, 'none');
  assert.equal(extraction.text, '');
  assert.equal(extraction.pageCount, null);
});

test('truncated.pdf and corrupt.pdf reject with a permanent PDF_CORRUPT', async () => {
  await assertPermanent(read('truncated.pdf'), 'PDF_CORRUPT');
  await assertPermanent(read('corrupt.pdf'), 'PDF_CORRUPT');
});

test('with task.ocr false a scanned page is not OCRed: source blank, no text (BLANK_PAGES after assembly)', async () => {
  const noOcr = await testDocumentPool({ size: 1, task: { ocr: false } });
  try {
    const scanned = await read('scanned-ja.pdf', { pool: noOcr });
    assert.equal(scanned.pageCount, 1);
    assert.deepEqual(scanned.pages.map((p) => [p.source, p.text, p.confidence]), [['blank', '', null]]);
    assert.equal(scanned.steps.ocr, undefined);
    await assertWebpThumbnail(scanned.thumbnail, 256); // still rendered for the thumbnail
    const extraction = assemblePages(scanned, LOW_CONFIDENCE);
    assert.equal(extraction.textSource, 'none');
    assert.deepEqual(extraction.warnings, ['BLANK_PAGES: page 1 had nothing to read']);

    const mixed = await read('mixed.pdf', { pool: noOcr });
    assert.deepEqual(mixed.pages.map((p) => p.source), ['text-layer', 'blank', 'text-layer']);
    assert.equal(assemblePages(mixed, LOW_CONFIDENCE).textSource, 'text-layer');
  } finally {
    await noOcr.close();
  }
});

test('aborting a running OCR task rejects with the abort reason at once; the pool keeps working', async () => {
  const controller = new AbortController();
  const reason = new Error('test abort');
  const crashedBefore = docs.pool.pool.counters.crashed;
  let progressed = 0;
  const reading = read('scanned-ja.pdf', {
    signal: controller.signal,
    onPage: () => {
      progressed++;
      controller.abort(reason);
    },
  });
  const timer = setTimeout(() => controller.abort(reason), 100);
  try {
    await assert.rejects(reading, (err: unknown) => err === reason);
  } finally {
    clearTimeout(timer);
  }
  assert.equal(progressed, 0, 'aborted mid-page, before the OCR finished');

  const after = await read('born-digital-ja.pdf');
  assertTextLayer('born-digital-ja.pdf', after);
  assert.equal(docs.pool.pool.load.busy, 0);
  assert.equal(docs.pool.pool.counters.crashed, crashedBefore, 'the aborted worker was ended by the pool, not counted as a crash');
});

test('an already aborted signal rejects without running the task', async () => {
  const reason = new Error('already aborted');
  await assert.rejects(read('scanned-ja.pdf', { signal: AbortSignal.abort(reason) }), (err: unknown) => err === reason);
});

test('resume: pages from a checkpoint are taken as they are (no OCR again), the rest is read; page 1 still gets its thumbnail', async () => {
  const earlier: PageResult = { page: 2, source: 'ocr', text: '前回読んだページ', confidence: 77, ms: 1234 };
  const progress: number[] = [];
  const result = await docs.pool.read('pdf', FIXTURES + 'mixed.pdf', 'application/pdf', {
    signal: AbortSignal.timeout(60_000), resume: [earlier], onPage: (p) => progress.push(p.page),
  });
  assert.deepEqual(result.pages.map((p) => p.source), ['text-layer', 'ocr', 'text-layer']);
  assert.deepEqual(result.pages[1], { ...earlier, resumed: true });
  assert.equal(result.steps.ocr, undefined, 'the only scanned page came from the checkpoint');
  assert.deepEqual(progress, [1, 3], 'progress is reported for the pages read now');

  const scanned = await docs.pool.read('pdf', FIXTURES + 'scanned-ja.pdf', 'application/pdf', {
    signal: AbortSignal.timeout(60_000), resume: [{ ...earlier, page: 1 }],
  });
  assert.equal(scanned.pages[0]?.text, '前回読んだページ');
  assert.equal(scanned.steps.ocr, undefined);
  assert.ok(scanned.thumbnail && scanned.thumbnail.length > 0, 'page 1 from a checkpoint still has its thumbnail');
});
