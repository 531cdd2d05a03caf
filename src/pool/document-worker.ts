/**
 * Entry file of the document pool's worker threads: PDF and image tasks, each with this
 * thread's own (lazily started) tesseract engines, and OOXML (office) tasks.
 */
import { readFile } from 'node:fs/promises';
import { workerData } from 'node:worker_threads';
import type { DocumentTask, DocumentWorkerData, OfficeTask } from './document-task.ts';
import type { PageResult } from '../core/document.ts';
import { processImage } from './image-task.ts';
import { processOffice } from './office-task.ts';
import { PageOcr } from './page-ocr.ts';
import { processPdf } from './pdf-task.ts';
import { serveTasks, type TaskOutput } from './serve.ts';
import type { DocumentResult } from '../core/document.ts';

const data = workerData as DocumentWorkerData;
const ocr = new PageOcr({ langs: data.ocrLangs, langPath: data.langPath });

function output(result: DocumentResult): TaskOutput {
  const units = Math.max(1, result.pages.filter((p) => p.source === 'ocr' && !p.resumed).length);
  return { result, units, ...(result.thumbnail ? { transfer: [result.thumbnail.buffer as ArrayBuffer] } : {}) };
}

/**
 * Test hook (INGEST_TEST_HANG_MARKER, unset in production): a file that contains the marker spins
 * this thread forever, as a file that hangs pdf.js or tesseract would — only terminating the
 * thread ends it. It proves the job deadline.
 */
async function hangIfMarked(task: { path: string }): Promise<void> {
  const marker = data.hangMarker;
  if (marker === undefined || !(await readFile(task.path)).includes(marker)) return;
  for (;;) {
    // spin: no await, no I/O, nothing another thread can interrupt but terminate()
  }
}

serveTasks({
  pdf: async (task: DocumentTask, context) => {
    await hangIfMarked(task);
    return output(await processPdf(task, ocr, (page: PageResult) => context.progress(page)));
  },
  image: async (task: DocumentTask, context) => {
    await hangIfMarked(task);
    return output(await processImage(task, ocr, (page: PageResult) => context.progress(page)));
  },
  office: async (task: OfficeTask) => {
    await hangIfMarked(task);
    return processOffice(task);
  },
});
