/**
 * A circuit breaker for calls to a remote service (Bedrock): after `failureThreshold` consecutive
 * failures it opens and every call fails fast with `openError()` for `openMs`; then the next call
 * is a single half-open trial (calls during the trial still fail fast) whose outcome closes it or
 * opens it again. A success, or an error that is not a failure (a permanent rejection of one input
 * proves the service is up), resets the count.
 *
 * There are no timers: time is read from `now()` on each call, so nothing can leak or keep the
 * process alive. A call's outcome only moves the breaker if the breaker has not changed state since
 * the call started (a slow call from before it opened neither closes nor re-opens it).
 */
import { isIngestError } from '../../core/errors.ts';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** For messages and logs. */
  name: string;
  /** Consecutive failures that open the circuit; default 5. */
  failureThreshold?: number;
  /** How long it stays open before a trial call; default 30 000 ms. */
  openMs?: number;
  /** Which errors count as the service failing; default: a retryable IngestError that is not an abort. */
  isFailure?: (err: unknown) => boolean;
  /** The error calls are rejected with while the circuit is open (or a trial is running). */
  openError: () => Error;
  /** Milliseconds; default Date.now. */
  now?: () => number;
  /** Called on every state change; an exception from it is ignored. */
  onStateChange?: (state: CircuitState, previous: CircuitState) => void;
}

export const DEFAULT_FAILURE_THRESHOLD = 5;
export const DEFAULT_OPEN_MS = 30_000;

/** The default failure test: the service is failing (retryable), and the call was not just aborted. */
export function isServiceFailure(err: unknown): boolean {
  if (!isIngestError(err) || !err.retryable) return false;
  return err.code !== 'ABORTED' && !(err.cause instanceof Error && err.cause.name === 'AbortError');
}

export class CircuitBreaker {
  readonly name: string;
  readonly failureThreshold: number;
  readonly openMs: number;
  readonly #isFailure: (err: unknown) => boolean;
  readonly #openError: () => Error;
  readonly #now: () => number;
  readonly #onStateChange: ((state: CircuitState, previous: CircuitState) => void) | undefined;
  #state: CircuitState = 'closed';
  /** Bumped on every state change: outcomes of calls started in an earlier epoch are stale. */
  #epoch = 0;
  #failures = 0;
  #openUntil: number | undefined;
  #lastError: unknown;

  constructor(options: CircuitBreakerOptions) {
    const threshold = options.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
    const openMs = options.openMs ?? DEFAULT_OPEN_MS;
    if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError(`failureThreshold must be a positive integer, not ${threshold}`);
    if (!(openMs >= 0)) throw new RangeError(`openMs must be at least 0, not ${openMs}`);
    this.name = options.name;
    this.failureThreshold = threshold;
    this.openMs = openMs;
    this.#isFailure = options.isFailure ?? isServiceFailure;
    this.#openError = options.openError;
    this.#now = options.now ?? Date.now;
    this.#onStateChange = options.onStateChange;
  }

  /**
   * The state as of the last call: an open circuit whose time is up stays 'open' until the next
   * call makes it a half-open trial (`trialDue` tells).
   */
  get state(): CircuitState {
    return this.#state;
  }

  /** While open (or half-open): when the circuit opened last ends (ms, per `now()`). */
  get openUntil(): number | undefined {
    return this.#openUntil;
  }

  /** Open, and its time is up: the next call will be the half-open trial (an idle breaker stays 'open'). */
  get trialDue(): boolean {
    return this.#state === 'open' && this.#now() >= (this.#openUntil ?? 0);
  }

  /** The most recent failure (per isFailure), kept after the circuit closes. */
  get lastError(): unknown {
    return this.#lastError;
  }

  /** Failures in a row so far. */
  get consecutiveFailures(): number {
    return this.#failures;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#state === 'half-open') throw this.#openError();
    if (this.#state === 'open') {
      if (this.#now() < (this.#openUntil ?? 0)) throw this.#openError();
      this.#transition('half-open');
    }
    const epoch = this.#epoch;
    let result: T;
    try {
      result = await fn();
    } catch (err) {
      this.#settle(epoch, err);
      throw err;
    }
    this.#settle(epoch, undefined, true);
    return result;
  }

  #settle(epoch: number, err: unknown, succeeded = false): void {
    const failed = !succeeded && this.#isFailure(err);
    if (failed) this.#lastError = err;
    if (epoch !== this.#epoch) return;
    if (!failed) {
      this.#failures = 0;
      if (this.#state === 'half-open') this.#transition('closed');
      return;
    }
    this.#failures++;
    if (this.#state === 'half-open' || this.#failures >= this.failureThreshold) this.#transition('open');
  }

  #transition(state: CircuitState): void {
    const previous = this.#state;
    this.#state = state;
    this.#epoch++;
    if (state === 'open') this.#openUntil = this.#now() + this.openMs;
    if (state === 'closed') {
      this.#openUntil = undefined;
      this.#failures = 0;
    }
    try {
      this.#onStateChange?.(state, previous);
    } catch {
      // a listener (metrics, logs) must not break the call it observes
    }
  }
}
