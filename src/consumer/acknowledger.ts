import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { IngestError } from '../errors.ts';
import { MicroBatcher, type ItemResult } from '../lib/micro-batcher.ts';
import type { QueueMessage } from './queue-message.ts';

export interface AcknowledgerOptions {
  sqs: SQSClient;
  queueUrl: string;
  dlqUrl: string | undefined;
  lingerMs?: number;
}

/**
 * The SQS side of the outcomes of DESIGN.md §4: batched deletes, visibility changes (retry backoff,
 * release), and dead-lettering with error attributes.
 */
export class Acknowledger {
  readonly #sqs: SQSClient;
  readonly #queueUrl: string;
  readonly dlqUrl: string | undefined;
  readonly #deletes: MicroBatcher<string, void>;

  constructor(options: AcknowledgerOptions) {
    this.#sqs = options.sqs;
    this.#queueUrl = options.queueUrl;
    this.dlqUrl = options.dlqUrl;
    this.#deletes = new MicroBatcher<string, void>({
      maxItems: 10,
      lingerMs: options.lingerMs ?? 20,
      send: (handles) => this.#deleteBatch(handles),
    });
  }

  /** Delete a message (batched with others arriving within a few ms). */
  delete(receiptHandle: string): Promise<void> {
    return this.#deletes.add(receiptHandle);
  }

  async #deleteBatch(handles: string[]): Promise<ItemResult<void>[]> {
    const out = await this.#sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: this.#queueUrl,
        Entries: handles.map((ReceiptHandle, i) => ({ Id: String(i), ReceiptHandle })),
      }),
    );
    const failed = new Map((out.Failed ?? []).map((f) => [f.Id, f]));
    return handles.map((_, i) => {
      const f = failed.get(String(i));
      if (f === undefined) return { ok: true, value: undefined };
      const error = Object.assign(new Error(`DeleteMessageBatch entry failed: ${f.Code}: ${f.Message ?? ''}`), {
        name: f.Code ?? 'DeleteFailed',
        $fault: f.SenderFault ? 'client' : 'server',
      });
      return { ok: false, error };
    });
  }

  async changeVisibility(receiptHandle: string, seconds: number, signal?: AbortSignal): Promise<void> {
    await this.#sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: this.#queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }),
      { abortSignal: signal },
    );
  }

  /**
   * Send the message to the DLQ with ErrorCode, ErrorMessage, FailedAt and ReceiveCount attributes,
   * then delete it from the queue. Returns false (and does nothing) when no DLQ is known.
   */
  async deadLetter(message: QueueMessage, error: IngestError): Promise<boolean> {
    if (this.dlqUrl === undefined) return false;
    const text = (value: string) => ({ DataType: 'String', StringValue: value });
    await this.#sqs.send(
      new SendMessageCommand({
        QueueUrl: this.dlqUrl,
        MessageBody: message.body === '' ? '(empty message body)' : message.body,
        MessageAttributes: {
          ErrorCode: text(error.code),
          ErrorMessage: text(error.message.slice(0, 1024) || error.code),
          FailedAt: text(new Date().toISOString()),
          ReceiveCount: { DataType: 'Number', StringValue: String(message.receiveCount) },
          OriginalMessageId: text(message.messageId),
        },
      }),
    );
    await this.delete(message.receiptHandle);
    return true;
  }

  close(): Promise<void> {
    return this.#deletes.close();
  }
}
