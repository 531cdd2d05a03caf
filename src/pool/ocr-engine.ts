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
 */
import { createWorker, OEM, PSM, type Worker as TesseractWorker } from 'tesseract.js';
import { fileURLToPath } from 'node:url';
import { transient } from '../core/errors.ts';
import { tidyOcrText } from './ocr-text.ts';

const TESSERACT_WORKER = fileURLToPath(new URL('./tesseract-worker.cjs', import.meta.url));

export interface OcrEngineOptions {
  langs: string[];
  /** Directory holding `<lang>.traineddata.gz` for every language. */
  langPath: string;
  startTimeoutMs?: number;
}

export interface OcrResult {
  text: string;
  /** Mean word confidence, 0–100. */
  confidence: number;
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

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    if (worker) await (await worker.catch(() => null))?.terminate();
  }

  #start(): Promise<TesseractWorker> {
    if (this.#worker) return this.#worker;
    const { langs, langPath, startTimeoutMs = 60_000 } = this.#options;
    const started = createWorker(langs, OEM.LSTM_ONLY, {
      langPath,
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
