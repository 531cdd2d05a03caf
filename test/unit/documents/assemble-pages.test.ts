/**
 * assemblePages: the pool's per-page results as one Extraction (text, textSource, mean OCR
 * confidence weighted by characters, warnings for low-confidence, unread and blank pages).
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { assemblePages, PAGE_SEPARATOR } from '../../../src/pipeline/assemble-pages.ts';
import type { DocumentResult, PageResult, PageSource } from '../../../src/core/document.ts';

function page(n: number, source: PageSource, text: string, confidence: number | null = source === 'ocr' ? 90 : null): PageResult {
  return { page: n, source, text, confidence, ms: 1 };
}

function result(pages: PageResult[], extra: Partial<DocumentResult> = {}): DocumentResult {
  return { pageCount: pages.length, pages, warnings: [], thumbnail: null, width: null, height: null, takenAt: null, steps: {}, ...extra };
}

const LOW = 60;

test('pages are joined by a blank line, trimmed, empty pages left out', () => {
  assert.equal(PAGE_SEPARATOR, '\n\n');
  const out = assemblePages(result([page(1, 'text-layer', '  one\n'), page(2, 'blank', ''), page(3, 'text-layer', '\ntwo  '), page(4, 'text-layer', '   ')]), LOW);
  assert.equal(out.text, 'one\n\ntwo');
});

test('textSource: text-layer, ocr, mixed, none', () => {
  assert.equal(assemblePages(result([page(1, 'text-layer', 'a'), page(2, 'text-layer', 'b')]), LOW).textSource, 'text-layer');
  assert.equal(assemblePages(result([page(1, 'ocr', 'a'), page(2, 'ocr', 'b')]), LOW).textSource, 'ocr');
  assert.equal(assemblePages(result([page(1, 'text-layer', 'a'), page(2, 'ocr', 'b')]), LOW).textSource, 'mixed');
  assert.equal(assemblePages(result([page(1, 'blank', ''), page(2, 'blank', '')]), LOW).textSource, 'none');
  assert.equal(assemblePages(result([]), LOW).textSource, 'none');
});

test('a source only counts when its pages gave text', () => {
  // an OCR page that found nothing does not make a text-layer document "mixed"
  assert.equal(assemblePages(result([page(1, 'text-layer', 'a'), page(2, 'ocr', '  ', 10)]), LOW).textSource, 'text-layer');
  assert.equal(assemblePages(result([page(1, 'text-layer', ''), page(2, 'ocr', 'b')]), LOW).textSource, 'ocr');
  assert.equal(assemblePages(result([page(1, 'ocr', ' \n ', 0)]), LOW).textSource, 'none');
});

test('ocrConfidence is the mean of the OCR pages weighted by their non-space characters, to one decimal', () => {
  const out = assemblePages(result([
    page(1, 'ocr', 'abcde fghij', 90), // 10 characters
    page(2, 'text-layer', 'ignored text layer'),
    page(3, 'ocr', 'x'.repeat(15) + '\n' + 'y'.repeat(15), 50), // 30 characters
  ]), LOW);
  assert.equal(out.ocrConfidence, 60); // (10 × 90 + 30 × 50) / 40
  assert.equal(assemblePages(result([page(1, 'ocr', 'abc', 80), page(2, 'ocr', 'abcdef', 81)]), LOW).ocrConfidence, 80.7); // 80.666…
});

test('an OCR page without text still weighs 1; no OCR page ⇒ ocrConfidence null', () => {
  assert.equal(assemblePages(result([page(1, 'ocr', '', 0), page(2, 'ocr', 'abc', 80)]), LOW).ocrConfidence, 60);
  assert.equal(assemblePages(result([page(1, 'text-layer', 'abc'), page(2, 'blank', '')]), LOW).ocrConfidence, null);
});

test('OCR_LOW_CONFIDENCE lists the pages under the threshold (strictly) and their confidences', () => {
  const out = assemblePages(result([page(1, 'ocr', 'a', 45.5), page(2, 'ocr', 'b', 60), page(3, 'text-layer', 'c'), page(4, 'ocr', 'd', 12)]), LOW);
  assert.deepEqual(out.warnings, ['OCR_LOW_CONFIDENCE: pages 1, 4 read with mean confidence below 60 (45.5, 12); the text may be wrong']);
  const one = assemblePages(result([page(1, 'ocr', 'a', 90), page(2, 'ocr', 'b', 59.9)]), LOW);
  assert.deepEqual(one.warnings, ['OCR_LOW_CONFIDENCE: page 2 read with mean confidence below 60 (59.9); the text may be wrong']);
  assert.deepEqual(assemblePages(result([page(1, 'ocr', 'a', 60)]), LOW).warnings, []);
});

test('BLANK_PAGES lists the blank pages', () => {
  assert.deepEqual(assemblePages(result([page(1, 'blank', '')]), LOW).warnings, ['BLANK_PAGES: page 1 had nothing to read']);
  assert.deepEqual(
    assemblePages(result([page(1, 'text-layer', 'a'), page(2, 'blank', ''), page(3, 'blank', '')]), LOW).warnings,
    ['BLANK_PAGES: pages 2, 3 had nothing to read'],
  );
});

test('failed pages add no text, no confidence and no warning of their own; the worker\'s warnings come first', () => {
  const input = result(
    [page(1, 'failed', ''), page(2, 'ocr', 'abc', 40), page(3, 'blank', ''), page(4, 'text-layer', 'def')],
    { warnings: ['PAGE_FAILED: page 1: boom'] },
  );
  const out = assemblePages(input, LOW);
  assert.equal(out.text, 'abc\n\ndef');
  assert.equal(out.textSource, 'mixed');
  assert.equal(out.ocrConfidence, 40);
  assert.deepEqual(out.warnings, [
    'PAGE_FAILED: page 1: boom',
    'OCR_LOW_CONFIDENCE: page 2 read with mean confidence below 60 (40); the text may be wrong',
    'BLANK_PAGES: page 3 had nothing to read',
  ]);
  assert.deepEqual(input.warnings, ['PAGE_FAILED: page 1: boom'], 'the input is not changed');
  assert.equal(assemblePages(result([page(1, 'failed', '')]), LOW).textSource, 'none');
});

test('pageCount, thumbnail, size, date and steps are carried over; encoding is null', () => {
  const thumbnail = new Uint8Array([1, 2, 3]);
  const out = assemblePages(result([page(1, 'text-layer', 'a')], {
    pageCount: 100, thumbnail, width: 1600, height: 1000, takenAt: '2026-11-20T09:30:00.000Z', steps: { parse: 3, ocr: 7 },
  }), LOW);
  assert.equal(out.pageCount, 100, 'the file\'s page count, not the number of pages read');
  assert.equal(out.thumbnail, thumbnail);
  assert.equal(out.width, 1600);
  assert.equal(out.height, 1000);
  assert.equal(out.takenAt, '2026-11-20T09:30:00.000Z');
  assert.deepEqual(out.substeps, { parse: 3, ocr: 7 });
  assert.equal(out.encoding, null);
  assert.equal(assemblePages(result([], { pageCount: null }), LOW).pageCount, null);
});

test('OCR_NO_TEXT names the OCR pages that had ink but gave no text (a page read as empty with high confidence is not silent)', () => {
  const out = assemblePages(result([page(1, 'ocr', 'a', 90), page(2, 'ocr', '  \n', 95), page(3, 'blank', ''), page(4, 'ocr', '', 0)]), LOW);
  assert.ok(out.warnings.includes('OCR_NO_TEXT: pages 2, 4 had ink but OCR read no text from it'), JSON.stringify(out.warnings));
  assert.ok(out.warnings.includes('BLANK_PAGES: page 3 had nothing to read'));
  assert.ok(!assemblePages(result([page(1, 'ocr', 'a', 90)]), LOW).warnings.some((w) => w.startsWith('OCR_NO_TEXT')));
});
