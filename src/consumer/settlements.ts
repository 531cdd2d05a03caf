/**
 * The consumer's settling side: a finished job's outcome becomes its SQS call (settler.ts), its
 * outcome line and metric; the codes of a message's earlier attempts are remembered for its dead
 * letter; and the settlements still under way are tracked so the drain can wait for them. A job's
 * slot is free before its settlement is sent (the delete is batched and may wait a few ms).
 */
import { classifyError } from '../core/classify.ts';
import type { ErrorCode } from '../core/codes.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { MessageOutcome } from '../core/outcome.ts';
import type { JobResult } from './processor.ts';
import type { QueueMessage } from './queue-message.ts';
import type { Settlement, Settler } from './settler.ts';

export interface SettlementsOptions {
  settler: Settler;
  logger: Logger;
  metrics: Metrics;
  /** For the rollover's log line. */
  maxReceiveCount?: number | undefined;
  /** Told of every settled message (a listener's throw is logged, never fatal). */
  onSettled?: (message: QueueMessage, outcome: MessageOutcome, result: JobResult) => void;
}

/** How many messages' earlier codes are remembered, and how many codes each. */
const REMEMBERED_MESSAGES = 10_000;
const REMEMBERED_CODES = 20;

export class Settlements {
  readonly #o: SettlementsOptions;
  readonly #pending = new Set<Promise<void>>();
  /** Error codes of earlier attempts of messages this process has seen (bounded), by message id. */
  readonly #codes = new Map<string, string[]>();
  #madeVisible = 0;

  constructor(options: SettlementsOptions) {
    this.#o = options;
  }

  /** Messages made visible again (released, given back, rolled over) since start. */
  get madeVisible(): number {
    return this.#madeVisible;
  }

  /** Resolves once every settlement under way (and any it led to) has been sent. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** Settles a finished job in the background (idle() waits for it). */
  add(message: QueueMessage, result: JobResult, log: Logger): void {
    const settling = this.#settle(message, result, log).finally(() => this.#pending.delete(settling));
    this.#pending.add(settling);
  }

  /** Whether this message is on its last receive before SQS redrive (see settler.ts). */
  rollsOverOnReceipt(message: QueueMessage): boolean {
    return this.#o.settler.rollsOverOnReceipt(message);
  }

  /** Sends the message again as a new one carrying its receives and codes, and deletes it. */
  async rollOver(message: QueueMessage, log: Logger): Promise<void> {
    try {
      await this.#o.settler.rollOverOnReceipt(message, this.#earlierCodes(message));
      this.#madeVisible += 1;
      log.info({ maxReceiveCount: this.#o.maxReceiveCount }, 'last receive before SQS redrive: sent again as a new message (its receives and codes carried), so nothing reaches the DLQ without a reason');
    } catch (err) {
      log.warn({ err: classifyError(err) }, 'could not send the message again; it reappears after its visibility timeout');
    }
  }

  /** Gives back (visibility 0) a message that arrived after receiving stopped; it never started. */
  async giveBack(message: QueueMessage): Promise<void> {
    try {
      await this.#o.settler.settle(message, 'released', undefined, this.#earlierCodes(message));
      this.#madeVisible += 1;
      this.#o.logger.info({ messageId: message.messageId }, 'received while stopping: given back to the queue');
    } catch (err) {
      this.#o.logger.warn({ messageId: message.messageId, err: classifyError(err) }, 'could not give back a message; it reappears after its visibility timeout');
    }
  }

  #earlierCodes(message: QueueMessage): string[] {
    return [...(message.earlierCodes ?? []), ...(this.#codes.get(message.messageId) ?? [])];
  }

  #rememberCode(message: QueueMessage, code: ErrorCode | undefined, outcome: Settlement['outcome']): void {
    if (outcome === 'retry' && code !== undefined) {
      const codes = this.#codes.get(message.messageId) ?? [];
      this.#codes.delete(message.messageId); // re-inserted last: the map's order is its age
      this.#codes.set(message.messageId, [...codes, code].slice(-REMEMBERED_CODES));
      if (this.#codes.size > REMEMBERED_MESSAGES) this.#codes.delete(this.#codes.keys().next().value!);
    } else {
      this.#codes.delete(message.messageId);
    }
  }

  async #settle(message: QueueMessage, result: JobResult, log: Logger): Promise<void> {
    let outcome = result.outcome;
    let settlement: Settlement | undefined;
    const ms = Date.now() - message.receivedAt;
    const error = result.error;
    try {
      settlement = await this.#o.settler.settle(message, outcome, error, this.#earlierCodes(message));
      outcome = settlement.outcome;
      if (outcome === 'released') this.#madeVisible += 1;
      if (result.outcome === 'dead-letter' && outcome === 'retry') log.warn('no dead-letter queue known: the message is retried');
    } catch (err) {
      // The message stays on the queue and reappears when its visibility lapses: nothing is lost.
      log.error({ err: classifyError(err), outcome }, 'could not settle message; it will reappear after its visibility timeout');
    }
    this.#rememberCode(message, error?.code, outcome);
    this.#o.metrics.messages.inc({ outcome });
    try {
      this.#o.onSettled?.(message, outcome, result);
    } catch (err) {
      log.warn({ err }, 'an onSettled listener failed');
    }
    const how = settlement?.via === undefined ? {} : { via: settlement.via, visibleInSeconds: settlement.delaySeconds };
    const line = {
      outcome, ms, events: result.events, ...how,
      ...(settlement?.kept ? { kept: settlement.kept } : {}),
      ...(error ? { code: error.code, reason: error.message, ...(error.dependency ? { dependency: error.dependency } : {}) } : {}),
    };
    if (outcome === 'dead-letter') log.error(line, `message dead-lettered: ${error?.code}`);
    else if (outcome === 'retry' || outcome === 'released') log.warn(line, `message ${outcome}${error ? `: ${error.code}` : ''}`);
    else log.info(line, `message ${outcome}`);
  }
}
