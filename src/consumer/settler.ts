/**
 * Outcome → the SQS call (docs/design.md §4). The rules that keep the DLQ for messages that really
 * cannot be processed, each with its reason:
 *
 * - done / duplicate / stale: delete.
 * - dead-letter (a permanent failure): the daemon sends it to the DLQ with ErrorCode, ErrorMessage,
 *   FailedAt, ReceiveCount and the earlier attempts' codes where known.
 * - retry:
 *   - `OBJECT_BUSY` (another job holds the object's lease): given back until the lease ends; never
 *     dead-lettered for that.
 *   - an outage of a dependency that is down (its circuit open, or a probe fails now): given back
 *     with a short visibility, never dead-lettered, however many receives it has had.
 *   - any other transient failure on its last allowed attempt (maxReceiveCount of the queue's
 *     RedrivePolicy): dead-lettered by the daemon with its code. Before that: backoff.
 * - released: visibility 0.
 *
 * "Given back" is a ChangeMessageVisibility — except on the message's last receive before SQS
 * redrive, where it would be moved to the DLQ by SQS with no reason on its next receive: there the
 * message is sent again as a new one (rollover) carrying its receives and codes, and deleted.
 */
import type { Dependency, IngestError } from '../core/errors.ts';
import { dependencyOf, isOutage } from '../core/outage.ts';
import type { Acknowledger } from './acknowledger.ts';
import { defaultBackoff, retryDelaySeconds, type BackoffPolicy } from './backoff.ts';
import { totalReceives, type QueueMessage } from './queue-message.ts';
import type { MessageOutcome } from '../core/outcome.ts';

/** Without a RedrivePolicy (but with INGEST_DLQ_URL) transient failures are dead-lettered after this many receives. */
export const DEFAULT_MAX_RECEIVES = 5;
/** Visibility of a message given back because a dependency is down (receiving is paused meanwhile). */
export const OUTAGE_RETRY_SECONDS = 5;

export interface SettlerOptions {
  acknowledger: Acknowledger;
  /** maxReceiveCount of the queue's RedrivePolicy; undefined: the queue has none. */
  maxReceiveCount: number | undefined;
  backoff?: BackoffPolicy;
  /** Is this dependency down right now? (the gate: open circuit, or a failing probe). */
  confirmDown?: (dependency: Dependency) => Promise<boolean>;
  /** Is any dependency down right now (for an outage error that names none)? */
  anyDown?: () => boolean;
}

/** What settling did, for the outcome line. */
export interface Settlement {
  outcome: MessageOutcome;
  /** How the message went back: visibility change, or a new copy (rollover). */
  via?: 'visibility' | 'rollover';
  /** Seconds until it is visible again (retry / released). */
  delaySeconds?: number;
  /** Why a retry was not dead-lettered on its last attempt. */
  kept?: 'dependency-down' | 'busy';
}

export class Settler {
  readonly #o: SettlerOptions;
  /** The receive after which transient failures are dead-lettered by the daemon. */
  readonly maxReceives: number;

  constructor(options: SettlerOptions) {
    this.#o = options;
    const fromPolicy = options.maxReceiveCount;
    this.maxReceives = options.acknowledger.dlqUrl === undefined ? Number.POSITIVE_INFINITY : (fromPolicy ?? DEFAULT_MAX_RECEIVES);
  }

  /**
   * On this receive SQS moves the message to its DLQ the next time it is received: it must not be
   * given back by a visibility change, nor left to reappear after a crash.
   */
  isLastReceive(message: QueueMessage): boolean {
    const max = this.#o.maxReceiveCount;
    return max !== undefined && message.receiveCount >= max;
  }

  /**
   * Is this message to be rolled over as soon as it is received, before any work? On its last
   * receive before redrive — and, with a maxReceiveCount of 3 or more, already on the one before:
   * a receive whose answer is lost (the long poll of a process that was killed, a reset connection)
   * counts without the daemon ever seeing the message, so one receive is kept in reserve for it.
   * With a maxReceiveCount of 1 nothing can be kept: such messages are rolled over when given back.
   */
  rollsOverOnReceipt(message: QueueMessage): boolean {
    const max = this.#o.maxReceiveCount;
    if (max === undefined || max < 2) return false;
    return message.receiveCount >= (max >= 3 ? max - 1 : max);
  }

  /** A message received on its last receive(s) before redrive is sent again at once, unprocessed. */
  rollOverOnReceipt(message: QueueMessage, codes: readonly string[]): Promise<void> {
    return this.#o.acknowledger.resend(message, { delaySeconds: 0, receives: totalReceives(message) - 1, codes });
  }

  async settle(message: QueueMessage, outcome: MessageOutcome, error: IngestError | undefined, earlierCodes: readonly string[]): Promise<Settlement> {
    const { acknowledger } = this.#o;
    switch (outcome) {
      case 'done':
      case 'duplicate':
      case 'stale':
        await acknowledger.delete(message.receiptHandle);
        return { outcome };
      case 'dead-letter':
        if (error !== undefined && (await acknowledger.deadLetter(message, error, earlierCodes))) return { outcome };
        return { ...(await this.#giveBack(message, this.#backoff(message), earlierCodes, error)), outcome: 'retry' };
      case 'released':
        return { ...(await this.#giveBack(message, 0, earlierCodes, error)), outcome };
      case 'retry':
        return this.#retry(message, error, earlierCodes);
    }
  }

  async #retry(message: QueueMessage, error: IngestError | undefined, earlierCodes: readonly string[]): Promise<Settlement> {
    if (error?.code === 'OBJECT_BUSY') {
      const after = Number(error.details?.['retryAfterSeconds']);
      const seconds = Number.isFinite(after) && after > 0 ? Math.min(after + 1, 900) : this.#backoff(message);
      return { ...(await this.#giveBack(message, seconds, earlierCodes, error)), outcome: 'retry', kept: 'busy' };
    }
    if (error !== undefined && isOutage(error) && (await this.#down(error))) {
      return { ...(await this.#giveBack(message, OUTAGE_RETRY_SECONDS, earlierCodes, error)), outcome: 'retry', kept: 'dependency-down' };
    }
    if (error !== undefined && totalReceives(message) >= this.maxReceives && (await this.#o.acknowledger.deadLetter(message, error, earlierCodes))) {
      return { outcome: 'dead-letter' };
    }
    return { ...(await this.#giveBack(message, this.#backoff(message), earlierCodes, error)), outcome: 'retry' };
  }

  async #down(error: IngestError): Promise<boolean> {
    const dependency = dependencyOf(error);
    if (dependency !== undefined && this.#o.confirmDown) return this.#o.confirmDown(dependency);
    return this.#o.anyDown?.() ?? false;
  }

  #backoff(message: QueueMessage): number {
    return retryDelaySeconds(totalReceives(message), this.#o.backoff ?? defaultBackoff);
  }

  async #giveBack(message: QueueMessage, seconds: number, earlierCodes: readonly string[], error: IngestError | undefined): Promise<Omit<Settlement, 'outcome'>> {
    if (this.isLastReceive(message)) {
      const codes = error ? [...earlierCodes, error.code] : earlierCodes;
      await this.#o.acknowledger.resend(message, { delaySeconds: seconds, receives: totalReceives(message), codes });
      return { via: 'rollover', delaySeconds: Math.min(900, seconds) };
    }
    await this.#o.acknowledger.changeVisibility(message.receiptHandle, seconds);
    return { via: 'visibility', delaySeconds: seconds };
  }
}
