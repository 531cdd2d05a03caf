/**
 * A PDF in the document worker: the text layer of each page first; a page with too little text
 * is rendered (pdf.js on @napi-rs/canvas) and OCRed; blank pages are skipped; pages beyond the
 * limit are skipped with a warning; page 1 becomes the thumbnail.
 * A PDF that opens with the empty user password is read as any other; one that needs a password
 * is indexed by name only, with a warning; one pdf.js cannot parse is a permanent PDF_CORRUPT.
 */
import { readFile } from 'node:fs/promises';
import { getDocument, type PDFDocumentProxy, type PDFPageProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { TextItem } from 'pdfjs-dist/types/src/display/api.js';
import { permanent } from '../core/errors.ts';
import { StepTimer } from '../observability/step-timer.ts';
import type { DocumentTask } from './document-task.ts';
import type { DocumentResult, PageResult } from '../core/document.ts';
import type { PageOcr } from './page-ocr.ts';
import { pdfAssets } from './pdf-assets.ts';
import { fromRaw, prepareForOcr, thumbnail, type RawImage } from './preprocess.ts';
import { inTwoStages, type SecondStage } from './two-stages.ts';
import { pageRecorder } from './page-recorder.ts';

/** The largest raster a page is rendered to (≈ A3 at 300 dpi); bigger pages get a lower resolution. */
const MAX_RENDER_PIXELS = 35_000_000;

interface CanvasAndContext {
  canvas: { width: number; height: number };
  context: { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
}
interface CanvasFactory {
  create(width: number, height: number): CanvasAndContext;
  destroy(item: CanvasAndContext): void;
}

export async function processPdf(task: DocumentTask, ocr: PageOcr, progress: (page: PageResult) => void): Promise<DocumentResult> {
  const timer = new StepTimer();
  const warnings: string[] = [];
  const data = new Uint8Array(await readFile(task.path));
  const loading = getDocument({
    data, ...pdfAssets, cMapPacked: true, useSystemFonts: false, disableFontFace: true, verbosity: 0,
  });
  let doc: PDFDocumentProxy;
  try {
    doc = await timer.time('parse', () => loading.promise);
  } catch (err) {
    await loading.destroy().catch(() => undefined);
    const name = (err as { name?: string }).name;
    if (name === 'PasswordException') {
      return {
        pageCount: null, pages: [], thumbnail: null, width: null, height: null, takenAt: null, steps: timer.steps,
        warnings: ['PDF_ENCRYPTED: the PDF needs a password to open; indexed by name and path only'],
      };
    }
    throw permanent('PDF_CORRUPT', `the PDF cannot be read: ${(err as Error).message ?? String(err)}`);
  }
  try {
    const pageCount = doc.numPages;
    const readable = Math.min(pageCount, task.maxPages);
    if (pageCount > readable) warnings.push(`PAGE_LIMIT: ${pageCount} pages, only the first ${readable} read`);
    const factory = doc.canvasFactory as CanvasFactory;
    const pages: PageResult[] = [];
    const resumed = new Map((task.resume ?? []).filter((p) => p.page <= readable).map((p) => [p.page, p]));
    let thumb: Buffer | null = null;
    let size = null as { width: number; height: number } | null; // set by page 1 (inside a callback: no narrowing)
    const finish = pageRecorder(pages, progress);
    // A scanned page is read and rendered while the page before it is OCRed (the OCR engine has
    // its own thread); pages are OCRed one at a time and recorded in order (two-stages.ts).
    await inTwoStages(readable, async (n): Promise<SecondStage> => {
      const started = performance.now();
      const done = resumed.get(n);
      if (done && !(n === 1 && task.thumbnailSize > 0)) return () => void pages.push({ ...done, resumed: true });
      let page: PDFPageProxy | undefined;
      try {
        page = await timer.time('parse', () => doc.getPage(n));
        if (n === 1) {
          const [, , w, h] = page.view;
          size = { width: Math.round((w ?? 0) * (task.ocrDpi / 72)), height: Math.round((h ?? 0) * (task.ocrDpi / 72)) };
        }
        const p = page;
        if (done) {
          // page 1 from a checkpoint: only its thumbnail is made again
          const source = await timer.time('render', () => render(p, factory, thumbnailDpi(p, task.thumbnailSize)));
          thumb = await timer.time('thumbnail', () => thumbnail(fromRaw(source), task.thumbnailSize));
          return () => void pages.push({ ...done, resumed: true });
        }
        const text = await timer.time('text-layer', () => pageText(p));
        let raster: RawImage | null = null;
        let second: SecondStage = () => finish({ page: n, source: text.trim() ? 'text-layer' : 'blank', text: text.trim(), confidence: null, ms: 0 }, started);
        if (task.ocr && visibleChars(text) < task.minTextChars) {
          raster = await timer.time('render', () => render(p, factory, task.ocrDpi));
          const r = raster;
          const ready = await timer.time('preprocess', () => prepareForOcr(fromRaw(r), { targetDpi: task.ocrDpi, density: task.ocrDpi }));
          const png = ready.png;
          if (png) {
            second = async () => {
              let result: PageResult;
              try {
                const out = await timer.time('ocr', () => ocr.read(png, ready.layout));
                // A scanned page may still carry a few characters (a stamp, a page number) in its text layer.
                const merged = text.trim() && !out.text.includes(text.trim()) ? `${text.trim()}\n${out.text}` : out.text;
                result = { page: n, source: 'ocr', text: merged, confidence: out.confidence, ms: 0, ocr: { steps: ready.steps, rotated: out.rotated, model: out.model } };
              } catch (err) {
                result = failedPage(n, err, warnings);
              }
              finish(result, started);
            };
          }
        }
        if (n === 1 && task.thumbnailSize > 0) {
          const source = raster ?? (await timer.time('render', () => render(p, factory, thumbnailDpi(p, task.thumbnailSize))));
          thumb = await timer.time('thumbnail', () => thumbnail(fromRaw(source), task.thumbnailSize));
        }
        return second;
      } catch (err) {
        const failed = failedPage(n, err, warnings);
        return () => finish(failed, started);
      } finally {
        page?.cleanup();
      }
    });
    if (readable > 0 && pages.every((p) => p.source === 'failed')) {
      throw permanent('PDF_CORRUPT', `no page of the PDF could be read (${warnings[warnings.length - 1] ?? ''})`);
    }
    return {
      pageCount, pages, warnings, width: size?.width ?? null, height: size?.height ?? null, takenAt: null, steps: timer.steps,
      thumbnail: thumb ? new Uint8Array(thumb) : null,
    };
  } finally {
    await loading.destroy().catch(() => undefined);
  }
}

function failedPage(n: number, err: unknown, warnings: string[]): PageResult {
  warnings.push(`PAGE_FAILED: page ${n}: ${(err as Error).message ?? String(err)}`);
  return { page: n, source: 'failed', text: '', confidence: null, ms: 0 };
}

async function pageText(page: PDFPageProxy): Promise<string> {
  const content = await page.getTextContent();
  let text = '';
  for (const item of content.items) {
    if (!('str' in item)) continue;
    const t = item as TextItem;
    text += t.str;
    if (t.hasEOL) text += '\n';
  }
  return text;
}

function visibleChars(text: string): number {
  return text.replace(/\s+/g, '').length;
}

async function render(page: PDFPageProxy, factory: CanvasFactory, dpi: number): Promise<RawImage> {
  let viewport = page.getViewport({ scale: dpi / 72 });
  const pixels = viewport.width * viewport.height;
  if (pixels > MAX_RENDER_PIXELS) viewport = page.getViewport({ scale: (dpi / 72) * Math.sqrt(MAX_RENDER_PIXELS / pixels) });
  const width = Math.max(1, Math.floor(viewport.width));
  const height = Math.max(1, Math.floor(viewport.height));
  const item = factory.create(width, height);
  try {
    await page.render({ canvas: item.canvas as never, viewport, background: '#ffffff' }).promise;
    const { data } = item.context.getImageData(0, 0, width, height);
    return { data, width, height, channels: 4 };
  } finally {
    factory.destroy(item);
  }
}

function thumbnailDpi(page: PDFPageProxy, size: number): number {
  const [x0 = 0, y0 = 0, x1 = 612, y1 = 792] = page.view;
  const longSide = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0)) || 792;
  return (72 * size * 2) / longSide; // twice the thumbnail size, then reduced by sharp
}
