/**
 * Stored fields → FileRecord, shared by the StatePort adapters: a DynamoDB item and a SQLite row
 * carry the same field names (docs/design.md §5). They differ only in how the structured fields `steps`
 * and `warnings` are stored — native map / list attributes on DynamoDB, JSON text on SQLite — so
 * the adapter passes how to decode those.
 */
import type { FileRecord, FileStatus } from '../../core/file-record.ts';

/** Stored field name → value; absent, `undefined` or `null` all mean "not set". */
export type StoredFields = Readonly<Record<string, unknown>>;

/** Turns the stored form of `steps` / `warnings` into plain values (undefined when unreadable). */
export type DecodeStructured = (stored: unknown) => unknown;

const STATUSES: readonly FileStatus[] = ['PROCESSING', 'INDEXED', 'DELETED', 'FAILED'];
const STRING_FIELDS = ['etag', 'versionId', 'sequencer', 'sha256', 'contentType', 'leaseOwner', 'error', 'eventTime', 'extractingSince'] as const;
const NUMBER_FIELDS = ['size', 'leaseUntil', 'crashes'] as const;

/**
 * Known fields only, each type-checked: a value of the wrong type counts as absent, an unknown
 * status as FAILED, and anything else stored (`rev`, foreign attributes) stays out.
 */
export function recordFromFields(fields: StoredFields, decodeStructured: DecodeStructured = (stored) => stored): FileRecord {
  const status = fields['status'];
  const record: FileRecord = {
    pk: String(fields['pk']),
    status: STATUSES.includes(status as FileStatus) ? (status as FileStatus) : 'FAILED',
    attempts: typeof fields['attempts'] === 'number' ? fields['attempts'] : 0,
    updatedAt: typeof fields['updatedAt'] === 'string' ? fields['updatedAt'] : '',
  };
  for (const field of STRING_FIELDS) {
    const value = fields[field];
    if (typeof value === 'string') record[field] = value;
  }
  for (const field of NUMBER_FIELDS) {
    const value = fields[field];
    if (typeof value === 'number') record[field] = value;
  }
  const steps = decodeStructured(fields['steps']);
  if (typeof steps === 'object' && steps !== null && !Array.isArray(steps)) {
    record.steps = Object.fromEntries(
      Object.entries(steps as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number'),
    );
  }
  const warnings = decodeStructured(fields['warnings']);
  if (Array.isArray(warnings)) record.warnings = warnings.filter((w): w is string => typeof w === 'string');
  return record;
}
