/**
 * Every fixture of test/fixtures/documents/ground-truth.json through the pipeline's own path:
 * detectType on the bytes, then extractContent with the real document pool (PDFs, images) or
 * without one (Office). Checks textSource, pageCount and the error class the ground truth gives,
 * and the text itself (exact for Office, whitespace-insensitive for text layers, CER for OCR).
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { isIngestError } from '../../../src/core/errors.ts';
import { PAGE_SEPARATOR } from '../../../src/pipeline/assemble-pages.ts';
import type { Extraction } from '../../../src/pipeline/build-document.ts';
import type { DocumentReader } from '../../../src/pipeline/document-reader.ts';
import { detectType } from '../../../src/pipeline/detect-type.ts';
import { extractContent } from '../../../src/pipeline/extract.ts';
import { characterErrorRate } from '../../support/cer.ts';
import { FIXTURES, noDocuments, testDocumentPool, type TestPool } from '../../support/documents.ts';

interface GroundTruth {
  kind: 'pdf' | 'image' | 'office' | 'broken';
  expectTextSource: string | null;
  pageCount: number | null;
  pages: { source: 'text-layer' | 'ocr' | 'blank'; text: string }[];
  expectError: 'permanent' | null;
  /** A readable-but-damaged or locked file: indexed with this warning instead of failing. */
  expectWarning?: string;
}
const truth = JSON.parse(await readFile(new URL('../../fixtures/documents/ground-truth.json', import.meta.url), 'utf8')) as Record<string, GroundTruth>;

/** The error code of each file the ground truth expects to fail (it only says "permanent"). */
const ERROR_CODES: Record<string, string> = {
  'bomb.png': 'IMAGE_TOO_LARGE',
  'corrupt.pdf': 'PDF_CORRUPT',
  'truncated.pdf': 'PDF_CORRUPT',
};

const squash = (s: string): string => s.replace(/\s+/gu, '');

let docs: TestPool;
beforeAll(async () => {
  docs = await testDocumentPool({ size: 2 });
});
afterAll(async () => {
  await docs.close();
});

async function extract(file: string, reader: DocumentReader = docs.pool): Promise<Extraction> {
  const path = FIXTURES + file;
  const type = await detectType(path, { fileName: file });
  return extractContent(path, type, { signal: AbortSignal.timeout(60_000), reader, lowConfidence: 60 });
}

function assertText(file: string, entry: GroundTruth, extraction: Extraction): void {
  const pages = entry.pages.filter((p) => p.source !== 'blank');
  if (entry.kind === 'office') {
    assert.equal(extraction.text, pages.map((p) => p.text).join('\n'), 'exactly what extract-office.ts writes');
    return;
  }
  if (pages.every((p) => p.source === 'text-layer')) {
    assert.equal(squash(extraction.text), squash(pages.map((p) => p.text).join('')));
    return;
  }
  // OCR or mixed: a CER over the whole document (pages in order, separated by a blank line).
  const cer = characterErrorRate(pages.map((p) => p.text).join(PAGE_SEPARATOR), extraction.text);
  console.log(`${file}: whole-document CER ${cer.toFixed(4)}, ocrConfidence ${extraction.ocrConfidence}`);
  assert.ok(cer < 0.05, `CER ${cer.toFixed(4)}: ${JSON.stringify(extraction.text)}`);
  assert.ok(extraction.ocrConfidence !== null && extraction.ocrConfidence > 70, `ocrConfidence ${extraction.ocrConfidence}`);
}

for (const [file, entry] of Object.entries(truth).sort(([a], [b]) => a.localeCompare(b))) {
  const warning = entry.expectWarning;
  if (warning !== undefined) {
    test(`${file}: ${entry.expectTextSource}, pageCount ${entry.pageCount}, with a ${warning} warning (not an error)`, async () => {
      const extraction = await extract(file);
      assert.equal(extraction.textSource, entry.expectTextSource);
      assert.equal(extraction.pageCount, entry.pageCount);
      assert.ok(extraction.warnings.some((w) => w.startsWith(`${warning}:`)), `warnings ${JSON.stringify(extraction.warnings)}`);
    });
  } else if (entry.expectError === 'permanent') {
    test(`${file}: fails with a permanent IngestError`, async () => {
      await assert.rejects(extract(file), (err: unknown) => {
        assert.ok(isIngestError(err), `an IngestError, got ${String(err)}`);
        assert.equal(err.retryable, false, `${err.code} is permanent`);
        assert.equal(err.code, ERROR_CODES[file] ?? '(add the expected code to ERROR_CODES)');
        return true;
      });
    });
  } else {
    test(`${file}: ${entry.expectTextSource}, pageCount ${entry.pageCount}`, async (t) => {
      const extraction = await extract(file, entry.kind === 'office' ? noDocuments : undefined);
      assert.equal(extraction.textSource, entry.expectTextSource);
      assert.equal(extraction.pageCount, entry.pageCount);
      assertText(file, entry, extraction);
      if (entry.pages.some((p) => p.source === 'blank')) {
        assert.ok(extraction.warnings.some((w) => w.startsWith('BLANK_PAGES:')), `warnings ${JSON.stringify(extraction.warnings)}`);
      } else {
        assert.deepEqual(extraction.warnings, []);
      }
      if (entry.kind !== 'office') assert.ok(extraction.thumbnail, 'a thumbnail');
    });
  }
}

test('the ground truth and the fixture directory list the same files', async () => {
  assert.deepEqual((await readdir(FIXTURES)).sort(), Object.keys(truth).sort());
});
