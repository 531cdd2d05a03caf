/** The state record (docs/design.md §5): one record per object, and the requests that claim and complete it. */
export type FileStatus = 'PROCESSING' | 'INDEXED' | 'DELETED' | 'FAILED';

/** Which version of the object an event or a record is about (§5 orders versions by these). */
export interface ObjectVersion {
  etag?: string;
  versionId?: string;
  sequencer?: string;
}

/** What was read of that version. */
export interface ObjectContent {
  sha256?: string;
  size?: number;
  contentType?: string;
}

export interface FileRecord extends ObjectVersion, ObjectContent {
  /** "{bucket}/{key}" */
  pk: string;
  status: FileStatus;
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

export interface ClaimRequest extends ObjectVersion {
  pk: string;
  kind: 'upsert' | 'delete';
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

export interface CompleteRequest extends ObjectVersion, ObjectContent {
  pk: string;
  owner: string;
  status: 'INDEXED' | 'DELETED';
  steps?: Record<string, number>;
  warnings?: string[];
  eventTime: string;
}

export interface StateOptions {
  signal?: AbortSignal;
}
