/**
 * Polls IMDS every second for the three things that end a Spot instance's life (docs/design.md §7):
 * an interruption notice, a rebalance recommendation, and the Auto Scaling target lifecycle state.
 * Each distinct answer is emitted once. IMDS failures are logged with backoff (first failure, then
 * at the 2nd, 4th, 8th… in a row) and slow the polling a little, but never stop it or throw; a
 * listener's throw is caught and logged.
 */
import type { Logger } from '../observability/logger.ts';
import type { ImdsClient } from './imds-client.ts';
import { jitteredBackoff } from '../core/backoff.ts';

export const INSTANCE_ACTION_PATH = '/latest/meta-data/spot/instance-action';
export const REBALANCE_PATH = '/latest/meta-data/events/recommendations/rebalance';
export const LIFECYCLE_PATH = '/latest/meta-data/autoscaling/target-lifecycle-state';

export interface SpotEvents {
  /** `action` is terminate, stop or hibernate; `time` is when it happens. */
  interruption: { action: string; time: Date };
  rebalance: { noticeTime: Date };
  /** `InService`, `Terminated`, … (each change once). */
  lifecycle: { state: string };
}

export type SpotListener<K extends keyof SpotEvents> = (event: SpotEvents[K]) => void | Promise<void>;

export interface SpotWatcherOptions {
  imds: Pick<ImdsClient, 'get'>;
  logger: Logger;
  intervalMs?: number;
  /** Longest pause between polls while IMDS keeps failing. */
  maxBackoffMs?: number;
  /** Run once by stop(), after the last poll has ended: releases what the watcher owns (createSpotWatcher: its IMDS client). */
  onStop?: () => Promise<void>;
}

export class SpotWatcher {
  readonly #o: SpotWatcherOptions;
  readonly #intervalMs: number;
  readonly #maxBackoffMs: number;
  readonly #listeners: { [K in keyof SpotEvents]: Set<SpotListener<K>> } = {
    interruption: new Set(),
    rebalance: new Set(),
    lifecycle: new Set(),
  };
  /** Answers already emitted, per event kind. */
  readonly #seen: { [K in keyof SpotEvents]: Set<string> } = { interruption: new Set(), rebalance: new Set(), lifecycle: new Set() };
  #lastLifecycle: string | undefined;
  #abort: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> | undefined;
  #stopped = false;
  #released: Promise<void> | undefined;
  #failures = 0;

  constructor(options: SpotWatcherOptions) {
    this.#o = options;
    this.#intervalMs = options.intervalMs ?? 1_000;
    this.#maxBackoffMs = Math.max(this.#intervalMs, options.maxBackoffMs ?? 5_000);
  }

  /** IMDS polls that failed in a row (0 after a clean one). */
  get consecutiveFailures(): number {
    return this.#failures;
  }

  /** The IMDS client it polls with (for other reads with the same token). */
  get imds(): Pick<ImdsClient, 'get'> {
    return this.#o.imds;
  }

  /** A poll is scheduled (a timer is armed): false after stop(). */
  get scheduled(): boolean {
    return this.#timer !== undefined;
  }

  get running(): boolean {
    return this.#abort !== undefined && !this.#stopped;
  }

  on<K extends keyof SpotEvents>(event: K, listener: SpotListener<K>): this {
    this.#listeners[event].add(listener);
    return this;
  }

  off<K extends keyof SpotEvents>(event: K, listener: SpotListener<K>): this {
    this.#listeners[event].delete(listener);
    return this;
  }

  /** Start polling (the first poll at once). Calling it again, or after stop(), does nothing. */
  start(): this {
    if (this.#abort !== undefined || this.#stopped) return this;
    this.#abort = new AbortController();
    this.#schedule(0);
    return this;
  }

  /** Stop polling: clears the timer, aborts a poll in progress and waits for it, then runs onStop (once). Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort?.abort(new Error('spot watcher stopped'));
    await this.#tick;
    this.#released ??= this.#o.onStop?.() ?? Promise.resolve();
    await this.#released;
  }

  /** One poll of all three paths (exposed for tests; the timer calls it). */
  async pollOnce(signal: AbortSignal = new AbortController().signal): Promise<void> {
    const results = await Promise.allSettled([this.#pollInstanceAction(signal), this.#pollRebalance(signal), this.#pollLifecycle(signal)]);
    if (this.#stopped) return;
    const errors = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
    if (errors.length === 0) {
      if (this.#failures > 0) this.#o.logger.info({ afterFailures: this.#failures }, 'IMDS answers again');
      this.#failures = 0;
      return;
    }
    this.#failures += 1;
    const n = this.#failures;
    if ((n & (n - 1)) === 0) {
      // 1st, 2nd, 4th, 8th… failure in a row: enough to see the problem without a line per second
      const err = errors[0];
      this.#o.logger.warn(
        { err: err instanceof Error ? { message: err.message, code: (err as { code?: unknown }).code } : String(err), consecutiveFailures: n, failedPaths: errors.length },
        'IMDS poll failed; the spot watcher keeps trying',
      );
    }
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const signal = this.#abort!.signal;
      this.#tick = this.pollOnce(signal)
        .catch((err: unknown) => this.#o.logger.error({ err }, 'spot watcher poll crashed; continuing'))
        .finally(() => {
          this.#tick = undefined;
          this.#schedule(this.#nextDelay());
        });
    }, delayMs);
    this.#timer.unref();
  }

  #nextDelay(): number {
    if (this.#failures === 0) return this.#intervalMs;
    // a quarter of jitter: the watcher must not wait much less than its backoff, nor all in step
    return Math.round(jitteredBackoff(this.#failures - 1, this.#intervalMs, this.#maxBackoffMs, 0.25));
  }

  async #pollInstanceAction(signal: AbortSignal): Promise<void> {
    const body = await this.#o.imds.get(INSTANCE_ACTION_PATH, signal);
    if (body === null) return;
    const parsed = parseJson(body, INSTANCE_ACTION_PATH) as { action?: unknown; time?: unknown };
    const time = typeof parsed.time === 'string' ? new Date(parsed.time) : undefined;
    if (typeof parsed.action !== 'string' || time === undefined || Number.isNaN(time.getTime())) {
      throw new Error(`${INSTANCE_ACTION_PATH}: unexpected answer ${JSON.stringify(body.slice(0, 200))}`);
    }
    this.#emitOnce('interruption', `${parsed.action}@${time.toISOString()}`, { action: parsed.action, time });
  }

  async #pollRebalance(signal: AbortSignal): Promise<void> {
    const body = await this.#o.imds.get(REBALANCE_PATH, signal);
    if (body === null) return;
    const parsed = parseJson(body, REBALANCE_PATH) as { noticeTime?: unknown };
    const noticeTime = typeof parsed.noticeTime === 'string' ? new Date(parsed.noticeTime) : undefined;
    if (noticeTime === undefined || Number.isNaN(noticeTime.getTime())) {
      throw new Error(`${REBALANCE_PATH}: unexpected answer ${JSON.stringify(body.slice(0, 200))}`);
    }
    this.#emitOnce('rebalance', noticeTime.toISOString(), { noticeTime });
  }

  async #pollLifecycle(signal: AbortSignal): Promise<void> {
    const body = await this.#o.imds.get(LIFECYCLE_PATH, signal);
    if (body === null) return; // not in an Auto Scaling group, or lifecycle metadata not enabled
    const state = body.trim();
    if (state === '' || state === this.#lastLifecycle) return;
    this.#lastLifecycle = state;
    this.#emit('lifecycle', { state });
  }

  #emitOnce<K extends keyof SpotEvents>(event: K, key: string, payload: SpotEvents[K]): void {
    if (this.#seen[event].has(key)) return;
    this.#seen[event].add(key);
    this.#emit(event, payload);
  }

  #emit<K extends keyof SpotEvents>(event: K, payload: SpotEvents[K]): void {
    const fields: Record<string, unknown> = { event, ...payload };
    this.#o.logger.info(fields, `spot watcher: ${String(event)}`);
    for (const listener of this.#listeners[event]) {
      try {
        const result = listener(payload);
        if (result instanceof Promise) result.catch((err: unknown) => this.#o.logger.error({ err, event }, 'a spot watcher listener failed'));
      } catch (err) {
        this.#o.logger.error({ err, event }, 'a spot watcher listener failed');
      }
    }
  }
}

function parseJson(body: string, path: string): unknown {
  try {
    const value: unknown = JSON.parse(body);
    if (typeof value !== 'object' || value === null) throw new Error('not an object');
    return value;
  } catch {
    throw new Error(`${path}: not JSON: ${JSON.stringify(body.slice(0, 200))}`);
  }
}
