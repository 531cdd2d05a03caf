/**
 * The worker-thread side of WorkerPool: runs one task at a time with the handler named by its
 * type and answers with done / failed. A handler's IngestError keeps its code and retryable
 * flag; anything else is reported as WORKER_TASK_FAILED (retryable: the queue's redrive policy
 * bounds the retries of a file that keeps failing in an unforeseen way).
 */
import { parentPort, type TransferListItem } from 'node:worker_threads';
import { isIngestError } from '../core/errors.ts';
import type { SerializedError, TaskMessage, WorkerMessage } from './protocol.ts';

export interface TaskContext {
  /** Sends a progress message to the task's caller (e.g. a finished page). */
  progress(data: unknown): void;
}

export interface TaskOutput {
  result: unknown;
  /** Work done (pages), for the pool's recycling. */
  units: number;
  transfer?: TransferListItem[];
}

export type TaskHandler = (payload: never, context: TaskContext) => Promise<TaskOutput>;

export function serveTasks(handlers: Record<string, TaskHandler>): void {
  const port = parentPort;
  if (!port) throw new Error('serveTasks must run in a worker thread');
  const send = (message: WorkerMessage, transfer?: TransferListItem[]) => port.postMessage(message, transfer);
  port.on('message', (task: TaskMessage) => {
    const handler = handlers[task.type];
    if (!handler) {
      send({ id: task.id, kind: 'failed', error: { code: 'WORKER_UNKNOWN_TASK', message: `no handler for task type ${task.type}`, retryable: false } });
      return;
    }
    const context: TaskContext = { progress: (data) => send({ id: task.id, kind: 'progress', data }) };
    handler(task.payload as never, context).then(
      (output) => {
        try {
          send({ id: task.id, kind: 'done', result: output.result, units: output.units }, output.transfer);
        } catch (err) {
          // a result that cannot be cloned or transferred: the task failed, the worker is fine
          send({ id: task.id, kind: 'failed', error: { code: 'WORKER_RESULT_INVALID', message: `the ${task.type} result cannot be sent back: ${(err as Error).message}`, retryable: false } });
        }
      },
      (err: unknown) => send({ id: task.id, kind: 'failed', error: serializeError(err), units: unitsOf(err) }),
    );
  });
}

const UNITS = Symbol('units');

/** `err`, marked with the work its task did before failing (for the pool's recycling). */
export function failedAfter(err: unknown, units: number): unknown {
  if (typeof err === 'object' && err !== null) Object.defineProperty(err, UNITS, { value: units, enumerable: false });
  return err;
}

function unitsOf(err: unknown): number {
  const units = typeof err === 'object' && err !== null ? (err as { [UNITS]?: unknown })[UNITS] : undefined;
  return typeof units === 'number' && Number.isFinite(units) && units > 0 ? units : 0;
}

export function serializeError(err: unknown): SerializedError {
  if (isIngestError(err)) {
    return { code: err.code, message: err.message, retryable: err.retryable, ...(err.details ? { details: err.details } : {}) };
  }
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return { code: 'WORKER_TASK_FAILED', message, retryable: true };
}
