/**
 * The schema of the local-mode database, versioned with `PRAGMA user_version`. One schema for the
 * whole file (state records and the search index), so either adapter may open a fresh file.
 *
 * Migrations run in order inside one `BEGIN IMMEDIATE` transaction that re-reads the version, so two
 * processes opening a new file at once apply each step exactly once. Every statement is idempotent
 * (`IF NOT EXISTS`) as well. A database written by a newer release (higher version) is refused.
 */
import type { DatabaseSync } from 'node:sqlite';
import { immediateTransaction } from './transaction.ts';

/** Version 1: state records (§5) and documents (§6) with an external-content FTS5 trigram index. */
const V1 = `
CREATE TABLE IF NOT EXISTS state_records (
  pk          TEXT PRIMARY KEY NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('PROCESSING', 'INDEXED', 'DELETED', 'FAILED')),
  etag        TEXT,
  versionId   TEXT,
  sequencer   TEXT,
  sha256      TEXT,
  size        INTEGER,
  contentType TEXT,
  leaseOwner  TEXT,
  leaseUntil  REAL,
  attempts    INTEGER NOT NULL DEFAULT 0,
  steps       TEXT,
  warnings    TEXT,
  error       TEXT,
  eventTime   TEXT,
  updatedAt   TEXT NOT NULL,
  rev         INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX IF NOT EXISTS state_records_status ON state_records (status);

CREATE TABLE IF NOT EXISTS documents (
  seq           INTEGER PRIMARY KEY,
  id            TEXT NOT NULL UNIQUE,
  bucket        TEXT NOT NULL,
  "key"         TEXT NOT NULL,
  file_name     TEXT NOT NULL,
  original_path TEXT,
  text_source   TEXT NOT NULL,
  indexed_at    TEXT NOT NULL,
  content       TEXT NOT NULL,
  doc           TEXT NOT NULL
) STRICT;

CREATE VIRTUAL TABLE IF NOT EXISTS documents_fts USING fts5(
  file_name, original_path, content,
  content = 'documents', content_rowid = 'seq',
  tokenize = 'trigram'
);

CREATE TRIGGER IF NOT EXISTS documents_fts_ai AFTER INSERT ON documents BEGIN
  INSERT INTO documents_fts (rowid, file_name, original_path, content)
  VALUES (new.seq, new.file_name, new.original_path, new.content);
END;
CREATE TRIGGER IF NOT EXISTS documents_fts_ad AFTER DELETE ON documents BEGIN
  INSERT INTO documents_fts (documents_fts, rowid, file_name, original_path, content)
  VALUES ('delete', old.seq, old.file_name, old.original_path, old.content);
END;
CREATE TRIGGER IF NOT EXISTS documents_fts_au AFTER UPDATE ON documents BEGIN
  INSERT INTO documents_fts (documents_fts, rowid, file_name, original_path, content)
  VALUES ('delete', old.seq, old.file_name, old.original_path, old.content);
  INSERT INTO documents_fts (rowid, file_name, original_path, content)
  VALUES (new.seq, new.file_name, new.original_path, new.content);
END;
`;

/** Version 2: the crash guard's marks on state records (docs/design.md §5). */
const V2 = `
ALTER TABLE state_records ADD COLUMN extractingSince TEXT;
ALTER TABLE state_records ADD COLUMN crashes INTEGER;
`;

/** Version 3: content records, kept extractions by sha256 and settings (docs/design.md §5). */
const V3 = `
CREATE TABLE IF NOT EXISTS contents (
  pk        TEXT PRIMARY KEY NOT NULL,
  body      BLOB NOT NULL,
  createdAt TEXT NOT NULL
) STRICT;
`;

const MIGRATIONS: readonly string[] = [V1, V2, V3];

/** The schema version this release writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

export function userVersion(db: DatabaseSync): number {
  const row = db.prepare('PRAGMA user_version').get() as { user_version?: unknown } | undefined;
  return typeof row?.user_version === 'number' ? row.user_version : 0;
}

/** Brings the database to SCHEMA_VERSION (no write at all when it is already there). */
export function ensureSchema(db: DatabaseSync): void {
  if (checkVersion(userVersion(db))) return;
  immediateTransaction(db, () => {
    const current = userVersion(db);
    if (checkVersion(current)) return; // another connection migrated meanwhile
    for (let version = current; version < SCHEMA_VERSION; version++) db.exec(MIGRATIONS[version]!);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
  });
}

/** true when up to date; throws when the database is newer than this release. */
function checkVersion(version: number): boolean {
  if (version > SCHEMA_VERSION) {
    throw new Error(
      `SQLite database schema version ${version} is newer than this release supports (${SCHEMA_VERSION}); upgrade spot-ingest`,
    );
  }
  return version === SCHEMA_VERSION;
}
