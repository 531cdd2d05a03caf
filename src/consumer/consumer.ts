import type { SQSClient } from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';
import { IngestError } from '../core/errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { MessageOutcome } from '../core/outcome.ts';
import type { JobResult, MessageProcessor } from './processor.ts';
import { classifyError } from '../core/classify.ts';
import type { Acknowledger } from './acknowledger.ts';
import type { FinishPredictor } from './finish-predictor.ts';
import type { BackoffPolicy } from './backoff.ts';
import { Heartbeat } from './heartbeat.ts';
import { JobDeadline } from './job-deadline.ts';
import { Poller } from './poller.ts';
import { totalReceives, type QueueMessage } from './queue-message.ts';
import { Settler } from './settler.ts';
import { Settlements } from './settlements.ts';
import type { DrainTarget } from './shutdown.ts';
import type { Dependency } from '../core/errors.ts';

export interface ConsumerOptions {
  sqs: SQSClient;
  queueUrl: string;
  acknowledger: Acknowledger;
  capacity: number;
  visibilityTimeoutSeconds: number;
  process: MessageProcessor;
  logger: Logger;
  metrics: Metrics;
  waitTimeSeconds?: number;
  backoff?: BackoffPolicy;
  /** Told of every settled message (a listener's throw is logged, never fatal). */
  onSettled?: (message: QueueMessage, outcome: MessageOutcome, result: JobResult) => void;
  /** Told the number of jobs in flight whenever one starts or ends (a listener's throw is logged). */
  onInFlightChange?: (inFlight: number) => void;
  /** Why and how long (ms) receiving should wait, e.g. while a dependency's circuit is open; undefined ⇒ receive. */
  pauseReceiving?: () => { ms: number; reason: string } | undefined;
  /** maxReceiveCount of the queue's RedrivePolicy (undefined: none): see settler.ts. */
  maxReceiveCount?: number | undefined;
  /** Is this dependency down right now (the gate)? A retry on it is then never dead-lettered. */
  confirmDown?: (dependency: Dependency) => Promise<boolean>;
  anyDown?: () => boolean;
  /** A job's deadline (job-deadline.ts); undefined ⇒ none. */
  jobTimeout?: { baseMs: number; perPageMs: number };
  /** How long a job aborted at its deadline may take to stop before its slot is freed anyway (default 5 000 ms). */
  abandonAfterMs?: number;
}

/** The reason a job's signal carries at its deadline. */
export const JOB_TIMEOUT = (ms: number) => new IngestError('JOB_TIMEOUT', `the job ran past its deadline (${(ms / 1000).toFixed(1)} s; INGEST_JOB_TIMEOUT_SECONDS)`, { retryable: true });

/** The reason a job's signal carries when the daemon gives its message back to the queue. */
export const RELEASE = (why: string) => new IngestError('RELEASED', `released: ${why}`, { retryable: true });

/**
 * Receives messages (through the Poller), tracks the jobs in flight, and runs each under a lease
 * heartbeat and its deadline; each finished job is settled into exactly one outcome of
 * docs/design.md §4 by settlements.ts. The drain is shutdown.ts, which drives this as its DrainTarget.
 */
export class Consumer implements DrainTarget {
  readonly #o: ConsumerOptions;
  readonly #poller: Poller;
  readonly #jobs = new Map<string, AbortController>();
  readonly #settlements: Settlements;
  /** Why receiving is paused right now (pauseReceiving), for the log. */
  #pauseReason: string | undefined;
  /** When each in-flight job started (epoch ms), by message id. */
  readonly #startedAt = new Map<string, number>();
  /** Durations (ms) of the last jobs that finished 'done': the predictor's evidence. */
  readonly #durations: number[] = [];

  constructor(options: ConsumerOptions) {
    this.#o = options;
    const settler = new Settler({
      acknowledger: options.acknowledger,
      maxReceiveCount: options.maxReceiveCount,
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.confirmDown ? { confirmDown: options.confirmDown } : {}),
      ...(options.anyDown ? { anyDown: options.anyDown } : {}),
    });
    this.#settlements = new Settlements({
      settler,
      logger: options.logger,
      metrics: options.metrics,
      maxReceiveCount: options.maxReceiveCount,
      ...(options.onSettled ? { onSettled: options.onSettled } : {}),
    });
    this.#poller = new Poller({
      sqs: options.sqs,
      queueUrl: options.queueUrl,
      capacity: options.capacity,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
      ...(options.waitTimeSeconds === undefined ? {} : { waitTimeSeconds: options.waitTimeSeconds }),
      handle: (m) => this.#handle(m),
      giveBack: (m) => this.#settlements.giveBack(m),
      pauseFor: () => this.#pauseFor(),
      onReceiveError: (err, n) => {
        options.metrics.receiveErrors.inc();
        options.logger.warn({ err: classifyError(err), consecutiveFailures: n }, 'receive failed; backing off');
      },
    });
  }

  /** The pause the poller asks for; logs when receiving pauses and resumes. */
  #pauseFor(): number {
    const pause = this.#o.pauseReceiving?.();
    const reason = pause !== undefined && pause.ms > 0 ? pause.reason : undefined;
    if (reason !== this.#pauseReason) {
      if (reason !== undefined) this.#o.logger.warn({ reason, pauseMs: pause!.ms }, 'receiving paused');
      else this.#o.logger.info({ after: this.#pauseReason }, 'receiving resumed');
      this.#pauseReason = reason;
    }
    return reason !== undefined ? pause!.ms : 0;
  }

  get inFlight(): number {
    return this.#poller.inFlight;
  }

  get receiving(): boolean {
    return !this.#poller.stopped;
  }

  /** Why the queue side is unhealthy, or undefined: 3+ failed receives in a row opens the circuit. */
  get queueProblem(): string | undefined {
    const n = this.#poller.consecutiveFailures;
    return n >= 3 ? `sqs: ${n} receives failed in a row` : undefined;
  }

  start(): void {
    this.#poller.start();
  }

  /**
   * Stop receiving at once (no new receive); in-flight work continues. A long poll in progress
   * returns on its own, unless `abort`.
   */
  stopReceiving(options: { abort?: boolean } = {}): Promise<void> {
    return this.#poller.stop(options);
  }

  /** Messages made visible again (released, given back, rolled over) since start. */
  get madeVisible(): number {
    return this.#settlements.madeVisible;
  }

  /** Resolves once no job runs and every settlement has been sent. */
  async idle(): Promise<void> {
    await this.#poller.idle();
    await this.#settlements.idle();
  }

  /** Flushes and closes the acknowledger: after the last settlement. */
  close(): Promise<void> {
    return this.#o.acknowledger.close();
  }

  /**
   * Give every in-flight message back to the queue now. A long poll in progress is never aborted
   * here: abandoned, it stays alive on the SQS side and can swallow the very messages just
   * released, hiding them for a whole visibility timeout. The drain waits for it instead.
   */
  releaseAll(why: string): void {
    for (const controller of this.#jobs.values()) controller.abort(RELEASE(why));
  }

  /** Release at once every in-flight job expected to finish after `deadline`. */
  releaseUnlikely(deadline: number, predict: FinishPredictor): void {
    const now = Date.now();
    for (const [id, controller] of this.#jobs) {
      if (controller.signal.aborted) continue;
      const startedAt = this.#startedAt.get(id) ?? now;
      const remaining = predict(now - startedAt, this.#durations);
      if (remaining !== undefined && now + remaining > deadline) {
        this.#o.logger.info({ messageId: id, elapsedMs: now - startedAt, expectedRemainingMs: remaining, deadlineInMs: deadline - now }, 'releasing early: not expected to finish before the drain deadline');
        controller.abort(RELEASE('not expected to finish before the drain deadline'));
      }
    }
  }

  async #handle(message: QueueMessage): Promise<void> {
    const { logger, metrics, acknowledger, visibilityTimeoutSeconds } = this.#o;
    const log = logger.child({ messageId: message.messageId, receiveCount: totalReceives(message) });
    if (this.#settlements.rollsOverOnReceipt(message)) {
      await this.#settlements.rollOver(message, log);
      return;
    }
    const controller = new AbortController();
    this.#jobs.set(message.messageId, controller);
    this.#startedAt.set(message.messageId, Date.now());
    metrics.inFlight.inc();
    this.#inFlightChanged(log);
    const renewals = new Set<() => Promise<void>>();
    const heartbeat = new Heartbeat({
      intervalMs: (visibilityTimeoutSeconds * 1000) / 3,
      beat: async () => {
        await acknowledger.changeVisibility(message.receiptHandle, visibilityTimeoutSeconds, controller.signal);
        metrics.visibilityExtensions.inc({ result: 'ok' });
        for (const renew of renewals) await renew();
      },
      onError: (err) => {
        const e = classifyError(err);
        metrics.visibilityExtensions.inc({ result: 'failed' });
        log.warn({ err: e }, 'lease renewal failed');
        if (e.code === 'LEASE_LOST') controller.abort(e);
      },
    }).start();

    const timeout = this.#o.jobTimeout;
    const deadline = timeout
      ? new JobDeadline({
        ...timeout,
        onExpire: () => {
          const error = JOB_TIMEOUT(Date.now() - (this.#startedAt.get(message.messageId) ?? Date.now()));
          metrics.jobTimeouts.inc();
          log.warn({ code: error.code, deadline: new Date(deadline?.at ?? Date.now()).toISOString() }, 'job past its deadline: aborting it (its worker thread is replaced)');
          controller.abort(error);
        },
      })
      : undefined;
    let result: JobResult;
    try {
      const job = this.#o.process(message, {
        signal: controller.signal,
        log,
        keepAlive: (renew) => {
          renewals.add(renew);
          return () => renewals.delete(renew);
        },
        pageDone: () => deadline?.pageDone(),
        park: () => this.#poller.park(),
      });
      result = await (deadline ? Promise.race([job, deadline.passed.then(() => this.#abandon(job, controller.signal, log))]) : job);
    } catch (err) {
      result = { outcome: 'retry', error: classifyError(err), events: [] };
    } finally {
      deadline?.stop();
      await heartbeat.stop();
    }
    const reason: unknown = controller.signal.reason;
    if (controller.signal.aborted && result.outcome === 'retry' && reason instanceof IngestError && reason.code === 'RELEASED') {
      result = { ...result, outcome: 'released', error: reason };
    } else if (deadline?.expired && result.outcome === 'retry' && reason instanceof IngestError) {
      result = { ...result, error: reason }; // whatever the job made of its abort, the reason is its deadline
    }
    this.#jobs.delete(message.messageId);
    const startedAt = this.#startedAt.get(message.messageId);
    this.#startedAt.delete(message.messageId);
    if (result.outcome === 'done' && startedAt !== undefined) {
      this.#durations.push(Date.now() - startedAt);
      if (this.#durations.length > 200) this.#durations.shift();
    }
    metrics.inFlight.dec();
    this.#inFlightChanged(log);
    // The slot is free as soon as the work is: the delete is batched and may wait a few ms for
    // company, and a slot held through that wait would idle (idle() waits for these).
    this.#settlements.add(message, result, log);
  }

  #inFlightChanged(log: Logger): void {
    try {
      this.#o.onInFlightChange?.(this.#jobs.size);
    } catch (err) {
      log.warn({ err }, 'an onInFlightChange listener failed');
    }
  }

  /**
   * After its deadline a job has `abandonAfterMs` to stop (its worker thread is terminated at once;
   * code on the main thread checks the signal). One that still has not is left behind: its slot
   * and lease are given up all the same, so no slot is held past the deadline.
   */
  async #abandon(job: Promise<JobResult>, signal: AbortSignal, log: Logger): Promise<JobResult> {
    const grace = new AbortController();
    const givenUp = sleep(this.#o.abandonAfterMs ?? 5_000, undefined, { signal: grace.signal }).catch(() => undefined);
    try {
      const stopped = await Promise.race([job.catch((err: unknown) => ({ outcome: 'retry' as const, error: classifyError(err), events: [] })), givenUp]);
      if (stopped !== undefined) return stopped;
      log.error('job did not stop after its deadline: its slot and lease are given up, the job is left behind');
      return { outcome: 'retry', error: classifyError(signal.reason), events: [] };
    } finally {
      grace.abort(); // no timer left behind
    }
  }
}
