/**
 * processPdf (src/pool/pdf-task.ts) in this thread with a stand-in for the OCR engine: pages go
 * through inTwoStages (the next page prepared while one is OCRed), yet every page is OCRed one at a
 * time and reported in page order, text-layer pages among them, and a page whose OCR fails is that
 * page's PAGE_FAILED only.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PDFDocument } from 'pdf-lib';
import type { PageResult } from '../../../src/core/document.ts';
import type { PageOcr, PageReading } from '../../../src/pool/page-ocr.ts';
import { processPdf } from '../../../src/pool/pdf-task.ts';
import { FIXTURES } from '../../support/documents.ts';
import { tempDir } from '../pipeline/support.ts';

/** scanned-ja.pdf's image-only page `scans` times, with born-digital-ja.pdf's first (text-layer) page after the first scan. */
async function scansWithTextPage(scans: number): Promise<Uint8Array> {
  const scanned = await PDFDocument.load(await readFile(join(FIXTURES, 'scanned-ja.pdf')));
  const digital = await PDFDocument.load(await readFile(join(FIXTURES, 'born-digital-ja.pdf')));
  const out = await PDFDocument.create();
  for (let i = 0; i < scans; i++) {
    out.addPage((await out.copyPages(scanned, [0]))[0]!);
    if (i === 0) out.addPage((await out.copyPages(digital, [0]))[0]!);
  }
  return out.save();
}

test('scanned pages are OCRed one at a time and reported in page order; a failed OCR is that page\'s PAGE_FAILED only', async () => {
  const files = await tempDir();
  try {
    const path = await files.write('scans.pdf', await scansWithTextPage(3));
    let calls = 0;
    let running = 0;
    let most = 0;
    const ocr = {
      async read(): Promise<PageReading> {
        const call = ++calls;
        running++;
        most = Math.max(most, running);
        try {
          await new Promise((resolve) => setTimeout(resolve, 150)); // long enough for the next page to be prepared meanwhile
          if (call === 2) throw new Error('engine fell over');
          return { text: `reading ${call}`, confidence: 90, rotated: 0, model: 'horizontal' };
        } finally {
          running--;
        }
      },
    } as unknown as PageOcr;
    const reported: PageResult[] = [];
    const result = await processPdf(
      { path, mime: 'application/pdf', maxPages: 50, minTextChars: 20, ocrDpi: 300, thumbnailSize: 256, ocr: true },
      ocr, (page) => reported.push(page),
    );
    assert.equal(calls, 3);
    assert.equal(most, 1, 'one OCR at a time');
    assert.deepEqual(result.pages.map((p) => [p.page, p.source]), [[1, 'ocr'], [2, 'text-layer'], [3, 'failed'], [4, 'ocr']]);
    assert.equal(result.pages[0]!.text, 'reading 1');
    assert.ok(result.pages[1]!.text.length > 20, 'page 2 from its text layer');
    assert.equal(result.pages[3]!.text, 'reading 3');
    assert.deepEqual(reported.map((p) => p.page), [1, 2, 3, 4], 'progress in page order');
    assert.deepEqual(result.warnings, ['PAGE_FAILED: page 3: engine fell over']);
    assert.ok(result.thumbnail !== null && result.thumbnail.length > 0, 'page 1 still gives the thumbnail');
    assert.equal(result.pageCount, 4);
  } finally {
    await files.cleanup();
  }
});
