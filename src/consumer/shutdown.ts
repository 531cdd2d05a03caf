/**
 * The drain (docs/design.md §7) as one object, in the style of graphile-worker's graceful shutdown:
 * whichever trigger comes first — a signal, a spot interruption notice, a rebalance recommendation,
 * a lifecycle hook — `request(reason, deadline)` starts it; a later trigger can only move the
 * deadline earlier; `forceNow(reason)` gives every message back at once; `done` resolves when every
 * received message is done or back on the queue; `reason` is what /readyz reports.
 *
 * The drain itself: stop receiving at once, let the work in flight finish until the deadline
 * (releasing early, with a predictor, the jobs not expected to make it), release what is left,
 * wait for the last long poll when something was made visible (an abandoned poll could swallow it),
 * and close the acknowledger once every settlement is sent.
 */
import type { Logger } from '../observability/logger.ts';
import type { FinishPredictor } from './finish-predictor.ts';

/** What the shutdown drains: the consumer. */
export interface DrainTarget {
  readonly inFlight: number;
  /** Messages made visible again (released, given back) since start. */
  readonly madeVisible: number;
  /** Stop receiving (a long poll in progress returns on its own unless `abort`). */
  stopReceiving(options?: { abort?: boolean }): Promise<void>;
  /** Resolves once no job runs and every settlement has been sent. */
  idle(): Promise<void>;
  /** Gives every job in flight back to the queue now. */
  releaseAll(why: string): void;
  /** Gives back at once the jobs `predict` does not expect to finish before `deadline`. */
  releaseUnlikely(deadline: number, predict: FinishPredictor): void;
  /** After the last settlement: flushes and closes what sends them. */
  close(): Promise<void>;
}

export interface ShutdownOptions {
  target: DrainTarget;
  logger: Logger;
  /** Early release under a finite deadline (finish-predictor.ts); without it, jobs run to the deadline. */
  predict?: FinishPredictor;
  /** Told once, when the drain starts (the `draining` gauge). */
  onStart?: (reason: string) => void;
}

/** setTimeout's longest wait; a longer one is re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class Shutdown {
  readonly #o: ShutdownOptions;
  /** Epoch ms; Infinity: wait for all the work. */
  #deadline = Number.POSITIVE_INFINITY;
  #reason: string | undefined;
  #rearm: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #resolveDone!: () => void;
  #rejectDone!: (err: unknown) => void;
  /** Resolves when the drain has finished: every received message is done or back on the queue. */
  readonly done: Promise<void>;

  constructor(options: ShutdownOptions) {
    this.#o = options;
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#rejectDone = reject;
    });
  }

  /** Whether a drain has been requested. */
  get requested(): boolean {
    return this.#reason !== undefined;
  }

  /** What started the drain (undefined: nothing yet). */
  get reason(): string | undefined {
    return this.#reason;
  }

  /** When the drain gives up waiting and releases what is left (epoch ms; Infinity: never). */
  get deadline(): number {
    return this.#deadline;
  }

  /**
   * Starts the drain with `deadline` (epoch ms; Infinity: none), or — when one is under way — moves
   * its deadline earlier. A later deadline is ignored: a drain is only ever shortened. True when the
   * drain started or its deadline moved.
   */
  request(reason: string, deadline: number, fields: Record<string, unknown> = {}): boolean {
    const { logger, target } = this.#o;
    const deadlineField = Number.isFinite(deadline) ? { deadline: new Date(deadline).toISOString(), deadlineInMs: deadline - Date.now() } : { deadline: 'none' };
    if (this.#reason === undefined) {
      this.#reason = reason;
      this.#deadline = deadline;
      this.#o.onStart?.(reason);
      logger.info({ reason, ...fields, ...deadlineField, inFlight: target.inFlight }, 'draining: stopped receiving');
      this.#run().then(this.#resolveDone, this.#rejectDone);
      return true;
    }
    if (!(deadline < this.#deadline)) return false;
    this.#deadline = deadline;
    logger.warn({ reason, ...fields, ...deadlineField, inFlight: target.inFlight }, 'drain deadline moved earlier');
    this.#rearm?.();
    return true;
  }

  /** Gives every message in flight back to the queue now, starting the drain if none is under way. */
  forceNow(reason: string, fields: Record<string, unknown> = {}): void {
    const { logger, target } = this.#o;
    if (this.#reason === undefined) {
      this.request(reason, Date.now(), fields);
      return;
    }
    logger.warn({ ...fields, inFlight: target.inFlight }, `${reason}: releasing all in-flight messages now`);
    this.#deadline = Math.min(this.#deadline, Date.now());
    target.releaseAll(reason);
    this.#rearm?.();
  }

  async #run(): Promise<void> {
    const { target, predict, logger } = this.#o;
    const visibleBefore = target.madeVisible;
    let loopEnded = false;
    const stopped = target.stopReceiving().then(() => (loopEnded = true));
    const workDone = target.idle();
    const deadlineReached = new Promise<void>((resolve) => {
      const arm = (): void => {
        clearTimeout(this.#timer);
        if (predict && Number.isFinite(this.#deadline)) target.releaseUnlikely(this.#deadline, predict);
        const wait = this.#deadline - Date.now();
        if (wait <= 0) resolve();
        else if (Number.isFinite(wait)) this.#timer = setTimeout(arm, Math.min(wait, MAX_TIMER_MS));
      };
      this.#rearm = arm;
      arm();
    });
    // With a predictor, look again every second: a job's chances shrink as the deadline nears.
    const recheck = predict
      ? setInterval(() => {
        if (Number.isFinite(this.#deadline)) target.releaseUnlikely(this.#deadline, predict);
      }, 1_000).unref()
      : undefined;
    try {
      await Promise.race([workDone, deadlineReached]);
    } finally {
      clearInterval(recheck);
      clearTimeout(this.#timer);
      this.#rearm = undefined;
    }
    if (target.inFlight > 0) target.releaseAll('drain deadline reached');
    await workDone;
    if (!loopEnded) {
      if (target.madeVisible === visibleBefore) {
        // Nothing was handed back, so nothing can be swallowed by an abandoned poll: end it now.
        await target.stopReceiving({ abort: true });
      } else {
        logger.info('waiting for the last long poll to return, so it cannot hide a released message');
      }
    }
    await stopped;
    await target.idle();
    await target.close();
  }
}
