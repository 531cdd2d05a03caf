/**
 * The one place that decides whether a failure is transient (retry) or permanent (dead-letter).
 * Adapters and steps throw IngestErrors for conditions they understand and let everything else
 * (AWS SDK errors, socket errors, aborts) propagate here.
 */
import { IngestError, isDependency, isIngestError, transient } from './errors.ts';

const THROTTLING = new Set([
  'ThrottlingException', 'Throttling', 'ThrottledException', 'TooManyRequestsException', 'RequestLimitExceeded',
  'ProvisionedThroughputExceededException', 'RequestThrottled', 'RequestThrottledException', 'SlowDown',
  'TransactionInProgressException', 'LimitExceededException', 'BandwidthLimitExceeded', 'EC2ThrottledException',
]);
const UNAVAILABLE = new Set(['ServiceUnavailable', 'InternalServerError', 'InternalError', 'InternalFailure', 'ServiceException']);
const TIMEOUTS = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const CONNECTION_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH',
  'ENETUNREACH', 'ENETDOWN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

interface SdkLike {
  name?: string;
  code?: string;
  message?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
  $fault?: 'client' | 'server';
  cause?: unknown;
}

export function classifyError(err: unknown): IngestError {
  if (isIngestError(err)) return err;
  const error = classifyForeign(err);
  // a stream error tagged by a gated port (src/gate/guard.ts) keeps its dependency
  const dependency = typeof err === 'object' && err !== null ? (err as { dependency?: unknown }).dependency : undefined;
  return isDependency(dependency) ? error.from(dependency) : error;
}

function classifyForeign(err: unknown): IngestError {
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as SdkLike;
  const name = e.name ?? '';
  const message = e.message ?? String(err);
  const status = e.$metadata?.httpStatusCode;

  if (name === 'AbortError') return transient('ABORTED', `aborted: ${message}`, err);
  if (THROTTLING.has(name) || status === 429) return transient('THROTTLED', `${name || 'throttled'}: ${message}`, err);
  if (TIMEOUTS.has(name)) return transient('TIMEOUT', `${name}: ${message}`, err);
  const sysCode = e.code ?? (typeof e.cause === 'object' && e.cause !== null ? (e.cause as SdkLike).code : undefined);
  if (sysCode !== undefined && CONNECTION_CODES.has(sysCode)) return transient('CONNECTION', `${sysCode}: ${message}`, err);
  if (sysCode === 'ENOSPC') return transient('DISK_FULL', `no space left for temp files: ${message}`, err);
  if (UNAVAILABLE.has(name) || (status !== undefined && status >= 500) || e.$fault === 'server') {
    return transient('DEPENDENCY_UNAVAILABLE', `${name || `HTTP ${status}`}: ${message}`, err);
  }
  if (name === 'AccessDenied' || name === 'AccessDeniedException' || status === 403 || status === 401) {
    // Permissions are configuration: retrying keeps the message until an operator fixes them.
    return transient('ACCESS_DENIED', `${name || `HTTP ${status}`}: ${message}`, err);
  }
  if (e.$retryable !== undefined) return transient('DEPENDENCY_RETRYABLE', `${name}: ${message}`, err);
  // Unknown failures (including our own bugs) are retried; SQS redrive moves a message that keeps
  // failing to the DLQ after maxReceiveCount, so nothing is lost and nothing loops forever.
  return new IngestError('INTERNAL', `${name || 'Error'}: ${message}`, { retryable: true, cause: err });
}
