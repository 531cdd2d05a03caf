/**
 * Opens the local-mode SQLite database (docs/design.md §8): one file under INGEST_DATA_DIR holding the
 * state records and the local search index, shared by SqliteState and SqliteIndex.
 *
 * WAL lets a second process (e.g. `spot-ingest search`) read while the daemon writes; busy_timeout
 * makes a writer wait for another writer's lock instead of failing at once. The directory is
 * created owner-only (0700) and a new database file owner-only (0600); SQLite gives the -wal and
 * -shm files the database file's permissions.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

export interface OpenDatabaseOptions {
  /** How long a statement waits for another connection's lock before failing (default 5000 ms). */
  busyTimeoutMs?: number;
  /** Open an existing database read-only (nothing is created, no journal-mode change). */
  readOnly?: boolean;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

export function openDatabase(path: string, options: OpenDatabaseOptions = {}): DatabaseSync {
  if (path === '') throw new TypeError('openDatabase: path is required');
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new RangeError(`openDatabase: busyTimeoutMs must be a non-negative integer, got ${String(busyTimeoutMs)}`);
  }
  const inMemory = isInMemory(path);
  if (!inMemory && options.readOnly !== true) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // Create the file ourselves so it is owner-only from the start (the mode applies on creation only).
    closeSync(openSync(path, 'a', 0o600));
  }
  const db = new DatabaseSync(path, { readOnly: options.readOnly === true, enableForeignKeyConstraints: true });
  try {
    db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    if (!inMemory && options.readOnly !== true) {
      db.exec('PRAGMA journal_mode = WAL');
      // In WAL mode NORMAL never corrupts; a power loss may only lose the last commits.
      db.exec('PRAGMA synchronous = NORMAL');
    }
    db.exec('PRAGMA foreign_keys = ON');
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

function isInMemory(path: string): boolean {
  return path === ':memory:' || path.startsWith('file::memory:');
}

/** A path (opened here, owned by the caller of this function) or a connection someone else owns. */
export type DatabaseSource = string | DatabaseSync;

/**
 * The connection an adapter works on: a path is opened (and owned: closed by the adapter's
 * close()); an open DatabaseSync is borrowed unless `owns` says otherwise.
 */
export function resolveDatabase(
  source: DatabaseSource,
  owns: boolean | undefined,
  options?: OpenDatabaseOptions,
): { db: DatabaseSync; owns: boolean } {
  if (typeof source === 'string') return { db: openDatabase(source, options), owns: owns ?? true };
  if (!(source instanceof DatabaseSync)) throw new TypeError('expected a database path or a DatabaseSync');
  if (!source.isOpen) throw new TypeError('the DatabaseSync is not open');
  return { db: source, owns: owns ?? false };
}
