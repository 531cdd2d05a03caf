/**
 * The DocumentReader the daemon uses: PDF, image and OOXML tasks on a WorkerPool of document workers.
 */
import type { ResourceLimits } from 'node:worker_threads';
import { permanent } from '../core/errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { DocumentReader, OfficeText, ReadOptions } from '../pipeline/document-reader.ts';
import type { DocumentTask, DocumentWorkerData, OfficeTask } from './document-task.ts';
import type { DocumentResult, PageResult } from '../core/document.ts';
import { asOfficeText } from './office-task.ts';
import { WorkerPool, type PoolLoad } from './pool.ts';

export interface DocumentPoolOptions {
  size: number;
  /** OCR pages after which a worker is replaced (caps tesseract's memory). */
  recyclePages: number;
  ocrLangs: string[];
  /** Directory with the languages' traineddata (prepareLanguageDir). */
  langPath: string;
  /** Test hook: see DocumentWorkerData.hangMarker. */
  hangMarker?: string;
  task: Omit<DocumentTask, 'path' | 'mime'>;
  log?: Logger;
  onLoad?: (load: PoolLoad) => void;
  resourceLimits?: ResourceLimits;
}

export class DocumentPool implements DocumentReader {
  readonly pool: WorkerPool;
  readonly #task: Omit<DocumentTask, 'path' | 'mime'>;

  constructor(options: DocumentPoolOptions) {
    const workerData: DocumentWorkerData = { ocrLangs: options.ocrLangs, langPath: options.langPath, ...(options.hangMarker ? { hangMarker: options.hangMarker } : {}) };
    this.#task = options.task;
    this.pool = new WorkerPool({
      file: new URL('./document-worker.ts', import.meta.url),
      size: options.size,
      recycleAfterUnits: options.recyclePages,
      workerData,
      ...(options.log ? { log: options.log } : {}),
      ...(options.onLoad ? { onLoad: options.onLoad } : {}),
      ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
    });
  }

  read(kind: 'pdf' | 'image', path: string, mime: string, options: ReadOptions): Promise<DocumentResult> {
    const task: DocumentTask = { ...this.#task, path, mime, ...(options.resume?.length ? { resume: options.resume } : {}) };
    const onPage = options.onPage;
    return this.pool.run<DocumentResult>(kind, task, {
      signal: options.signal,
      ...(onPage ? { onProgress: (data: unknown) => onPage(data as PageResult) } : {}),
    });
  }

  async office(path: string, mime: string, options: { signal: AbortSignal }): Promise<OfficeText> {
    const task: OfficeTask = { path, mime };
    const answer = await this.pool.run<unknown>('office', task, { signal: options.signal });
    const text = asOfficeText(answer);
    if (text === null) throw permanent('WORKER_RESULT_INVALID', 'the office task answered with something that is not an OfficeText');
    return text;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
