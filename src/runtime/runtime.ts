import type { SQSClient } from '@aws-sdk/client-sqs';
import type { IndexPort } from '../pipeline/ports/index.ts';
import type { StatePort } from '../pipeline/ports/state.ts';
import type { StoragePort } from '../pipeline/ports/storage.ts';
import type { ThumbnailTarget } from '../pipeline/process-event.ts';
import type { CheckpointPort } from '../pipeline/ports/checkpoint.ts';
import type { ContentStore } from '../pipeline/ports/content.ts';
import type { JobResult } from '../consumer/processor.ts';
import type { QueueMessage } from '../consumer/queue-message.ts';
import type { MessageOutcome } from '../core/outcome.ts';

/** Cheap calls that tell whether a dependency answers again (src/gate/circuit.ts). */
export interface RuntimeProbes {
  opensearch?: (signal: AbortSignal) => Promise<void>;
  dynamodb?: (signal: AbortSignal) => Promise<void>;
  /** HeadBucket on the bucket that failed. */
  s3?: (bucket: string, signal: AbortSignal) => Promise<void>;
}

/**
 * What the daemon runs on: the queue and the adapters behind the pipeline's ports. Built from AWS
 * (src/adapters/aws/runtime.ts) or from the embedded local stack (src/local/runtime.ts); the
 * consumer and the pipeline are the same code path either way.
 */
export interface Runtime {
  mode: 'aws' | 'local';
  sqs: SQSClient;
  queueUrl: string;
  dlqUrl: string | undefined;
  /** maxReceiveCount of the queue's RedrivePolicy (undefined: none, or unreadable). */
  maxReceiveCount: number | undefined;
  /** Probes of the dependencies that get a circuit (none in local mode: everything is in-process). */
  probes?: RuntimeProbes;
  storage: StoragePort;
  /** Where thumbnails are stored; undefined ⇒ they are not kept. */
  thumbnails?: ThumbnailTarget;
  /** Where finished pages of long jobs are kept for the next attempt; undefined ⇒ no checkpoints. */
  checkpoints?: CheckpointPort;
  state: StatePort;
  /** Content records, kept extractions by sha256 (the state table, or the local database). */
  contents: ContentStore;
  index: IndexPort;
  /** Called once the consumer is receiving (local mode seeds its samples here). */
  started?(): Promise<void>;
  /** Called when a message is settled (local mode prints a progress line). */
  settled?(message: QueueMessage, outcome: MessageOutcome, result: JobResult): void;
  /** Release everything; called once, after the consumer has drained. */
  close(): Promise<void>;
}
