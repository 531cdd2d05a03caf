/**
 * Write transactions and SQLite error mapping shared by the SQLite adapters.
 */
import type { DatabaseSync } from 'node:sqlite';
import { transient } from '../../core/errors.ts';

/** SQLITE_BUSY and SQLITE_LOCKED (primary result codes). */
const BUSY_CODES = new Set([5, 6]);

/**
 * Runs `fn` inside `BEGIN IMMEDIATE … COMMIT`: the write lock is taken before anything is read, so
 * a read-decide-write in `fn` is atomic against every other connection. `fn` must be synchronous.
 */
export function immediateTransaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (err) {
    if (db.isTransaction) {
      try {
        db.exec('ROLLBACK');
      } catch {
        // The original error is the one worth reporting.
      }
    }
    throw err;
  }
}

/** Whether `err` is node:sqlite's error for a lock held by another connection past busy_timeout. */
export function isBusyError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; errcode?: unknown };
  return e.code === 'ERR_SQLITE_ERROR' && typeof e.errcode === 'number' && BUSY_CODES.has(e.errcode & 0xff);
}

/** Maps a lock timeout to the transient IngestError `DATABASE_BUSY`; other errors pass through. */
export function mapSqliteError(err: unknown, operation: string, details?: Record<string, unknown>): unknown {
  if (isBusyError(err)) {
    return transient('DATABASE_BUSY', `${operation}: the SQLite database is locked by another connection`, err, details);
  }
  return err;
}
