/**
 * An OOXML document in the document worker: src/pipeline/extract-office.ts on this thread, so that
 * inflating and parsing a hostile package (a zip bomb, deep XML) costs a worker, never the main
 * thread. An abort or the job deadline terminates the worker (src/pool/pool.ts); the errors keep
 * their codes (`OFFICE_CORRUPT`, `OFFICE_TOO_LARGE`, permanent) across the thread boundary.
 */
import { extractOffice, type OfficeText } from '../pipeline/extract-office.ts';
import type { OfficeTask } from './document-task.ts';
import { failedAfter, type TaskOutput } from './serve.ts';

/**
 * Work units of an Office task, for the worker's recycling (INGEST_POOL_RECYCLE_PAGES counts OCR
 * pages): one per 2 MiB inflated, at least one. Inflating leaves memory behind in the worker's heap
 * and allocator that only ending the thread returns, so a worker that has inflated a lot — a lying
 * zip bomb inflates its whole declared 100 MiB before it is refused — is replaced as soon after.
 */
export const officeUnits = (inflatedBytes: number): number => Math.max(1, Math.ceil(inflatedBytes / (2 * 1024 * 1024)));

export async function processOffice(task: OfficeTask): Promise<TaskOutput> {
  const stats = { inflatedBytes: 0 };
  try {
    const result: OfficeText = await extractOffice(task.path, task.mime, { stats });
    return { result, units: officeUnits(stats.inflatedBytes) };
  } catch (err) {
    throw failedAfter(err, officeUnits(stats.inflatedBytes));
  }
}

/** The answer as the parent receives it: plain data of the OfficeText shape, or null. */
export function asOfficeText(value: unknown): OfficeText | null {
  if (typeof value !== 'object' || value === null) return null;
  const { text, pageCount, warnings } = value as Record<string, unknown>;
  if (typeof text !== 'string') return null;
  if (pageCount !== null && !(typeof pageCount === 'number' && Number.isSafeInteger(pageCount) && pageCount >= 0)) return null;
  if (!Array.isArray(warnings) || !warnings.every((w) => typeof w === 'string')) return null;
  return { text, pageCount, warnings: warnings as string[] };
}
