/**
 * Entry file of the document pool's worker threads: PDF and image tasks, each with this
 * thread's own (lazily started) tesseract engine.
 */
import { workerData } from 'node:worker_threads';
import type { DocumentTask, DocumentWorkerData, PageResult } from './document-task.ts';
import { processImage } from './image-task.ts';
import { OcrEngine } from './ocr-engine.ts';
import { processPdf } from './pdf-task.ts';
import { serveTasks, type TaskOutput } from './serve.ts';
import type { DocumentResult } from './document-task.ts';

const data = workerData as DocumentWorkerData;
const ocr = new OcrEngine({ langs: data.ocrLangs, langPath: data.langPath });

function output(result: DocumentResult): TaskOutput {
  const units = Math.max(1, result.pages.filter((p) => p.source === 'ocr' && !p.resumed).length);
  return { result, units, ...(result.thumbnail ? { transfer: [result.thumbnail.buffer as ArrayBuffer] } : {}) };
}

serveTasks({
  pdf: async (task: DocumentTask, context) => output(await processPdf(task, ocr, (page: PageResult) => context.progress(page))),
  image: async (task: DocumentTask, context) => output(await processImage(task, ocr, (page: PageResult) => context.progress(page))),
});
