/**
 * Every error that crosses a component boundary is an IngestError: a stable
 * `code` callers can switch on, and `retryable` deciding retry vs dead-letter.
 * Only src/core/classify.ts turns foreign errors (SDK, fs, fetch) into these. The codes are
 * src/core/codes.ts.
 */
import type { ErrorCode } from './codes.ts';

export type { ErrorCode };
/** The services the daemon depends on; each has its own circuit (src/gate/). */
export const DEPENDENCIES = ['opensearch', 'dynamodb', 's3', 'bedrock', 'sqs'] as const;
export type Dependency = (typeof DEPENDENCIES)[number];

export function isDependency(value: unknown): value is Dependency {
  return (DEPENDENCIES as readonly unknown[]).includes(value);
}

export interface IngestErrorOptions {
  retryable: boolean;
  /** The dependency whose failure this is (set where a call to it failed). */
  dependency?: Dependency;
  cause?: unknown;
  /** Extra structured context for logs (never secrets). */
  details?: Record<string, unknown>;
}

export class IngestError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;
  readonly dependency: Dependency | undefined;
  readonly isIngestError = true as const;

  constructor(code: ErrorCode, message: string, options: IngestErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'IngestError';
    this.code = code;
    this.retryable = options.retryable;
    this.details = options.details;
    this.dependency = options.dependency;
  }

  /** The same error, attributed to `dependency` (itself when it already names one). */
  from(dependency: Dependency): IngestError {
    if (this.dependency !== undefined) return this;
    const copy = new IngestError(this.code, this.message, { retryable: this.retryable, cause: this.cause, details: this.details, dependency });
    copy.stack = this.stack;
    return copy;
  }
}

export function isIngestError(err: unknown): err is IngestError {
  return typeof err === 'object' && err !== null && (err as { isIngestError?: unknown }).isIngestError === true;
}

/** A permanent error: the message goes to the dead-letter queue. */
export function permanent(code: ErrorCode, message: string, cause?: unknown, details?: Record<string, unknown>): IngestError {
  return new IngestError(code, message, { retryable: false, cause, details });
}

/** A transient error: the message is retried with backoff. */
export function transient(code: ErrorCode, message: string, cause?: unknown, details?: Record<string, unknown>): IngestError {
  return new IngestError(code, message, { retryable: true, cause, details });
}

/** A dependency a command cannot start without is missing or unreachable (the CLI exits 1, no stack). */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/** A bad setting (an environment variable, a command's option): the CLI exits 2, naming it. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
