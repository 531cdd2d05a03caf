/**
 * One dependency's circuit (docs/design.md §4 "outages"): a run of `failureThreshold` outage failures in
 * a row opens it; while open, calls through it fail fast with a retryable
 * `DEPENDENCY_CIRCUIT_OPEN`, and a cheap probe (OpenSearch `GET <alias>/_mapping`, DynamoDB DescribeTable,
 * S3 HeadBucket) runs with backoff from `probeMinMs` up to `probeMaxMs` until it succeeds, which
 * closes the circuit. Receiving resumes with no operator action.
 *
 * Only outage failures move it (isOutage: connection refused / reset, timeouts, 5xx, throttling
 * the SDK gave up on). A success, or any other error (a 404, a rejected document), proves the
 * service answers and resets the count. The probe loop is the only timer, and stop() ends it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { IngestError, type Dependency } from '../core/errors.ts';
import { classifyError } from '../core/classify.ts';
import { isOutage } from '../core/outage.ts';
import { jitteredBackoff } from '../core/backoff.ts';

export type Probe = (signal: AbortSignal) => Promise<void>;

export interface CircuitOptions {
  dependency: Dependency;
  probe: Probe;
  /** Outage failures in a row that open the circuit (default 3). */
  failureThreshold?: number;
  /** First probe delay (default 1 000 ms); doubles per failed probe up to probeMaxMs (default 30 000 ms). */
  probeMinMs?: number;
  probeMaxMs?: number;
  /** A single probe's time limit (default 5 000 ms). */
  probeTimeoutMs?: number;
  /** Called on every change between open and closed (never throws into the caller). */
  onChange?: (open: boolean, why: IngestError | undefined) => void;
}

export class Circuit {
  readonly dependency: Dependency;
  readonly #o: CircuitOptions;
  readonly #threshold: number;
  #failures = 0;
  #open = false;
  #lastError: IngestError | undefined;
  #probing: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #openedAt = 0;

  constructor(options: CircuitOptions) {
    this.dependency = options.dependency;
    this.#o = options;
    this.#threshold = Math.max(1, options.failureThreshold ?? 3);
  }

  get open(): boolean {
    return this.#open;
  }

  /** The failure that opened the circuit (or the latest one while it is open). */
  get lastError(): IngestError | undefined {
    return this.#lastError;
  }

  /** When the circuit last opened (epoch ms; 0 if never). */
  get openedAt(): number {
    return this.#openedAt;
  }

  /** Run a call to the dependency through the circuit: fail fast while open, count the outcome. */
  async call<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#open) throw this.openError();
    try {
      const result = await fn();
      this.success();
      return result;
    } catch (err) {
      throw this.failure(err);
    }
  }

  /** Record a successful call. */
  success(): void {
    if (!this.#open) this.#failures = 0;
  }

  /** Record a failed call; returns the error, classified and attributed to this dependency. */
  failure(err: unknown): IngestError {
    const error = classifyError(err).from(this.dependency);
    if (!isOutage(error)) {
      if (!this.#open) this.#failures = 0;
      return error;
    }
    this.#lastError = error;
    if (!this.#open && ++this.#failures >= this.#threshold) this.#trip(error);
    return error;
  }

  /**
   * Is the dependency down right now? Open ⇒ yes; else one probe decides, and a failed probe opens
   * the circuit. Asked before a message whose last attempt failed on this dependency is dead-lettered.
   */
  async confirmDown(signal?: AbortSignal): Promise<boolean> {
    if (this.#open) return true;
    try {
      await this.#probeOnce(signal);
      return false;
    } catch (err) {
      const error = classifyError(err).from(this.dependency);
      if (!isOutage(error)) return false;
      this.#lastError = error;
      this.#trip(error);
      return true;
    }
  }

  /** The error calls are refused with while the circuit is open. */
  openError(): IngestError {
    const why = this.#lastError ? `: ${this.#lastError.code}: ${this.#lastError.message}` : '';
    return new IngestError(
      'DEPENDENCY_CIRCUIT_OPEN',
      `${this.dependency} is unavailable; calls are paused until a probe succeeds${why}`,
      { retryable: true, dependency: this.dependency },
    );
  }

  /** End the probe loop (the circuit keeps its state); resolves once the loop has returned. */
  async stop(): Promise<void> {
    this.#probing?.abort();
    this.#probing = undefined;
    await this.#loop;
  }

  #trip(error: IngestError): void {
    if (this.#open) return;
    this.#open = true;
    this.#openedAt = Date.now();
    this.#notify(true, error);
    this.#probing = new AbortController();
    this.#loop = this.#probeLoop(this.#probing.signal);
  }

  async #probeLoop(signal: AbortSignal): Promise<void> {
    const min = this.#o.probeMinMs ?? 1_000;
    const max = this.#o.probeMaxMs ?? 30_000;
    for (let attempt = 0; !signal.aborted; attempt++) {
      const waited = await sleep(jitteredBackoff(attempt, min, max), true, { signal }).catch(() => false);
      if (!waited) return;
      try {
        await this.#probeOnce(signal);
      } catch (err) {
        if (signal.aborted) return;
        const error = classifyError(err).from(this.dependency);
        if (isOutage(error)) this.#lastError = error;
        // a probe that gets a non-outage answer (403, 404) still proves the service answers
        if (isOutage(error)) continue;
      }
      this.#open = false;
      this.#failures = 0;
      this.#probing = undefined;
      this.#notify(false, undefined);
      return;
    }
  }

  async #probeOnce(signal: AbortSignal | undefined): Promise<void> {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new DOMException('probe timed out', 'TimeoutError')), this.#o.probeTimeoutMs ?? 5_000);
    try {
      await this.#o.probe(signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal);
    } finally {
      clearTimeout(timer);
    }
  }

  #notify(open: boolean, why: IngestError | undefined): void {
    try {
      this.#o.onChange?.(open, why);
    } catch {
      // a listener (metrics, logs) must not break the circuit
    }
  }
}
