/**
 * The document pool from configuration: checks that every INGEST_OCR_LANGS language has its
 * installed data (a missing one is a configuration error, exit 2, before anything is consumed),
 * links the data into `<dataDir>/tessdata`, and sizes the pool.
 */
import { ConfigError, type Config } from '../config.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { DocumentPool } from './document-pool.ts';
import { OcrLanguageError, parseLangs, prepareLanguageDir } from './ocr-languages.ts';

export type DocumentConfig = Pick<
  Config,
  'ocrLangs' | 'poolSize' | 'poolRecyclePages' | 'pdfMaxPages' | 'pdfMinTextChars' | 'ocrDpi' | 'thumbnailSize'
> & Partial<Pick<Config, 'testHangMarker'>>;

export async function createDocumentReader(config: DocumentConfig, dataDir: string, options: { log?: Logger; metrics?: Metrics } = {}): Promise<DocumentPool> {
  const langs = parseLangs(config.ocrLangs);
  let langPath: string;
  try {
    langPath = await prepareLanguageDir(langs, dataDir);
  } catch (err) {
    if (err instanceof OcrLanguageError) throw new ConfigError(`invalid configuration:\n  ${err.message}`);
    throw err;
  }
  const { metrics } = options;
  return new DocumentPool({
    size: config.poolSize,
    recyclePages: config.poolRecyclePages,
    ocrLangs: langs,
    langPath,
    ...(config.testHangMarker ? { hangMarker: config.testHangMarker } : {}),
    task: { maxPages: config.pdfMaxPages, minTextChars: config.pdfMinTextChars, ocrDpi: config.ocrDpi, thumbnailSize: config.thumbnailSize, ocr: true },
    ...(options.log ? { log: options.log } : {}),
    ...(metrics
      ? {
          onLoad: (load) => {
            metrics.poolBusy.set(load.busy);
            metrics.poolQueued.set(load.queued);
          },
        }
      : {}),
  });
}
