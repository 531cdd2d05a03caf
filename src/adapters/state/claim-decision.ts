/**
 * The claim rules (docs/design.md §4, §5) as one pure function, shared by every StatePort adapter
 * (DynamoDB, SQLite). The adapter reads the record, asks `decideClaim`, and — only for `claim` —
 * performs its conditional write; when that write loses a race it reads again and asks again.
 */
import type { ClaimRequest, FileRecord } from '../../core/file-record.ts';
import { compareSequencers } from './sequencer.ts';

export type ClaimDecisionKind = 'claim' | 'duplicate' | 'stale' | 'busy';

/** Why the decision was taken (for logs and tests; not a stable contract). */
export type ClaimReason =
  | 'new' //                 no record yet
  | 'older' //               the request is older than the record (stale)
  | 'already-indexed' //     same version already INDEXED (duplicate)
  | 'already-deleted' //     record DELETED and the delete is not newer (duplicate)
  | 'leased' //              another owner holds a live lease (busy)
  | 'own-lease' //           the requester already holds the lease
  | 'failed' //              a FAILED record is claimable again (e.g. redriven from the DLQ)
  | 'lease-released' //      PROCESSING with leaseUntil 0 / no owner
  | 'lease-expired' //       PROCESSING with a lease that has lapsed
  | 'changed'; //            INDEXED / DELETED record of another version

export interface ClaimDecision {
  kind: ClaimDecisionKind;
  reason: ClaimReason;
}

/**
 * Order of the request relative to the record: -1 older, 0 same position, 1 newer, undefined
 * when they cannot be ordered. Sequencers are compared when both have one; otherwise event times
 * when both parse.
 */
export function compareEventOrder(request: ClaimRequest, record: FileRecord): -1 | 0 | 1 | undefined {
  if (present(request.sequencer) && present(record.sequencer)) {
    return compareSequencers(request.sequencer, record.sequencer);
  }
  const a = parseTime(request.eventTime);
  const b = parseTime(record.eventTime);
  if (a === undefined || b === undefined) return undefined;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Whether the request names the version the record holds. The strongest identity both sides carry
 * decides: versionId, then etag, then sequencer (so two different versionIds are different
 * versions even when their bytes — and therefore etags — are equal). With no identity on both
 * sides, equal event times count as the same version.
 */
export function isSameVersion(request: ClaimRequest, record: FileRecord): boolean {
  if (present(request.versionId) && present(record.versionId)) return request.versionId === record.versionId;
  if (present(request.etag) && present(record.etag)) return normaliseEtag(request.etag) === normaliseEtag(record.etag);
  if (present(request.sequencer) && present(record.sequencer)) {
    return compareSequencers(request.sequencer, record.sequencer) === 0;
  }
  const a = parseTime(request.eventTime);
  const b = parseTime(record.eventTime);
  return a !== undefined && a === b;
}

/** Another owner holds an unexpired lease. */
export function isLeasedByOther(record: FileRecord, owner: string, now: number): boolean {
  return (
    record.status === 'PROCESSING' &&
    present(record.leaseOwner) &&
    record.leaseOwner !== owner &&
    typeof record.leaseUntil === 'number' &&
    record.leaseUntil > now
  );
}

export function decideClaim(existing: FileRecord | null, request: ClaimRequest): ClaimDecision {
  if (existing === null) return { kind: 'claim', reason: 'new' };

  const order = compareEventOrder(request, existing);
  // Older than what is recorded: outdated whatever the record's status or lease.
  if (order === -1) return { kind: 'stale', reason: 'older' };

  if (request.kind === 'upsert' && existing.status === 'INDEXED' && isSameVersion(request, existing)) {
    return { kind: 'duplicate', reason: 'already-indexed' };
  }
  if (request.kind === 'delete' && existing.status === 'DELETED' && order !== 1) {
    return { kind: 'duplicate', reason: 'already-deleted' };
  }

  if (isLeasedByOther(existing, request.owner, request.now)) return { kind: 'busy', reason: 'leased' };

  switch (existing.status) {
    case 'FAILED':
      return { kind: 'claim', reason: 'failed' };
    case 'PROCESSING':
      if (existing.leaseOwner === request.owner && (existing.leaseUntil ?? 0) > request.now) {
        return { kind: 'claim', reason: 'own-lease' };
      }
      if (!present(existing.leaseOwner) || !existing.leaseUntil) return { kind: 'claim', reason: 'lease-released' };
      return { kind: 'claim', reason: 'lease-expired' };
    default:
      return { kind: 'claim', reason: 'changed' };
  }
}

/**
 * Crashes of this version once the request claims it: the record's count, plus one when the
 * previous attempt began extracting and never ended (dropLease, fail and complete all clear the mark;
 * a live lease is `busy`, never claimed). Another version starts again from 0.
 */
export function crashesAfterClaim(existing: FileRecord | null, request: ClaimRequest): number {
  if (existing === null || !isSameVersion(request, existing)) return 0;
  const crashed = existing.status === 'PROCESSING' && present(existing.extractingSince) ? 1 : 0;
  return (existing.crashes ?? 0) + crashed;
}

function present(value: string | undefined): value is string {
  return typeof value === 'string' && value.length > 0;
}

function parseTime(value: string | undefined): number | undefined {
  if (!present(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** S3 reports ETags with quotes in HTTP headers and without them in events. */
function normaliseEtag(etag: string): string {
  return etag.replaceAll('"', '');
}
