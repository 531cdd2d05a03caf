/**
 * tesseract.js inside a pool worker, strictly offline. Pitfalls measured and handled here:
 * - with no langPath it fetches traineddata from a CDN: langPath is always our own directory of
 *   the @tesseract.js-data files (see ocr-languages.ts), and cacheMethod 'none' stops it writing
 *   a cache into the working directory;
 * - without errorHandler a failed job throws inside tesseract's message handler and takes the
 *   process down; with it, a missing data file leaves createWorker() pending for ever, so
 *   start-up is raced against a deadline;
 * - the image must carry its density (preprocess.ts sets it) or tesseract guesses 70 dpi.
 * The engine starts on first use; a PDF with a text layer never pays for it.
 * With `osd`, the engine loads tesseract's legacy core and the `osd` model instead, for `detect()`
 * (orientation and script detection needs the legacy classifier); it cannot `recognize()`.
 */
import { createWorker, OEM, PSM, type Worker as TesseractWorker } from 'tesseract.js';
import { fileURLToPath } from 'node:url';
import { transient } from '../core/errors.ts';
import { tidyOcrText } from './ocr-text.ts';

const TESSERACT_WORKER = fileURLToPath(new URL('./tesseract-worker.cjs', import.meta.url));

export interface OcrEngineOptions {
  /** The recognition languages; ignored with `osd`. */
  langs: string[];
  /** An orientation-detection engine (the legacy core with the osd model) instead of a reader. */
  osd?: boolean;
  /** Directory holding `<lang>.traineddata.gz` for every language. */
  langPath: string;
  startTimeoutMs?: number;
}

export interface OcrResult {
  text: string;
  /** Mean word confidence, 0–100. */
  confidence: number;
}

/** What tesseract's OSD says about a page: rotating it clockwise by `degrees` makes it upright. */
export interface Orientation {
  degrees: 0 | 90 | 180 | 270;
  /** tesseract's margin between the best orientation and the next (it accepts from 7 up). */
  confidence: number;
  script: string | null;
}

export class OcrEngine {
  readonly #options: OcrEngineOptions;
  #worker: Promise<TesseractWorker> | null = null;
  #lastError: unknown = null;

  constructor(options: OcrEngineOptions) {
    this.#options = options;
  }

  async recognize(png: Buffer): Promise<OcrResult> {
    const worker = await this.#start();
    this.#lastError = null;
    try {
      const { data } = await worker.recognize(png);
      return { text: tidyOcrText(data.text), confidence: Math.round(data.confidence * 10) / 10 };
    } catch (err) {
      throw transient('OCR_FAILED', `OCR failed: ${describe(err ?? this.#lastError)}`);
    }
  }

  /** Whether the engine has started (or is starting), i.e. holds a tesseract worker. */
  get started(): boolean {
    return this.#worker !== null;
  }

  async detect(png: Buffer): Promise<Orientation | null> {
    const worker = await this.#start();
    this.#lastError = null;
    try {
      const { data } = await worker.detect(png);
      if (data.orientation_degrees === null) return null;
      const degrees = ([0, 90, 180, 270] as const).find((d) => d === data.orientation_degrees) ?? 0;
      return { degrees, confidence: data.orientation_confidence ?? 0, script: data.script ?? null };
    } catch (err) {
      throw transient('OCR_FAILED', `orientation detection failed: ${describe(err ?? this.#lastError)}`);
    }
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    if (worker) await (await worker.catch(() => null))?.terminate();
  }

  #start(): Promise<TesseractWorker> {
    if (this.#worker) return this.#worker;
    const { langPath, startTimeoutMs = 60_000, osd = false } = this.#options;
    const langs = osd ? ['osd'] : this.#options.langs;
    const started = createWorker(langs, osd ? OEM.TESSERACT_ONLY : OEM.LSTM_ONLY, {
      langPath,
      ...(osd ? { legacyCore: true, legacyLang: true } : {}),
      workerPath: TESSERACT_WORKER,
      cacheMethod: 'none',
      gzip: true,
      errorHandler: (err: unknown) => {
        this.#lastError = err;
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(transient('OCR_START_FAILED', `tesseract did not start within ${startTimeoutMs} ms (${describe(this.#lastError)}); languages ${langs.join('+')} from ${langPath}`));
      }, startTimeoutMs);
    });
    // Page segmentation AUTO (3), as the tesseract CLI does: tesseract.js defaults to SINGLE_BLOCK (6),
    // which reads columns and scattered blocks of a real page as one block; AUTO was also faster here.
    const configured = started.then(async (worker) => {
      await worker.setParameters({ tessedit_pageseg_mode: PSM.AUTO });
      return worker;
    });
    this.#worker = Promise.race([configured, deadline]).finally(() => clearTimeout(timer));
    this.#worker.catch(() => {
      this.#worker = null; // the next page tries again
      started.then((w) => w.terminate(), () => undefined);
    });
    return this.#worker;
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (err === null || err === undefined) return 'no error reported';
  return String(err);
}
