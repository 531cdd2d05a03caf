/**
 * Messages between a WorkerPool and its worker threads. One task at a time per worker:
 * the parent sends a TaskMessage, the worker answers with any number of progress messages
 * and then exactly one done or failed message carrying the same id.
 */
export interface TaskMessage {
  id: number;
  type: string;
  payload: unknown;
}

export interface SerializedError {
  code: string;
  message: string;
  retryable: boolean;
  details?: Record<string, unknown>;
}

export type WorkerMessage =
  | { id: number; kind: 'progress'; data: unknown }
  /** `units` is the work the task did (pages): the pool recycles a worker after enough of it. */
  | { id: number; kind: 'done'; result: unknown; units: number }
  /** A failed task may report the work it did before failing (`units`), which counts the same. */
  | { id: number; kind: 'failed'; error: SerializedError; units?: number };
