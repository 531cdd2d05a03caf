import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { IngestError } from '../core/errors.ts';
import { MicroBatcher } from '../lib/micro-batcher.ts';
import { deadLetterRequest, resendRequest } from './outgoing-messages.ts';
import { totalReceives, type QueueMessage } from './queue-message.ts';

export interface AcknowledgerOptions {
  sqs: SQSClient;
  queueUrl: string;
  dlqUrl: string | undefined;
  lingerMs?: number;
}

/**
 * The SQS side of the outcomes of docs/design.md §4: batched deletes, visibility changes (retry backoff,
 * release), and dead-lettering with error attributes.
 */
export class Acknowledger {
  readonly #sqs: SQSClient;
  readonly #queueUrl: string;
  readonly dlqUrl: string | undefined;
  readonly #deletes: MicroBatcher<string>;

  constructor(options: AcknowledgerOptions) {
    this.#sqs = options.sqs;
    this.#queueUrl = options.queueUrl;
    this.dlqUrl = options.dlqUrl;
    this.#deletes = new MicroBatcher<string>({
      maxItems: 10,
      maxBytes: 1_048_576,
      lingerMs: options.lingerMs ?? 20,
      send: (handles) => this.#deleteBatch(handles),
      closedError: () => new Error('acknowledger is closed'),
    });
  }

  /** Delete a message (batched with others arriving within a few ms). */
  delete(receiptHandle: string): Promise<void> {
    return this.#deletes.add(receiptHandle, receiptHandle.length);
  }

  /** One result per handle: null when deleted, else the error for its caller. */
  async #deleteBatch(handles: readonly string[]): Promise<(Error | null)[]> {
    const out = await this.#sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: this.#queueUrl,
        Entries: handles.map((ReceiptHandle, i) => ({ Id: String(i), ReceiptHandle })),
      }),
    );
    const failed = new Map((out.Failed ?? []).map((f) => [f.Id, f]));
    return handles.map((_, i) => {
      const f = failed.get(String(i));
      if (f === undefined) return null;
      return Object.assign(new Error(`DeleteMessageBatch entry failed: ${f.Code}: ${f.Message ?? ''}`), {
        name: f.Code ?? 'DeleteFailed',
        $fault: f.SenderFault ? 'client' : 'server',
      });
    });
  }

  async changeVisibility(receiptHandle: string, seconds: number, signal?: AbortSignal): Promise<void> {
    await this.#sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: this.#queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }),
      { abortSignal: signal },
    );
  }

  /**
   * Send the message to the DLQ with ErrorCode, ErrorMessage, FailedAt and ReceiveCount (every
   * receive, earlier copies included) attributes — and EarlierErrorCodes when earlier attempts'
   * codes are known — then delete it from the queue. Returns false (and does nothing) when no DLQ
   * is known.
   */
  async deadLetter(message: QueueMessage, error: IngestError, earlierCodes: readonly string[] = []): Promise<boolean> {
    if (this.dlqUrl === undefined) return false;
    await this.#sqs.send(new SendMessageCommand(deadLetterRequest(this.dlqUrl, message, error, totalReceives(message), earlierCodes)));
    await this.delete(message.receiptHandle);
    return true;
  }

  /**
   * Put the message back as a new message (its receive count starts again at 0) and delete this
   * one: how a message on its last receive before SQS redrive is given back without being moved to
   * the DLQ by SQS, with no reason attached. The copy carries the receives and error codes so far.
   * Sent first, deleted second: a failure in between leaves a duplicate, never a loss.
   */
  async resend(message: QueueMessage, options: { delaySeconds: number; receives: number; codes: readonly string[] }): Promise<void> {
    await this.#sqs.send(new SendMessageCommand(resendRequest(this.#queueUrl, message, options)));
    await this.delete(message.receiptHandle);
  }

  close(): Promise<void> {
    return this.#deletes.close();
  }
}

