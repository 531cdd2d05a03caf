/**
 * The two consumers under test, behind one small interface so that every scenario drives them the
 * same way: start on a queue with a work function, report each confirmed delete, stop cleanly.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { Consumer as SqsConsumer } from 'sqs-consumer';
import { Acknowledger } from '../../src/consumer/acknowledger.ts';
import { Consumer } from '../../src/consumer/consumer.ts';
import { Shutdown } from '../../src/consumer/shutdown.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { Metrics } from '../../src/observability/metrics.ts';

export interface SideContext {
  sqs: SQSClient;
  queueUrl: string;
  waitTimeSeconds: number;
  visibilityTimeoutSeconds: number;
  /** The message's work (called once per delivery). */
  work: (body: string) => Promise<void>;
  /** Called once per delete that SQS confirmed. */
  onDeleted: () => void;
}

export interface RunningSide {
  /** Messages the consumer itself counts as in flight right now (for the 10 ms sampler). */
  inFlight(): number;
  /** Stop receiving, let everything settle, release resources. */
  stop(): Promise<void>;
  /** Errors the consumer reported (receive/delete/processing). */
  errors(): number;
}

export interface Side {
  key: string;
  label: string;
  /** Slots: the most messages this configuration can have in flight at once. */
  slots: number;
  settings: string;
  start(ctx: SideContext): RunningSide;
}

/** Counts confirmed deletes (the Consumer deletes through its Acknowledger). */
class CountingAcknowledger extends Acknowledger {
  readonly #onDeleted: () => void;
  errors = 0;

  constructor(options: ConstructorParameters<typeof Acknowledger>[0], onDeleted: () => void) {
    super(options);
    this.#onDeleted = onDeleted;
  }

  override async delete(receiptHandle: string): Promise<void> {
    try {
      await super.delete(receiptHandle);
    } catch (err) {
      this.errors += 1;
      throw err;
    }
    this.#onDeleted();
  }
}

/** Ours: src/consumer Consumer (slot-aware Poller) + Acknowledger (batched deletes, 20 ms linger). */
export function ours(capacity: number, { lingerMs }: { lingerMs?: number } = {}): Side {
  return {
    key: `ours-c${capacity}${lingerMs === undefined ? '' : `-linger${lingerMs}`}`,
    label: `spot-ingest Consumer${lingerMs === undefined ? '' : ` (lingerMs ${lingerMs})`}`,
    slots: capacity,
    settings: `capacity ${capacity}; Acknowledger ${lingerMs === undefined ? 'as the daemon builds it (DeleteMessageBatch, lingerMs 20)' : `with lingerMs ${lingerMs} (not the daemon's setting)`}`,
    start(ctx) {
      const metrics = new Metrics();
      const acknowledger = new CountingAcknowledger(
        { sqs: ctx.sqs, queueUrl: ctx.queueUrl, dlqUrl: undefined, ...(lingerMs === undefined ? {} : { lingerMs }) },
        ctx.onDeleted,
      );
      let processErrors = 0;
      const consumer = new Consumer({
        sqs: ctx.sqs,
        queueUrl: ctx.queueUrl,
        acknowledger,
        capacity,
        visibilityTimeoutSeconds: ctx.visibilityTimeoutSeconds,
        waitTimeSeconds: ctx.waitTimeSeconds,
        logger: createLogger('silent'),
        metrics,
        process: async (message) => {
          try {
            await ctx.work(message.body);
          } catch (err) {
            processErrors += 1;
            throw err;
          }
          return { outcome: 'done', events: [] };
        },
      });
      consumer.start();
      return {
        inFlight: () => consumer.inFlight,
        errors: () => acknowledger.errors + processErrors,
        async stop() {
          const shutdown = new Shutdown({ target: consumer, logger: createLogger('silent') });
          shutdown.request('bench', Date.now() + 10_000);
          await shutdown.done;
          metrics.registry.clear();
        },
      };
    },
  };
}

export interface SqsConsumerSetup {
  batchSize: number;
  /** Consumer instances on the same queue (sqs-consumer has no concurrency option of its own). */
  instances?: number;
  /** Use handleMessageBatch (one DeleteMessageBatch per batch) instead of handleMessage. */
  batchHandler?: boolean;
}

/** The npm sqs-consumer library (v15): poll batchSize messages, run them, wait for all, poll again. */
export function sqsConsumer({ batchSize, instances = 1, batchHandler = false }: SqsConsumerSetup): Side {
  const handler = batchHandler ? 'handleMessageBatch (DeleteMessageBatch)' : 'handleMessage (one DeleteMessage each)';
  return {
    key: `sqs-consumer-b${batchSize}x${instances}${batchHandler ? '-batch' : ''}`,
    label: `sqs-consumer${instances > 1 ? ` ×${instances}` : ''}${batchHandler ? ' (batch handler)' : ''}`,
    slots: batchSize * instances,
    settings: `${instances > 1 ? `${instances} instances × ` : ''}batchSize ${batchSize}; ${handler}`,
    start(ctx) {
      let received = 0;
      let finished = 0;
      let errors = 0;
      const consumers = Array.from({ length: instances }, () => {
        const c = SqsConsumer.create({
          queueUrl: ctx.queueUrl,
          sqs: ctx.sqs,
          batchSize,
          waitTimeSeconds: ctx.waitTimeSeconds,
          visibilityTimeout: ctx.visibilityTimeoutSeconds,
          pollingWaitTimeMs: 0,
          // let stop() wait for the last (short) long poll, so nothing is left running
          pollingCompleteWaitTimeMs: 10_000,
          strictReturn: true,
          ...(batchHandler
            ? {
                handleMessageBatch: async (messages) => {
                  await Promise.all(messages.map((m) => ctx.work(m.Body ?? '')));
                  return messages;
                },
              }
            : {
                handleMessage: async (message) => {
                  await ctx.work(message.Body ?? '');
                  return message;
                },
              }),
        });
        c.on('message_received', () => (received += 1));
        c.on('message_processed', () => {
          finished += 1;
          ctx.onDeleted();
        });
        c.on('error', () => {
          errors += 1;
        });
        c.on('processing_error', () => {
          errors += 1;
          finished += 1;
        });
        c.on('timeout_error', () => {
          errors += 1;
          finished += 1;
        });
        c.start();
        return c;
      });
      return {
        inFlight: () => received - finished,
        errors: () => errors,
        async stop() {
          await Promise.all(
            consumers.map(
              (c) =>
                new Promise<void>((resolve) => {
                  c.once('stopped', () => resolve());
                  c.stop();
                }),
            ),
          );
          for (const c of consumers) c.removeAllListeners();
        },
      };
    },
  };
}
