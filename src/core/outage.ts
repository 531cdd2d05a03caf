/**
 * Which failures mean "the dependency is down" (and count towards opening its circuit), as opposed
 * to a failure of one request (a rejected document, a missing object, a denied permission).
 */
import type { ErrorCode } from './codes.ts';
import type { Dependency, IngestError } from './errors.ts';

const OUTAGE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  // src/core/classify.ts: SDK and socket errors
  'CONNECTION', 'TIMEOUT', 'THROTTLED', 'DEPENDENCY_UNAVAILABLE', 'DEPENDENCY_RETRYABLE',
  // adapters' own codes for a service that answers 5xx / 429
  'INDEX_UNAVAILABLE', 'INDEX_THROTTLED', 'EMBEDDING_UNAVAILABLE', 'EMBEDDING_THROTTLED',
  // a call refused because the circuit is open already
  'DEPENDENCY_CIRCUIT_OPEN', 'EMBEDDING_CIRCUIT_OPEN',
]);

export function isOutage(error: IngestError): boolean {
  return error.retryable && OUTAGE_CODES.has(error.code);
}

/** The dependency a failure came from: the one it was attributed to, else what its code names. */
export function dependencyOf(error: IngestError): Dependency | undefined {
  if (error.dependency !== undefined) return error.dependency;
  if (error.code.startsWith('INDEX_')) return 'opensearch';
  if (error.code.startsWith('EMBEDDING_')) return 'bedrock';
  return undefined;
}
