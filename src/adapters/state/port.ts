/** The state record port (docs/design.md §5): one record per object, conditional claims. */
export type FileStatus = 'PROCESSING' | 'INDEXED' | 'DELETED' | 'FAILED';

export interface FileRecord {
  /** "{bucket}/{key}" */
  pk: string;
  status: FileStatus;
  etag?: string;
  versionId?: string;
  sequencer?: string;
  sha256?: string;
  size?: number;
  contentType?: string;
  leaseOwner?: string;
  /** epoch seconds */
  leaseUntil?: number;
  attempts: number;
  /** step name → milliseconds */
  steps?: Record<string, number>;
  warnings?: string[];
  error?: string;
  /** ISO-8601 time of the event this record reflects (orders events without an S3 sequencer). */
  eventTime?: string;
  /** ISO-8601 */
  updatedAt: string;
  /** ISO-8601: an attempt started extracting the file and has not ended yet (the crash guard). */
  extractingSince?: string;
  /** Attempts of this version that ended in a process crash while extracting. */
  crashes?: number;
}

export interface ClaimRequest {
  pk: string;
  kind: 'upsert' | 'delete';
  etag?: string;
  versionId?: string;
  sequencer?: string;
  eventTime: string;
  owner: string;
  /** epoch seconds until which the claim holds unless renewed */
  leaseUntil: number;
  /** epoch seconds, "now" for lease-expiry comparisons */
  now: number;
}

export type ClaimResult =
  /** The caller holds the lease; `previous` is the record before the claim (if any). */
  | { kind: 'claimed'; previous: FileRecord | null; crashes: number }
  /** This exact version is already indexed (or the delete already done): nothing to redo. */
  | { kind: 'duplicate'; record: FileRecord }
  /** A newer version (sequencer / event time) is already recorded: this event is outdated. */
  | { kind: 'stale'; record: FileRecord }
  /** Another owner holds a live lease on this object. */
  | { kind: 'busy'; record: FileRecord };

export interface CompleteRequest {
  pk: string;
  owner: string;
  status: 'INDEXED' | 'DELETED';
  etag?: string;
  versionId?: string;
  sequencer?: string;
  sha256?: string;
  size?: number;
  contentType?: string;
  steps?: Record<string, number>;
  warnings?: string[];
  eventTime: string;
}

export interface StateOptions {
  signal?: AbortSignal;
}

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
