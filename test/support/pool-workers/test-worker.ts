/**
 * Worker entry for test/unit/pool/pool.test.ts: small handlers that each exercise one rule of
 * WorkerPool (results, timing, CPU-bound work that cannot see an abort, progress, crashes,
 * handler errors, thread identity, memory).
 */
import { threadId, workerData } from 'node:worker_threads';
import { permanent } from '../../../src/core/errors.ts';
import { failedAfter, serveTasks } from '../../../src/pool/serve.ts';
import type { ErrorCode } from '../../../src/core/codes.ts';

/** Memory the `memory` handler keeps alive, so it accumulates across tasks on one thread. */
const retained: unknown[] = [];
let retainedMb = 0;
/** Tasks this thread has started, so a test can tell whether it reused a worker. */
let started = 0;

serveTasks({
  /** Returns the payload as is; `units` (default 1) is what the task reports for recycling. */
  echo: async (payload: { value?: unknown; units?: number }) => {
    started++;
    return { result: { value: payload.value, threadId }, units: payload.units ?? 1 };
  },

  /** Waits `ms` on a timer, then answers with this thread's id. */
  sleep: async (payload: { ms: number; units?: number }) => {
    started++;
    await new Promise((resolve) => setTimeout(resolve, payload.ms));
    return { result: { slept: payload.ms, threadId }, units: payload.units ?? 1 };
  },

  /**
   * Busy-loops on the CPU and never yields (like OCR of one page): only terminate() stops it.
   * Reports progress { spinning, threadId } first, so a test knows the loop has begun, and where.
   */
  spin: async (payload: { ms?: number }, context) => {
    started++;
    context.progress({ spinning: true, threadId });
    const until = payload.ms === undefined ? Infinity : Date.now() + payload.ms;
    let n = 0;
    while (Date.now() < until) n++;
    return { result: { n, threadId }, units: 1 };
  },

  /** Sends `count` progress messages (0..count-1), then answers. */
  progress: async (payload: { count: number }, context) => {
    started++;
    for (let i = 0; i < payload.count; i++) context.progress({ i, threadId });
    return { result: { sent: payload.count, threadId }, units: 1 };
  },

  /** Kills this thread mid-task: `exit` calls process.exit(3), `throw` throws outside the task's promise. */
  crash: async (payload: { how?: 'exit' | 'throw' }) => {
    started++;
    await new Promise<never>(() => {
      setTimeout(() => {
        if (payload.how === 'throw') throw new Error('boom from a timer');
        process.exit(3);
      }, 10);
    });
    return { result: null, units: 0 };
  },

  /** Fails with a permanent IngestError after doing `units` of work (which count for recycling). */
  failAfterWork: async (payload: { units: number }) => {
    started++;
    throw failedAfter(permanent('OFFICE_CORRUPT', 'failed after some work'), payload.units);
  },

  /** Fails with a permanent IngestError of the given code. */
  fail: async (payload: { code: string; details?: Record<string, unknown> }) => {
    started++;
    throw permanent(payload.code as ErrorCode, `failed on purpose with ${payload.code}`, undefined, payload.details);
  },

  /** Fails with a plain Error. */
  failPlain: async (payload: { message: string }) => {
    started++;
    throw new TypeError(payload.message);
  },

  /** This thread's id, how many tasks it started, and the workerData it was given. */
  threadId: async () => {
    started++;
    return { result: { threadId, started, workerData: workerData as unknown }, units: 0 };
  },

  /** Allocates and keeps `mb` MiB (touched, so it is really resident); answers with the heap in use. */
  memory: async (payload: { mb: number }) => {
    started++;
    for (let i = 0; i < payload.mb; i++) retained.push(new Uint8Array(1024 * 1024).fill(1));
    // plain JS objects too, so the V8 heap limit (resourceLimits.maxOldGenerationSizeMb) applies
    for (let i = 0; i < payload.mb * 8_000; i++) retained.push({ i, s: `object number ${i}` });
    retainedMb += payload.mb;
    return { result: { heapUsed: process.memoryUsage().heapUsed, retainedMb, threadId }, units: 1 };
  },

  /** Answers with a result that cannot be cloned (a function): postMessage of the answer throws. */
  badResult: async () => {
    started++;
    return { result: { fn: () => 1 }, units: 1 };
  },
});
