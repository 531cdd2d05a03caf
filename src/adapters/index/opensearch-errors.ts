/**
 * How OpenSearch answers become IngestErrors: one place decides retry vs dead-letter for the
 * index adapter (whole responses and `_bulk` items alike).
 */
import { permanent, transient, type IngestError } from '../../core/errors.ts';

export interface OpenSearchErrorInfo {
  type: string | undefined;
  reason: string | undefined;
}

/** A JSON object (not null, not an array): the shape every OpenSearch answer is checked for. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * `type` and `reason` of an OpenSearch error: `{error:{type,reason,caused_by}}` (a response body),
 * the bare `{type,reason}` of a bulk item, `{error:"text"}`, or AWS's `{"Message":"..."}`.
 */
export function errorInfo(body: unknown): OpenSearchErrorInfo {
  if (!isRecord(body)) return { type: undefined, reason: typeof body === 'string' ? str(body.slice(0, 500)) : undefined };
  const error = 'error' in body ? body.error : body;
  if (typeof error === 'string') return { type: undefined, reason: str(error) };
  if (!isRecord(error)) return { type: undefined, reason: str(body.Message) ?? str(body.message) };
  const type = str(error.type);
  let reason = str(error.reason) ?? str(error.Message) ?? str(error.message);
  const causedBy = error.caused_by;
  if (isRecord(causedBy)) {
    const inner = [str(causedBy.type), str(causedBy.reason)].filter(Boolean).join(': ');
    if (inner !== '') reason = reason === undefined ? inner : `${reason} (caused by ${inner})`;
  }
  return { type, reason };
}

function describe(info: OpenSearchErrorInfo): string {
  return [info.type, info.reason].filter(Boolean).join(': ') || 'no reason given';
}

/** A whole request answered with a non-2xx status. */
export function responseError(status: number, body: unknown, what: string): IngestError {
  const info = errorInfo(body);
  const details = { status, type: info.type, reason: info.reason, request: what };
  const message = `OpenSearch ${what} answered ${status}: ${describe(info)}`;
  if (status === 429 || info.type === 'es_rejected_execution_exception') {
    return transient('INDEX_THROTTLED', message, undefined, details);
  }
  if (status >= 500) return transient('INDEX_UNAVAILABLE', message, undefined, details);
  // Bad credentials or a missing permission are an operator's problem: retry, never dead-letter.
  if (status === 401 || status === 403) return transient('INDEX_AUTH', message, undefined, details);
  if (info.type === 'index_not_found_exception') return transient('INDEX_NOT_FOUND', message, undefined, details);
  return permanent('INDEX_REQUEST_REJECTED', message, undefined, details);
}

/**
 * The outcome of one `_bulk` item: null when it succeeded (a delete of a missing document
 * counts as success), else the error for that item's caller alone.
 */
export function bulkItemError(op: 'index' | 'delete', id: string, status: number, error: unknown): IngestError | null {
  if (status >= 200 && status < 300 && error === undefined) return null;
  if (op === 'delete' && status === 404) return null;
  const info = errorInfo(error);
  const details = { id, op, status, type: info.type, reason: info.reason };
  const message = `OpenSearch rejected ${op} of document ${id} (${status}): ${describe(info)}`;
  if (status === 429 || info.type === 'es_rejected_execution_exception') {
    return transient('INDEX_THROTTLED', message, undefined, details);
  }
  if (status >= 500) return transient('INDEX_UNAVAILABLE', message, undefined, details);
  // Writing to an index that does not exist (auto-creation disabled) is a deployment problem.
  if (info.type === 'index_not_found_exception') return transient('INDEX_NOT_FOUND', message, undefined, details);
  if (status === 401 || status === 403) return transient('INDEX_AUTH', message, undefined, details);
  return permanent('INDEX_DOCUMENT_REJECTED', message, undefined, details);
}
