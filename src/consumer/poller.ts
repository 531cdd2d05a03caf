import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';
import { toQueueMessage, type QueueMessage } from './queue-message.ts';

export interface PollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  /** Messages in flight at most (INGEST_CONCURRENCY). */
  capacity: number;
  visibilityTimeoutSeconds: number;
  waitTimeSeconds?: number;
  /** Starts work on one message; the returned promise settles when its slot is free again. */
  handle: (message: QueueMessage) => Promise<void>;
  onReceiveError: (err: unknown, consecutiveFailures: number) => void;
}

/**
 * Slot-aware long-poll loop: asks SQS only for as many messages as there are free slots and starts
 * each one the moment it arrives, so one slow file never holds the others back (no batch barrier).
 */
export class Poller {
  readonly #o: PollerOptions;
  readonly #stop = new AbortController();
  readonly #active = new Set<Promise<void>>();
  #slotFreed: (() => void) | undefined;
  #loop: Promise<void> | undefined;

  constructor(options: PollerOptions) {
    this.#o = options;
  }

  get inFlight(): number {
    return this.#active.size;
  }

  get stopped(): boolean {
    return this.#stop.signal.aborted;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stop receiving at once (aborts the long poll). Work in flight goes on; see idle(). */
  async stop(): Promise<void> {
    this.#stop.abort(new Error('poller stopped'));
    this.#slotFreed?.();
    await this.#loop;
  }

  /** Resolves when no message is in flight. */
  async idle(): Promise<void> {
    while (this.#active.size > 0) await Promise.allSettled([...this.#active]);
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    let failures = 0;
    while (!signal.aborted) {
      const free = this.#o.capacity - this.#active.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.#slotFreed = resolve));
        this.#slotFreed = undefined;
        continue;
      }
      try {
        const out = await this.#o.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.#o.queueUrl,
            MaxNumberOfMessages: Math.min(10, free),
            WaitTimeSeconds: this.#o.waitTimeSeconds ?? 20,
            VisibilityTimeout: this.#o.visibilityTimeoutSeconds,
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          }),
          { abortSignal: signal },
        );
        failures = 0;
        for (const raw of out.Messages ?? []) {
          const message = toQueueMessage(raw);
          if (message !== null) this.#track(message);
        }
      } catch (err) {
        if (signal.aborted) break;
        failures += 1;
        this.#o.onReceiveError(err, failures);
        const delayMs = Math.min(30_000, 500 * 2 ** Math.min(failures - 1, 6)) * (0.5 + Math.random() / 2);
        await sleep(delayMs, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  #track(message: QueueMessage): void {
    const job: Promise<void> = this.#o
      .handle(message)
      .catch(() => undefined) // handle() owns its errors; a throw must never kill the loop
      .finally(() => {
        this.#active.delete(job);
        this.#slotFreed?.();
      });
    this.#active.add(job);
  }
}
