/**
 * Scale-in protection that follows the work (INGEST_SCALE_IN_PROTECTION=on): the Auto Scaling
 * group may pick only idle instances when it scales in. SetInstanceProtection(true) as soon as a
 * message is in flight; (false) once nothing has been in flight for `idleMs`, and when the drain
 * ends. The API is called on transitions only — never per message: update() is a cheap, synchronous
 * notification, and one call at a time reconciles the wanted state with the last one set. Failures
 * are retried with exponential backoff (jittered, up to maxBackoffMs) and logged at the 1st, 2nd,
 * 4th, 8th… in a row. Timers are unref'd and cleared by close().
 *
 * The protection an instance starts with is unknown (the group's NewInstancesProtectedFromScaleIn),
 * so start() arms the idle timer too: an instance that stays idle is unprotected once.
 */
import type { Logger } from '../../observability/logger.ts';
import { classifyError } from '../../core/classify.ts';
import type { AutoScalingPort, TargetResolver } from './port.ts';
import { jitteredBackoff } from '../../core/backoff.ts';

export interface ScaleInProtectionOptions {
  asg: Pick<AutoScalingPort, 'setInstanceProtection'>;
  target: TargetResolver;
  logger: Logger;
  /** Nothing in flight for this long ⇒ protection off. */
  idleMs: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export class ScaleInProtection {
  readonly #o: ScaleInProtectionOptions;
  readonly #minBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #abort = new AbortController();
  /** What should be set (undefined: nothing asked yet). */
  #wanted: boolean | undefined;
  /** What was last set successfully (undefined: unknown). */
  #current: boolean | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #call: Promise<void> | undefined;
  #failures = 0;
  #calls = 0;
  /** After removeProtection(): the drain is over, nothing turns protection on again. */
  #removed = false;
  #closed = false;
  /** Told when a call ends (removeProtection() waits for one). */
  readonly #waiters = new Set<() => void>();

  constructor(options: ScaleInProtectionOptions) {
    this.#o = options;
    this.#minBackoffMs = options.minBackoffMs ?? 1_000;
    this.#maxBackoffMs = Math.max(this.#minBackoffMs, options.maxBackoffMs ?? 60_000);
  }

  /** The protection last set (undefined: never set by this process). */
  get protected(): boolean | undefined {
    return this.#current;
  }

  /** SetInstanceProtection calls made so far (tests, logs). */
  get calls(): number {
    return this.#calls;
  }

  /** Arm the idle timer: an instance that stays idle from the start is unprotected once. */
  start(): this {
    this.update(0);
    return this;
  }

  /** The consumer's in-flight count changed (cheap; calls the API only on a transition). */
  update(inFlight: number): void {
    if (this.#removed || this.#closed) return;
    if (inFlight > 0) {
      this.#clearIdle();
      this.#want(true);
    } else if (this.#idleTimer === undefined && (this.#wanted !== false || this.#current !== false)) {
      this.#idleTimer = setTimeout(() => {
        this.#idleTimer = undefined;
        this.#want(false);
      }, this.#o.idleMs);
      this.#idleTimer.unref();
    }
  }

  /**
   * The drain is over: protection off (when this process turned it on, or is turning it on) and
   * nothing turns it on again. Waits for that call (or its first failure), at most `timeoutMs`.
   */
  async removeProtection(timeoutMs = 10_000): Promise<void> {
    if (this.#closed) return;
    this.#removed = true;
    this.#clearIdle();
    if (this.#current !== true && this.#wanted !== true) return;
    const failuresBefore = this.#failures;
    this.#want(false);
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      const check = () => {
        const settled = this.#call === undefined && (this.#current === false || this.#failures > failuresBefore);
        if (settled || this.#closed) {
          this.#waiters.delete(check);
          resolve();
        }
      };
      this.#waiters.add(check);
      timer = setTimeout(() => {
        this.#waiters.delete(check);
        resolve();
      }, timeoutMs);
      timer.unref();
      check();
    });
    clearTimeout(timer);
  }

  /** Stop: clears every timer, aborts a call in progress and waits for it. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#clearIdle();
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#abort.abort(new Error('scale-in protection closed'));
    await this.#call;
    for (const waiter of [...this.#waiters]) waiter();
  }

  #clearIdle(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  #want(value: boolean): void {
    this.#wanted = value;
    this.#reconcile();
  }

  #reconcile(): void {
    if (this.#closed || this.#call !== undefined || this.#retryTimer !== undefined) return;
    const value = this.#wanted;
    if (value === undefined || value === this.#current) return;
    this.#calls += 1;
    this.#call = this.#set(value).finally(() => {
      this.#call = undefined;
      for (const waiter of [...this.#waiters]) waiter();
      this.#reconcile();
    });
  }

  async #set(value: boolean): Promise<void> {
    const signal = this.#abort.signal;
    try {
      const target = await this.#o.target(signal);
      await this.#o.asg.setInstanceProtection({ ...target, protectedFromScaleIn: value }, signal);
      this.#current = value;
      if (this.#failures > 0) this.#o.logger.info({ afterFailures: this.#failures }, 'SetInstanceProtection answers again');
      this.#failures = 0;
      this.#o.logger.info({ protectedFromScaleIn: value, instanceId: target.instanceId, group: target.groupName }, `scale-in protection ${value ? 'on' : 'off'}`);
    } catch (err) {
      if (this.#closed) return;
      this.#failures += 1;
      const n = this.#failures;
      const e = classifyError(err);
      if ((n & (n - 1)) === 0) {
        this.#o.logger.warn({ err: { code: e.code, message: e.message }, protectedFromScaleIn: value, consecutiveFailures: n }, 'SetInstanceProtection failed; retrying with backoff');
      }
      // a rejection (no such group, instance not InService, access denied) will not go away soon
      const delay = jitteredBackoff(e.retryable ? n - 1 : Number.POSITIVE_INFINITY, this.#minBackoffMs, this.#maxBackoffMs, 0.25);
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = undefined;
        this.#reconcile();
      }, Math.round(delay));
      this.#retryTimer.unref();
    }
  }
}
