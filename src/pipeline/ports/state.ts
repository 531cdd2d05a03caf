/**
 * The state records, as the pipeline uses them (docs/design.md §5): conditional claims and a lease
 * per object. Implementations: DynamoDB (src/adapters/state/dynamodb.ts), SQLite (sqlite.ts).
 */
import type { ClaimRequest, ClaimResult, CompleteRequest, FileRecord, StateOptions } from '../../core/file-record.ts';

export interface StatePort {
  claim(request: ClaimRequest, options?: StateOptions): Promise<ClaimResult>;
  /** Extend the lease; rejects with code LEASE_LOST if another owner took it over. */
  renew(pk: string, owner: string, leaseUntil: number, options?: StateOptions): Promise<void>;
  /** Record the final state; conditional on still owning the lease (LEASE_LOST otherwise). */
  complete(request: CompleteRequest, options?: StateOptions): Promise<void>;
  /** Mark a permanent failure (status FAILED, error text) and drop the lease. */
  fail(pk: string, owner: string, error: string, options?: StateOptions): Promise<void>;
  /**
   * Mark (true) that this attempt starts extracting — before any parser runs on the file — and
   * unmark (false) when extraction is over: if the process dies while marked, the next claim counts
   * a crash (`crashes`). dropLease, fail and complete unmark too. Conditional on the lease.
   */
  markExtracting(pk: string, owner: string, extracting: boolean, options?: StateOptions): Promise<void>;
  /** Drop the lease without changing the version (work will be redone elsewhere). */
  dropLease(pk: string, owner: string, options?: StateOptions): Promise<void>;
  get(pk: string, options?: StateOptions): Promise<FileRecord | null>;
  close(): Promise<void>;
}
