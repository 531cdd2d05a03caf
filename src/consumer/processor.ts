import type { IngestError } from '../core/errors.ts';
import type { MessageOutcome } from '../core/outcome.ts';
import type { Logger } from '../observability/logger.ts';
import type { QueueMessage } from './queue-message.ts';

/** What a processor is given for one message. */
export interface JobContext {
  /** Aborted when the job must stop: drain deadline, second SIGTERM, or a lost lease. */
  signal: AbortSignal;
  log: Logger;
  /** Register a renewal to run on every lease heartbeat (e.g. the state record's lease); returns an unregister. */
  keepAlive(renew: () => Promise<void>): () => void;
  /** A PDF / TIFF page was finished: the job's deadline moves later (src/consumer/job-deadline.ts). */
  pageDone?(): void;
  /**
   * The job waits on another job (its content is being extracted by that one): its slot is lent to
   * a new message until the returned function is called.
   */
  park?(): () => void;
}

export interface EventSummary {
  key: string;
  kind: 'upsert' | 'delete';
  outcome: MessageOutcome;
  code?: string;
  textSource?: string;
  characters?: number;
  pages?: number;
  ocrConfidence?: number;
  thumbnailKey?: string;
  /** Pages taken from a checkpoint instead of being read again. */
  resumedPages?: number;
  /** Vectors the document got: `text`, `image`, `text+image`, `none`, or `pending` (budget spent). */
  embedded?: string;
  warnings?: string[];
  steps?: Record<string, number>;
  /** The document was indexed from an earlier extraction of the same bytes (docs/design.md §5 "content records"). */
  reused?: Reused;
}

/** Where a reused document's extraction was made (`s3://bucket/key`), and what reusing it saved. */
export interface Reused {
  from: string;
  savedPages: number;
  savedBedrockTokens: number;
}

export interface JobResult {
  outcome: MessageOutcome;
  error?: IngestError;
  events: EventSummary[];
}

export type MessageProcessor = (message: QueueMessage, context: JobContext) => Promise<JobResult>;
