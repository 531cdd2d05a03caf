/**
 * A fixed-size pool of worker threads for CPU-heavy work (PDF parsing and rendering, OCR), so the
 * main thread stays free for polling, heartbeats, the IMDS watcher and /healthz.
 *
 * Written here rather than taken from piscina because of three rules piscina does not offer:
 * - a task's AbortSignal stops it *while it runs*: its worker is terminated (tesseract and pdf.js
 *   cannot be interrupted from inside) and replaced;
 * - a worker that dies mid-task fails that task as retryable (WORKER_CRASHED) and is replaced;
 * - a worker is recycled after a number of work units (pages), which caps the memory OCR holds.
 * Workers start lazily (a pool that only ever sees text files costs nothing) and one at a time
 * per free slot, so a worker file that cannot even load fails each task instead of spinning.
 */
import { Worker, type ResourceLimits, type TransferListItem } from 'node:worker_threads';
import { IngestError, permanent, transient } from '../core/errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { SerializedError, TaskMessage, WorkerMessage } from './protocol.ts';
import { isErrorCode } from '../core/codes.ts';

export interface WorkerPoolOptions {
  /** The worker entry module (it calls serveTasks). */
  file: URL;
  /** Worker threads at most. */
  size: number;
  /** A worker is replaced once the units (pages) it has done reach this. */
  recycleAfterUnits: number;
  workerData?: unknown;
  resourceLimits?: ResourceLimits;
  log?: Logger;
  /** Called whenever the number of busy workers or queued tasks changes. */
  onLoad?: (load: PoolLoad) => void;
}

export interface PoolLoad {
  busy: number;
  queued: number;
  size: number;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Receives the task's progress messages (e.g. each finished page). */
  onProgress?: (data: unknown) => void;
  transfer?: readonly TransferListItem[];
}

interface Pending {
  id: number;
  type: string;
  payload: unknown;
  options: RunOptions;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  onAbort?: () => void;
}

interface Slot {
  worker: Worker;
  task: Pending | null;
  units: number;
  /** Set when the pool itself ends the worker, so its exit is not a crash. */
  ending: boolean;
}

export class WorkerPool {
  readonly #options: WorkerPoolOptions;
  readonly #slots = new Set<Slot>();
  readonly #queue: Pending[] = [];
  #nextId = 1;
  #closed = false;
  #recycled = 0;
  #crashed = 0;

  constructor(options: WorkerPoolOptions) {
    if (options.size < 1) throw new RangeError('pool size must be at least 1');
    this.#options = options;
  }

  get load(): PoolLoad {
    let busy = 0;
    for (const slot of this.#slots) if (slot.task) busy++;
    return { busy, queued: this.#queue.length, size: this.#options.size };
  }

  get counters(): { recycled: number; crashed: number; workers: number } {
    return { recycled: this.#recycled, crashed: this.#crashed, workers: this.#slots.size };
  }

  /** Runs one task on a free worker (queued until one is free). Rejects with the signal's reason when aborted. */
  run<T>(type: string, payload: unknown, options: RunOptions = {}): Promise<T> {
    if (this.#closed) return Promise.reject(transient('POOL_CLOSED', 'the worker pool is closed'));
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = { id: this.#nextId++, type, payload, options, resolve: resolve as (v: unknown) => void, reject };
      if (options.signal) {
        const signal = options.signal;
        pending.onAbort = () => this.#abort(pending, signal.reason);
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      this.#queue.push(pending);
      this.#dispatch();
    });
  }

  /** Terminates every worker; queued and running tasks fail with POOL_CLOSED (retryable). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const error = transient('POOL_CLOSED', 'the worker pool is closed');
    for (const pending of this.#queue.splice(0)) this.#settle(pending, () => pending.reject(error));
    const ends: Promise<number>[] = [];
    for (const slot of this.#slots) {
      slot.ending = true;
      if (slot.task) {
        const task = slot.task;
        slot.task = null;
        this.#settle(task, () => task.reject(error));
      }
      ends.push(slot.worker.terminate());
    }
    this.#slots.clear();
    await Promise.allSettled(ends);
    this.#reportLoad();
  }

  #dispatch(): void {
    while (!this.#closed && this.#queue.length > 0) {
      const pending = this.#queue[0]!;
      if (pending.options.signal?.aborted) {
        // its abort listener has not run yet (same tick): do not start a worker for it
        this.#queue.shift();
        this.#settle(pending, () => pending.reject(pending.options.signal!.reason));
        continue;
      }
      let slot: Slot | undefined;
      try {
        slot = this.#idleSlot();
      } catch (err) {
        // new Worker() can throw at once (ERR_WORKER_INIT_FAILED: out of threads or memory)
        this.#queue.shift();
        this.#settle(pending, () => pending.reject(transient('WORKER_START_FAILED', `could not start a worker thread: ${(err as Error).message}`, err)));
        continue;
      }
      if (!slot) break;
      this.#queue.shift();
      slot.task = pending;
      const message: TaskMessage = { id: pending.id, type: pending.type, payload: pending.payload };
      try {
        slot.worker.postMessage(message, pending.options.transfer as TransferListItem[] | undefined);
      } catch (err) {
        // an uncloneable payload: the caller's fault, the worker is fine
        slot.task = null;
        this.#settle(pending, () => pending.reject(permanent('WORKER_TASK_INVALID', `the ${pending.type} task cannot be sent to a worker: ${(err as Error).message}`, err)));
      }
    }
    this.#reportLoad();
  }

  #idleSlot(): Slot | undefined {
    for (const slot of this.#slots) if (!slot.task && !slot.ending) return slot;
    if (this.#slots.size < this.#options.size) return this.#spawn();
    return undefined;
  }

  #spawn(): Slot {
    const worker = new Worker(this.#options.file, {
      workerData: this.#options.workerData,
      ...(this.#options.resourceLimits ? { resourceLimits: this.#options.resourceLimits } : {}),
    });
    const slot: Slot = { worker, task: null, units: 0, ending: false };
    this.#slots.add(slot);
    worker.on('message', (message: WorkerMessage) => this.#onMessage(slot, message));
    worker.on('error', (err) => {
      if (!slot.ending) this.#options.log?.error({ err }, 'pool worker failed');
    });
    worker.on('exit', (code) => this.#onExit(slot, code));
    return slot;
  }

  #onMessage(slot: Slot, message: WorkerMessage): void {
    const task = slot.task;
    if (!task || task.id !== message.id) return;
    if (message.kind === 'progress') {
      try {
        task.options.onProgress?.(message.data);
      } catch (err) {
        this.#options.log?.warn({ err }, 'a task progress listener threw');
      }
      return;
    }
    slot.task = null;
    slot.units += message.units ?? 0;
    if (message.kind === 'done') this.#settle(task, () => task.resolve(message.result));
    else this.#settle(task, () => task.reject(deserializeError(message.error)));
    if (slot.units >= this.#options.recycleAfterUnits) this.#end(slot, 'recycled');
    this.#dispatch();
  }

  #onExit(slot: Slot, code: number): void {
    this.#slots.delete(slot);
    const task = slot.task;
    slot.task = null;
    if (!slot.ending) {
      this.#crashed++;
      this.#options.log?.warn({ exitCode: code, task: task?.type }, 'pool worker exited unexpectedly; it will be replaced');
      if (task) {
        this.#settle(task, () =>
          task.reject(transient('WORKER_CRASHED', `the worker running a ${task.type} task exited (code ${code})`)),
        );
      }
    }
    this.#dispatch();
  }

  /** Ends a worker the pool no longer wants (recycled or aborted); a new one starts on demand. */
  #end(slot: Slot, why: 'recycled' | 'aborted'): void {
    slot.ending = true;
    if (why === 'recycled') this.#recycled++;
    this.#slots.delete(slot);
    slot.worker.terminate().catch(() => undefined);
  }

  #abort(pending: Pending, reason: unknown): void {
    const queued = this.#queue.indexOf(pending);
    if (queued >= 0) {
      this.#queue.splice(queued, 1);
    } else {
      const slot = [...this.#slots].find((s) => s.task === pending);
      if (!slot) return; // already settled
      slot.task = null;
      this.#end(slot, 'aborted'); // the only way to stop tesseract or pdf.js mid-page
    }
    this.#settle(pending, () => pending.reject(reason));
    this.#dispatch();
  }

  #settle(pending: Pending, finish: () => void): void {
    if (pending.onAbort) pending.options.signal?.removeEventListener('abort', pending.onAbort);
    finish();
  }

  #reportLoad(): void {
    this.#options.onLoad?.(this.load);
  }
}

function deserializeError(error: SerializedError): IngestError {
  // A code the main thread does not know (a worker of another version) is reported as the worker's failure.
  const code = isErrorCode(error.code) ? error.code : 'WORKER_TASK_FAILED';
  const details = isErrorCode(error.code) ? error.details : { ...error.details, workerCode: error.code };
  return new IngestError(code, error.message, { retryable: error.retryable, ...(details ? { details } : {}) });
}
