/**
 * ContentStore on SQLite (local mode, `replay`, `process`): one row per content record in the
 * `contents` table of the local database, the payload as a gzipped JSON blob (codec.ts; no size
 * limit to mind). The first writer wins (`INSERT … ON CONFLICT DO NOTHING`); a later one reads the
 * winner's row. Records stay until the data dir is deleted.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { ContentKey, KeepResult, StoredContent } from '../../core/content-record.ts';
import { resolveDatabase, type DatabaseSource } from '../sqlite/open.ts';
import { ensureSchema } from '../sqlite/schema.ts';
import { mapSqliteError } from '../sqlite/transaction.ts';
import { decodeContent, encodeContent } from './codec.ts';
import { contentRecordKey } from './record-key.ts';

export class SqliteContents {
  readonly #db: DatabaseSync;
  readonly #owns: boolean;
  readonly #select: StatementSync;
  readonly #insert: StatementSync;
  readonly #replace: StatementSync;

  constructor(database: DatabaseSource, options: { ownsDatabase?: boolean } = {}) {
    const { db, owns } = resolveDatabase(database, options.ownsDatabase);
    this.#db = db;
    this.#owns = owns;
    try {
      ensureSchema(db);
      this.#select = db.prepare('SELECT body FROM contents WHERE pk = ?');
      this.#insert = db.prepare('INSERT INTO contents (pk, body, createdAt) VALUES (?, ?, ?) ON CONFLICT (pk) DO NOTHING');
      this.#replace = db.prepare('UPDATE contents SET body = ?, createdAt = ? WHERE pk = ? AND body = ?');
    } catch (err) {
      if (owns) db.close();
      throw err;
    }
  }

  async get(key: ContentKey, options: { signal?: AbortSignal } = {}): Promise<StoredContent | null> {
    options.signal?.throwIfAborted();
    const body = this.#read(contentRecordKey(key));
    return body === null ? null : decodeContent(body);
  }

  async keep(key: ContentKey, content: StoredContent, options: { signal?: AbortSignal } = {}): Promise<KeepResult> {
    options.signal?.throwIfAborted();
    const pk = contentRecordKey(key);
    const body = await encodeContent(content);
    let changes: number | bigint;
    try {
      ({ changes } = this.#insert.run(pk, body, content.createdAt));
    } catch (err) {
      throw mapSqliteError(err, `keep of ${pk}`, { pk });
    }
    if (Number(changes) > 0) return { kept: 'ours', content };
    const existing = this.#read(pk);
    const theirs = existing === null ? null : await decodeContent(existing);
    if (theirs !== null) return { kept: 'theirs', content: theirs };
    // an unreadable row (torn, or another release's format) is replaced, unless it changed meanwhile
    if (existing !== null) this.#replace.run(body, content.createdAt, pk, existing);
    return { kept: 'ours', content };
  }

  /** Closes the connection when this adapter owns it. */
  async close(): Promise<void> {
    if (this.#owns && this.#db.isOpen) this.#db.close();
  }

  #read(pk: string): Uint8Array | null {
    try {
      const row = this.#select.get(pk) as { body?: unknown } | undefined;
      return row?.body instanceof Uint8Array ? row.body : null;
    } catch (err) {
      throw mapSqliteError(err, `get of ${pk}`, { pk });
    }
  }
}
