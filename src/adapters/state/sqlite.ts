/**
 * StatePort on SQLite (local mode, docs/design.md §5 and §8): one row per object in `state_records`,
 * with the same columns as the DynamoDB item's attributes (`steps` / `warnings` as JSON text).
 *
 * Claims read → decide (claim-decision.ts) → write inside `BEGIN IMMEDIATE … COMMIT`: the write
 * lock is taken before the read, so across every connection to the file exactly one claimant of a
 * version wins and the others see its lease (`busy`) or its result (`duplicate`). Lease operations
 * (renew / complete / fail / dropLease) are single UPDATEs conditional on `leaseOwner = owner` and
 * reject with the transient IngestError `LEASE_LOST` when no row matched. Every write bumps `rev`,
 * as on DynamoDB. A lock held by another process past busy_timeout rejects with the transient
 * `DATABASE_BUSY`. node:sqlite is synchronous: each method does its work before returning.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { transient } from '../../core/errors.ts';
import { resolveDatabase, type DatabaseSource, type OpenDatabaseOptions } from '../sqlite/open.ts';
import { ensureSchema } from '../sqlite/schema.ts';
import { immediateTransaction, mapSqliteError } from '../sqlite/transaction.ts';
import { crashesAfterClaim, decideClaim } from './claim-decision.ts';
import type { ClaimRequest, ClaimResult, CompleteRequest, FileRecord, StateOptions } from '../../core/file-record.ts';
import { recordFromFields } from './record-fields.ts';

export interface SqliteStateOptions {
  /** Close the connection on close(). Defaults to true when given a path, false for a DatabaseSync. */
  ownsDatabase?: boolean;
  /** Used when opening a path. */
  open?: OpenDatabaseOptions;
  /** Clock for `updatedAt` (tests). */
  clock?: () => Date;
}

type Row = Record<string, unknown>;

export class SqliteState {
  readonly db: DatabaseSync;
  private readonly ownsDatabase: boolean;
  private readonly clock: () => Date;
  private readonly selectStmt: StatementSync;
  private readonly claimStmt: StatementSync;
  private readonly renewStmt: StatementSync;
  private readonly completeStmt: StatementSync;
  private readonly failStmt: StatementSync;
  private readonly dropLeaseStmt: StatementSync;
  private readonly markExtractingStmt: StatementSync;
  private closed = false;

  constructor(database: DatabaseSource, options: SqliteStateOptions = {}) {
    const { db, owns } = resolveDatabase(database, options.ownsDatabase, options.open);
    this.db = db;
    this.ownsDatabase = owns;
    this.clock = options.clock ?? (() => new Date());
    try {
      ensureSchema(db);
      this.selectStmt = db.prepare('SELECT * FROM state_records WHERE pk = ?');
      this.claimStmt = db.prepare(`
        INSERT INTO state_records
          (pk, status, etag, versionId, sequencer, eventTime, leaseOwner, leaseUntil, attempts, updatedAt, rev, crashes)
        VALUES
          (:pk, 'PROCESSING', :etag, :versionId, :sequencer, :eventTime, :owner, :leaseUntil, 1, :updatedAt, 1, :crashes)
        ON CONFLICT (pk) DO UPDATE SET
          status = 'PROCESSING', etag = excluded.etag, versionId = excluded.versionId,
          sequencer = excluded.sequencer, eventTime = excluded.eventTime, leaseOwner = excluded.leaseOwner,
          leaseUntil = excluded.leaseUntil, attempts = attempts + 1, updatedAt = excluded.updatedAt,
          rev = rev + 1, crashes = excluded.crashes, extractingSince = NULL`);
      this.markExtractingStmt = db.prepare(`
        UPDATE state_records SET extractingSince = :since, updatedAt = :updatedAt, rev = rev + 1
        WHERE pk = :pk AND leaseOwner = :owner`);
      this.renewStmt = db.prepare(`
        UPDATE state_records SET leaseUntil = :leaseUntil, updatedAt = :updatedAt, rev = rev + 1
        WHERE pk = :pk AND leaseOwner = :owner`);
      // Version fields are kept when the request omits them; content fields describe the version
      // just completed, so those of an earlier version go (NULL) when omitted.
      this.completeStmt = db.prepare(`
        UPDATE state_records SET
          status = :status, eventTime = :eventTime, leaseUntil = 0, leaseOwner = NULL, error = NULL,
          extractingSince = NULL, crashes = NULL,
          etag = coalesce(:etag, etag), versionId = coalesce(:versionId, versionId),
          sequencer = coalesce(:sequencer, sequencer),
          sha256 = :sha256, size = :size, contentType = :contentType, steps = :steps, warnings = :warnings,
          updatedAt = :updatedAt, rev = rev + 1
        WHERE pk = :pk AND leaseOwner = :owner`);
      this.failStmt = db.prepare(`
        UPDATE state_records SET
          status = 'FAILED', error = :error, leaseUntil = 0, leaseOwner = NULL, extractingSince = NULL,
          updatedAt = :updatedAt, rev = rev + 1
        WHERE pk = :pk AND leaseOwner = :owner`);
      this.dropLeaseStmt = db.prepare(`
        UPDATE state_records SET leaseUntil = 0, leaseOwner = NULL, extractingSince = NULL, updatedAt = :updatedAt, rev = rev + 1
        WHERE pk = :pk AND leaseOwner = :owner`);
    } catch (err) {
      if (owns) db.close();
      throw err;
    }
  }

  async claim(request: ClaimRequest, options?: StateOptions): Promise<ClaimResult> {
    this.check(options);
    try {
      return immediateTransaction(this.db, (): ClaimResult => {
        const row = this.selectStmt.get(request.pk) as Row | undefined;
        const existing = row === undefined ? null : toRecord(row);
        const decision = decideClaim(existing, request);
        if (decision.kind !== 'claim') {
          // decideClaim only answers claim when there is no record.
          return { kind: decision.kind, record: existing! };
        }
        const crashes = crashesAfterClaim(existing, request);
        this.claimStmt.run({
          crashes: crashes > 0 ? crashes : null,
          pk: request.pk,
          etag: request.etag ?? null,
          versionId: request.versionId ?? null,
          sequencer: request.sequencer ?? null,
          eventTime: request.eventTime,
          owner: request.owner,
          leaseUntil: request.leaseUntil,
          updatedAt: this.now(),
        });
        return { kind: 'claimed', previous: existing, crashes };
      });
    } catch (err) {
      throw mapSqliteError(err, `claim of ${request.pk}`, { pk: request.pk, owner: request.owner });
    }
  }

  async markExtracting(pk: string, owner: string, extracting: boolean, options?: StateOptions): Promise<void> {
    this.check(options);
    this.leaseUpdate(this.markExtractingStmt, pk, owner, 'markExtracting', { since: extracting ? this.now() : null });
  }

  async renew(pk: string, owner: string, leaseUntil: number, options?: StateOptions): Promise<void> {
    this.check(options);
    this.leaseUpdate(this.renewStmt, pk, owner, 'renew', { leaseUntil });
  }

  async complete(request: CompleteRequest, options?: StateOptions): Promise<void> {
    this.check(options);
    this.leaseUpdate(this.completeStmt, request.pk, request.owner, 'complete', {
      status: request.status,
      eventTime: request.eventTime,
      etag: request.etag ?? null,
      versionId: request.versionId ?? null,
      sequencer: request.sequencer ?? null,
      sha256: request.sha256 ?? null,
      size: request.size ?? null,
      contentType: request.contentType ?? null,
      steps: request.steps === undefined ? null : JSON.stringify(request.steps),
      warnings: request.warnings === undefined ? null : JSON.stringify(request.warnings),
    });
  }

  async fail(pk: string, owner: string, error: string, options?: StateOptions): Promise<void> {
    this.check(options);
    this.leaseUpdate(this.failStmt, pk, owner, 'fail', { error });
  }

  async dropLease(pk: string, owner: string, options?: StateOptions): Promise<void> {
    this.check(options);
    this.leaseUpdate(this.dropLeaseStmt, pk, owner, 'dropLease', {});
  }

  async get(pk: string, options?: StateOptions): Promise<FileRecord | null> {
    this.check(options);
    try {
      const row = this.selectStmt.get(pk) as Row | undefined;
      return row === undefined ? null : toRecord(row);
    } catch (err) {
      throw mapSqliteError(err, `get of ${pk}`, { pk });
    }
  }

  /** Closes the connection when this adapter owns it. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsDatabase && this.db.isOpen) this.db.close();
  }

  private check(options: StateOptions | undefined): void {
    options?.signal?.throwIfAborted();
    if (this.closed) throw new Error('SqliteState is closed');
  }

  private now(): string {
    return this.clock().toISOString();
  }

  /** Runs an UPDATE conditional on `leaseOwner = owner`; no row changed ⇒ LEASE_LOST. */
  private leaseUpdate(
    statement: StatementSync,
    pk: string,
    owner: string,
    operation: string,
    params: Record<string, string | number | null>,
  ): void {
    let changes: number | bigint;
    try {
      ({ changes } = statement.run({ ...params, pk, owner, updatedAt: this.now() }));
    } catch (err) {
      throw mapSqliteError(err, `${operation} of ${pk}`, { pk, owner, operation });
    }
    if (Number(changes) === 0) {
      throw transient('LEASE_LOST', `${operation} of ${pk}: lease is no longer held by ${owner}`, undefined, {
        pk,
        owner,
        operation,
      });
    }
  }
}

/** Row → FileRecord: `steps` / `warnings` are JSON text; NULL = absent (see record-fields.ts). */
export function toRecord(row: Row): FileRecord {
  return recordFromFields(row, parseJson);
}

function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') return undefined;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return undefined;
  }
}
