/**
 * An image file in the document worker: metadata (dimensions after EXIF orientation, EXIF date),
 * OCR of each page (every page of a TIFF; the first frame of GIF / WebP animations), thumbnail.
 * A decompression bomb is refused from its header by sharp's default limitInputPixels; a
 * truncated image is read as far as it goes (with a warning) when sharp can still decode it,
 * else it is a permanent IMAGE_CORRUPT. A format sharp cannot decode (HEIC without a HEVC
 * decoder) is not corrupt: it is indexed by name only, with a warning. BMP, which libvips cannot
 * read, is decoded by bmp.ts first.
 */
import exifReader from 'exif-reader';
import sharp, { type Metadata, type Sharp, type SharpOptions } from 'sharp';
import { readBmp } from './bmp.ts';
import { permanent } from '../core/errors.ts';
import { StepTimer } from '../observability/step-timer.ts';
import type { DocumentTask } from './document-task.ts';
import type { DocumentResult, PageResult } from '../core/document.ts';
import type { PageOcr } from './page-ocr.ts';
import { prepareForOcr, thumbnail } from './preprocess.ts';
import { inTwoStages, type SecondStage } from './two-stages.ts';
import { pageRecorder } from './page-recorder.ts';

const MULTI_PAGE_OCR = new Set(['tiff']);

export async function processImage(task: DocumentTask, ocr: PageOcr, progress: (page: PageResult) => void): Promise<DocumentResult> {
  const timer = new StepTimer();
  const warnings: string[] = [];
  let readOptions: SharpOptions = { failOn: 'error' };
  let open = (options: SharpOptions = {}): Sharp => sharp(task.path, { ...readOptions, ...options });
  let meta: Metadata;
  if (task.mime === 'image/bmp') {
    const bmp = await readBmp(task.path);
    open = () => bmp.open();
    meta = await open().metadata();
  } else {
    try {
      meta = await open().metadata();
      // Decoding (not just the header) finds truncation: a full decode of the first page, streamed
      // through a shrink to a few pixels — neither a raw buffer nor stats(), which both hold the whole
      // page (a 16000×16000 RGBA page is 1 GiB); this peaks at ~150 MB
      await decodeAll(open());
    } catch (err) {
      const failure = imageFailure(err, task.mime);
      if (failure.kind !== 'truncated') throw failure.error;
      readOptions = { failOn: 'none' };
      try {
        meta = await open().metadata();
        await decodeAll(open());
      } catch {
        throw failure.error;
      }
      warnings.push(`IMAGE_TRUNCATED: ${failure.reason}; read as far as the data goes`);
    }
  }
  const rotated = (meta.orientation ?? 1) >= 5;
  const width = (rotated ? meta.pageHeight ?? meta.height : meta.width) ?? null;
  const height = (rotated ? meta.width : meta.pageHeight ?? meta.height) ?? null;
  const pageCount = meta.pages ?? 1;
  const ocrPages = MULTI_PAGE_OCR.has(meta.format ?? '') ? Math.min(pageCount, task.maxPages) : 1;
  if (MULTI_PAGE_OCR.has(meta.format ?? '') && pageCount > task.maxPages) {
    warnings.push(`PAGE_LIMIT: ${pageCount} pages, only the first ${task.maxPages} read`);
  }
  const pages: PageResult[] = [];
  if (task.ocr) {
    const resumed = new Map((task.resume ?? []).map((p) => [p.page, p]));
    const finish = pageRecorder(pages, progress);
    // the next page of a multi-page image is preprocessed while the one before it is OCRed (two-stages.ts)
    await inTwoStages(ocrPages, async (n): Promise<SecondStage> => {
      const done = resumed.get(n);
      if (done) return () => void pages.push({ ...done, resumed: true });
      const started = performance.now();
      const ready = await timer.time('preprocess', () =>
        prepareForOcr(open({ page: n - 1 }), { targetDpi: task.ocrDpi, ...(meta.density ? { density: meta.density } : {}) }),
      );
      const png = ready.png;
      if (!png) return () => finish({ page: n, source: 'blank', text: '', confidence: null, ms: 0 }, started);
      return async () => {
        const out = await timer.time('ocr', () => ocr.read(png, ready.layout));
        finish({ page: n, source: 'ocr', text: out.text, confidence: out.confidence, ms: 0, ocr: { steps: ready.steps, rotated: out.rotated, model: out.model } }, started);
      };
    });
  }
  const thumb = task.thumbnailSize > 0 ? await timer.time('thumbnail', () => thumbnail(open(), task.thumbnailSize)) : null;
  return {
    pageCount, pages, warnings, thumbnail: thumb ? new Uint8Array(thumb) : null,
    width, height, takenAt: exifDate(meta.exif), steps: timer.steps,
  };
}

/** Decode every pixel of the first page, sequentially, keeping almost nothing. */
function decodeAll(image: Sharp): Promise<Buffer> {
  return image.resize(64, 64, { fit: 'inside' }).raw().toBuffer();
}

type ImageFailure = { kind: 'truncated'; reason: string; error: Error } | { kind: 'fatal'; error: Error };

function imageFailure(err: unknown, mime: string): ImageFailure {
  const message = err instanceof Error ? err.message : String(err);
  if (/pixel limit/i.test(message)) {
    return { kind: 'fatal', error: permanent('IMAGE_TOO_LARGE', `image refused: ${message} (decompression bomb guard)`) };
  }
  if (/heif|unsupported image format|no decode|not a known file format/i.test(message) && /hei[cf]|avif/.test(mime)) {
    return { kind: 'fatal', error: permanent('IMAGE_UNSUPPORTED', `this build cannot decode ${mime}: ${message}`) };
  }
  if (/premature end|truncated|unexpected end|end of (file|stream)|read error|not enough data|incomplete/i.test(message)) {
    return { kind: 'truncated', reason: message.split('\n')[0]!, error: permanent('IMAGE_CORRUPT', `image is truncated and cannot be decoded: ${message}`) };
  }
  return { kind: 'fatal', error: permanent('IMAGE_CORRUPT', `image cannot be decoded: ${message}`) };
}

function exifDate(exif: Buffer | undefined): string | null {
  if (!exif) return null;
  try {
    const tags = exifReader(exif);
    const date = tags.Photo?.DateTimeOriginal ?? tags.Photo?.DateTimeDigitized ?? tags.Image?.DateTime;
    if (!(date instanceof Date) || Number.isNaN(date.getTime())) return null;
    // EXIF times are the camera's local time, read here as if UTC; OffsetTime* (EXIF 2.31) gives the zone
    const offset = String(tags.Photo?.OffsetTimeOriginal ?? tags.Photo?.OffsetTime ?? '');
    const m = /^([+-])(\d{2}):(\d{2})$/.exec(offset.trim());
    if (!m) return date.toISOString();
    const minutes = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
    return new Date(date.getTime() - minutes * 60_000).toISOString();
  } catch {
    return null;
  }
}
