/**
 * The DLQ sweep (docs/design.md §4.2): SQS redrive can still move a message to the DLQ without a
 * reason when its receives were used up by receives the daemon never saw — the long polls of
 * processes killed with `kill -9`, answers lost to a reset connection. Every
 * INGEST_DLQ_SWEEP_SECONDS the daemon looks through the DLQ:
 *
 * - a dead letter with an `ErrorCode` was written by the daemon: it is left as it is (made visible
 *   again at once);
 * - one without is sent back to the queue as a new message carrying its receives
 *   (`SpotIngestEarlierReceives`), so it gets its attempts; once it has had `giveUpAfter` receives
 *   it is dead-lettered again, this time with the reason `RECEIVES_EXHAUSTED`.
 *
 * Sent first, deleted second: a failure in between leaves a duplicate, never a loss.
 */
import {
  ChangeMessageVisibilityBatchCommand, DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand,
  type Message, type SQSClient,
} from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../observability/logger.ts';
import { classifyError } from '../core/classify.ts';
import { deadLetterRequest, resendRequest } from './outgoing-messages.ts';
import { toQueueMessage } from './queue-message.ts';

export interface DlqSweeperOptions {
  sqs: SQSClient;
  queueUrl: string;
  dlqUrl: string;
  /** The queue's maxReceiveCount: receives a message used up each time SQS redrove it. */
  maxReceiveCount: number;
  /** After this many receives in all, a redriven message is dead-lettered with RECEIVES_EXHAUSTED. */
  giveUpAfter: number;
  intervalMs: number;
  logger: Logger;
  /** Dead letters looked at per sweep at most (10 per receive). */
  maxPerSweep?: number;
}

export interface SweepResult {
  /** Sent back to the queue. */
  requeued: number;
  /** Dead-lettered again with RECEIVES_EXHAUSTED. */
  exhausted: number;
  /** Written by the daemon: left alone. */
  kept: number;
}

export class DlqSweeper {
  readonly #o: DlqSweeperOptions;
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(options: DlqSweeperOptions) {
    this.#o = options;
  }

  start(): this {
    this.#loop ??= this.#run(this.#stop.signal);
    return this;
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const result = await this.sweepOnce(signal);
        if (result.requeued + result.exhausted > 0) this.#o.logger.warn({ ...result, dlqUrl: this.#o.dlqUrl }, 'DLQ sweep: dead letters SQS moved without a reason were handled');
      } catch (err) {
        if (signal.aborted) return;
        this.#o.logger.warn({ err: classifyError(err) }, 'DLQ sweep failed; trying again at the next one');
      }
      await sleep(this.#o.intervalMs, undefined, { signal }).catch(() => undefined);
    }
  }

  /** One look through the DLQ (up to maxPerSweep messages). */
  async sweepOnce(signal?: AbortSignal): Promise<SweepResult> {
    const { sqs, dlqUrl } = this.#o;
    const result: SweepResult = { requeued: 0, exhausted: 0, kept: 0 };
    const seen = new Set<string>();
    const limit = this.#o.maxPerSweep ?? 100;
    while (seen.size < limit && !signal?.aborted) {
      const out = await sqs.send(new ReceiveMessageCommand({
        QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 60,
        MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId'],
      }), { abortSignal: signal });
      const received = (out.Messages ?? []).filter((m) => m.MessageId !== undefined && m.ReceiptHandle !== undefined);
      // the daemon's own dead letters, and any seen already in this sweep, are made visible again at once
      const release: Message[] = [];
      let fresh = 0;
      for (const message of received) {
        if (seen.has(message.MessageId!)) {
          release.push(message);
          continue;
        }
        fresh += 1;
        seen.add(message.MessageId!);
        if (message.MessageAttributes?.['ErrorCode']?.StringValue) {
          result.kept += 1;
          release.push(message);
        } else {
          const handled = await this.#handle(message);
          if (handled.to === 'queue') result.requeued += 1;
          else {
            result.exhausted += 1;
            if (handled.messageId) seen.add(handled.messageId); // its reasoned copy: not counted again
          }
        }
      }
      if (release.length > 0) {
        await sqs.send(new ChangeMessageVisibilityBatchCommand({
          QueueUrl: dlqUrl, Entries: release.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 })),
        }));
      }
      if (fresh === 0) break;
    }
    return result;
  }

  /** Sent back to the queue, or dead-lettered again with its reason (the new letter's id). */
  async #handle(raw: Message): Promise<{ to: 'queue' | 'dlq'; messageId?: string | undefined }> {
    const { sqs, queueUrl, dlqUrl, maxReceiveCount, giveUpAfter, logger } = this.#o;
    const message = toQueueMessage(raw)!;
    // SQS moved it after maxReceiveCount receives of this copy
    const receives = (message.earlierReceives ?? 0) + maxReceiveCount;
    const codes = message.earlierCodes ?? [];
    const back = receives < giveUpAfter;
    const request = back
      ? resendRequest(queueUrl, message, { delaySeconds: 0, receives, codes })
      : deadLetterRequest(dlqUrl, message, {
        code: 'RECEIVES_EXHAUSTED',
        message: `SQS redrive moved this message after ${receives} receives in all, none of which ended in an outcome (processes killed while holding it, answers lost); not sent back again`,
      }, receives, codes);
    const sent = await sqs.send(new SendMessageCommand(request));
    await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: message.receiptHandle }));
    logger.info({ dlqMessageId: message.messageId, receives, to: back ? 'queue' : 'dlq' }, back
      ? 'a dead letter SQS moved without a reason was sent back to the queue'
      : 'a dead letter SQS moved without a reason has used up its receives: dead-lettered as RECEIVES_EXHAUSTED');
    return { to: back ? 'queue' : 'dlq', messageId: sent.MessageId };
  }
}
