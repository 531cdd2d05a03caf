import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';
import { toQueueMessage, type QueueMessage } from './queue-message.ts';
import { jitteredBackoff } from '../core/backoff.ts';

/** Failed receives back off from 0.5 s, doubling, up to 30 s. */
const RECEIVE_RETRY_BASE_MS = 500;
const RECEIVE_RETRY_MAX_MS = 30_000;

export interface PollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  /** Messages in flight at most (INGEST_CONCURRENCY). */
  capacity: number;
  visibilityTimeoutSeconds: number;
  waitTimeSeconds?: number;
  /** Starts work on one message; the returned promise settles when its slot is free again. */
  handle: (message: QueueMessage) => Promise<void>;
  /** Gives back (visibility 0) a message that arrived after stop() — it is never started. */
  giveBack: (message: QueueMessage) => Promise<void>;
  onReceiveError: (err: unknown, consecutiveFailures: number) => void;
  /**
   * Milliseconds to pause receiving (0: receive). Asked before every receive, so a dependency
   * that is down (the Bedrock circuit) leaves messages in the queue instead of failing them one by
   * one and using up their receive counts.
   */
  pauseFor?: () => number;
}

/**
 * Slot-aware long-poll loop: asks SQS only for as many messages as there are free slots and starts
 * each one the moment it arrives, so one slow file never holds the others back (no batch barrier).
 *
 * stop() sends no new receive but lets a long poll in progress return, and gives back whatever it
 * brings. Aborting the poll instead would leave it alive on the server, where it can swallow a
 * message that is released a moment later and hide it for a whole visibility timeout.
 */
export class Poller {
  readonly #o: PollerOptions;
  readonly #abort = new AbortController();
  #stopping = false;
  readonly #active = new Set<Promise<void>>();
  #slotFreed: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #failures = 0;
  /** Jobs waiting on another job (parked): their slots are lent to new messages. */
  #parked = 0;

  constructor(options: PollerOptions) {
    this.#o = options;
  }

  get inFlight(): number {
    return this.#active.size;
  }

  get stopped(): boolean {
    return this.#stopping;
  }

  /** ReceiveMessage calls that failed in a row (0 after any success). */
  get consecutiveFailures(): number {
    return this.#failures;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /**
   * A job waits on another job's work (a copy of content being extracted): its slot is lent to a
   * new message until the returned function is called (idempotent). At most `capacity` jobs are
   * parked at once, so at most twice `capacity` messages are ever in flight.
   */
  park(): () => void {
    if (this.#parked >= this.#o.capacity) return () => undefined;
    this.#parked += 1;
    this.#slotFreed?.();
    let parked = true;
    return () => {
      if (!parked) return;
      parked = false;
      this.#parked -= 1;
    };
  }

  /**
   * Stop receiving: no new receive is sent. Resolves when the loop has ended (a long poll in
   * progress may take up to WaitTimeSeconds; `abort` cuts it short). Work in flight goes on.
   */
  async stop({ abort = false }: { abort?: boolean } = {}): Promise<void> {
    this.#stopping = true;
    if (abort) this.#abort.abort(new Error('poller aborted'));
    this.#slotFreed?.();
    await this.#loop;
  }

  /** Resolves when no message is in flight. */
  async idle(): Promise<void> {
    while (this.#active.size > 0) await Promise.allSettled([...this.#active]);
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    while (!this.#stopping) {
      const free = this.#o.capacity - (this.#active.size - this.#parked);
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.#slotFreed = resolve));
        this.#slotFreed = undefined;
        continue;
      }
      const pause = this.#o.pauseFor?.() ?? 0;
      if (pause > 0) {
        await this.#wait(pause);
        continue;
      }
      try {
        const out = await this.#o.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.#o.queueUrl,
            MaxNumberOfMessages: Math.min(10, free),
            WaitTimeSeconds: this.#o.waitTimeSeconds ?? 20,
            VisibilityTimeout: this.#o.visibilityTimeoutSeconds,
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'MessageGroupId'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: signal },
        );
        this.#failures = 0;
        for (const raw of out.Messages ?? []) {
          const message = toQueueMessage(raw);
          if (message === null) continue;
          if (this.#stopping) this.#track(message, this.#o.giveBack);
          else this.#track(message, this.#o.handle);
        }
      } catch (err) {
        if (this.#stopping) break;
        this.#failures += 1;
        this.#o.onReceiveError(err, this.#failures);
        const delayMs = jitteredBackoff(this.#failures - 1, RECEIVE_RETRY_BASE_MS, RECEIVE_RETRY_MAX_MS);
        await sleep(delayMs, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  /** Waits `ms`, or less when stop() is called; leaves no timer behind. */
  async #wait(ms: number): Promise<void> {
    const timer = new AbortController();
    const woken = new Promise<void>((resolve) => (this.#slotFreed = resolve));
    await Promise.race([sleep(ms, undefined, { signal: timer.signal }).catch(() => undefined), woken]);
    timer.abort();
    this.#slotFreed = undefined;
  }

  #track(message: QueueMessage, run: (message: QueueMessage) => Promise<void>): void {
    const job: Promise<void> = run(message)
      .catch(() => undefined) // handle() owns its errors; a throw must never kill the loop
      .finally(() => {
        this.#active.delete(job);
        this.#slotFreed?.();
      });
    this.#active.add(job);
  }
}
