/**
 * Where a task's finished pages go, in order: the result's time is stamped from when the page was
 * started, it joins the task's pages and the main thread hears of it (progress: checkpoints,
 * metrics, a waiting job's deadline). Shared by the PDF and image tasks.
 */
import type { PageResult } from '../core/document.ts';

export type RecordPage = (result: PageResult, started: number) => void;

export function pageRecorder(pages: PageResult[], progress: (page: PageResult) => void): RecordPage {
  return (result, started) => {
    result.ms = Math.round(performance.now() - started);
    pages.push(result);
    progress(result);
  };
}
