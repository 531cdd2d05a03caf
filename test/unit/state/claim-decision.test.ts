import { describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { compareEventOrder, decideClaim, isSameVersion } from '../../../src/adapters/state/claim-decision.ts';
import { compareSequencers } from '../../../src/adapters/state/sequencer.ts';
import type { ClaimRequest, FileRecord } from '../../../src/core/file-record.ts';

const NOW = 1_000_000;
const T0 = '2025-01-01T00:00:00.000Z';
const T1 = '2025-01-01T00:00:01.000Z';
const T2 = '2025-01-01T00:00:02.000Z';

function record(overrides: Partial<FileRecord> = {}): FileRecord {
  return { pk: 'b/k', status: 'INDEXED', attempts: 1, updatedAt: T1, eventTime: T1, ...overrides };
}

function request(overrides: Partial<ClaimRequest> = {}): ClaimRequest {
  return { pk: 'b/k', kind: 'upsert', eventTime: T1, owner: 'me', leaseUntil: NOW + 120, now: NOW, ...overrides };
}

describe('compareSequencers (AWS: right pad the shorter with zeros, then compare lexicographically)', () => {
  test('equal length: greater hex value is later', () => {
    assert.equal(compareSequencers('0055AED6DCD90281E5', '0055AED6DCD90281E6'), -1);
    assert.equal(compareSequencers('0055AED6DCD90281E6', '0055AED6DCD90281E5'), 1);
    assert.equal(compareSequencers('0055AED6DCD90281E5', '0055AED6DCD90281E5'), 0);
  });

  test('different lengths: the shorter is right padded with zeros', () => {
    // "0062" → "00620000" > "0061FFFF" (a left-pad would have said the opposite).
    assert.equal(compareSequencers('0062', '0061FFFF'), 1);
    assert.equal(compareSequencers('0061FFFF', '0062'), -1);
    // Trailing zeros only differ in length: equal.
    assert.equal(compareSequencers('0055AED6', '0055AED600'), 0);
    assert.equal(compareSequencers('0055AED6DCD90281', '0055AED6DCD90281E5'), -1);
    assert.equal(compareSequencers('0055AED6DCD90282', '0055AED6DCD90281E5'), 1);
  });

  test('case-insensitive hex', () => {
    assert.equal(compareSequencers('0055aed6dcd90281e5', '0055AED6DCD90281E5'), 0);
    assert.equal(compareSequencers('0a', '09'), 1);
  });
});

describe('compareEventOrder / isSameVersion', () => {
  test('sequencer wins over event time', () => {
    const rec = record({ sequencer: '00A1', eventTime: T2 });
    assert.equal(compareEventOrder(request({ sequencer: '00A2', eventTime: T0 }), rec), 1);
  });

  test('event time when either lacks a sequencer; undefined when unorderable', () => {
    assert.equal(compareEventOrder(request({ sequencer: '00A2', eventTime: T0 }), record({ eventTime: T1 })), -1);
    assert.equal(compareEventOrder(request({ eventTime: T2 }), record({ sequencer: '00A1', eventTime: T1 })), 1);
    assert.equal(compareEventOrder(request({ eventTime: T1 }), record({ eventTime: T1 })), 0);
    assert.equal(compareEventOrder(request({ eventTime: 'not a time' }), record()), undefined);
    assert.equal(compareEventOrder(request(), record({ eventTime: undefined })), undefined);
  });

  test('identity: versionId, then etag, then sequencer, then event time', () => {
    assert.equal(isSameVersion(request({ versionId: 'v1' }), record({ versionId: 'v1' })), true);
    assert.equal(isSameVersion(request({ versionId: 'v1', etag: 'e' }), record({ versionId: 'v2', etag: 'e' })), false);
    assert.equal(isSameVersion(request({ etag: '"abc"' }), record({ etag: 'abc' })), true);
    assert.equal(isSameVersion(request({ etag: 'abc' }), record({ etag: 'abd' })), false);
    assert.equal(isSameVersion(request({ sequencer: '00A1' }), record({ sequencer: '00A100' })), true);
    assert.equal(isSameVersion(request({ sequencer: '00A1' }), record({ sequencer: '00A2' })), false);
    // Neither side has an identity the other has: equal event time = same version.
    assert.equal(isSameVersion(request({ eventTime: T1 }), record({ eventTime: T1 })), true);
    assert.equal(isSameVersion(request({ eventTime: T2 }), record({ eventTime: T1 })), false);
    assert.equal(isSameVersion(request({ versionId: 'v1', eventTime: T1 }), record({ eventTime: T1 })), true);
  });
});

describe('decideClaim', () => {
  test('no record → claim', () => {
    assert.deepEqual(decideClaim(null, request()), { kind: 'claim', reason: 'new' });
  });

  test('same version already INDEXED → duplicate (by versionId, etag, sequencer, or event time)', () => {
    assert.equal(decideClaim(record({ versionId: 'v1' }), request({ versionId: 'v1' })).kind, 'duplicate');
    assert.equal(decideClaim(record({ etag: 'e1' }), request({ etag: 'e1' })).kind, 'duplicate');
    assert.equal(decideClaim(record({ sequencer: '00A1' }), request({ sequencer: '00A1' })).kind, 'duplicate');
    assert.equal(decideClaim(record(), request()).kind, 'duplicate');
  });

  test('a different, newer version of an INDEXED record → claim', () => {
    assert.deepEqual(decideClaim(record({ etag: 'e1', sequencer: '00A1' }), request({ etag: 'e2', sequencer: '00A2' })), {
      kind: 'claim',
      reason: 'changed',
    });
    assert.equal(decideClaim(record({ eventTime: T1 }), request({ eventTime: T2 })).kind, 'claim');
  });

  test('older sequencer → stale, including different lengths', () => {
    assert.equal(decideClaim(record({ sequencer: '0055AED6DCD90281E5' }), request({ sequencer: '0055AED6DCD90281E4' })).kind, 'stale');
    // Right padding: "0055AED6DCD90281" reads as "0055AED6DCD9028100" < "…81E5".
    assert.equal(decideClaim(record({ sequencer: '0055AED6DCD90281E5' }), request({ sequencer: '0055AED6DCD90281' })).kind, 'stale');
    // …and a longer one can be newer than a shorter one.
    assert.equal(decideClaim(record({ sequencer: '0062' }), request({ sequencer: '0062000001', etag: 'x' })).kind, 'claim');
    assert.equal(decideClaim(record({ sequencer: '0062' }), request({ sequencer: '0061FFFFFF' })).kind, 'stale');
  });

  test('older event time (no sequencers) → stale', () => {
    assert.equal(decideClaim(record({ eventTime: T2 }), request({ eventTime: T1 })).kind, 'stale');
  });

  test('stale wins over a live lease held by another worker', () => {
    const leased = record({ status: 'PROCESSING', leaseOwner: 'other', leaseUntil: NOW + 60, sequencer: '00B0' });
    assert.equal(decideClaim(leased, request({ sequencer: '00A0' })).kind, 'stale');
  });

  test('delete of a DELETED record that is not newer → duplicate; newer → claim', () => {
    const deleted = record({ status: 'DELETED', sequencer: '00A1' });
    assert.equal(decideClaim(deleted, request({ kind: 'delete', sequencer: '00A1' })).kind, 'duplicate');
    assert.equal(decideClaim(record({ status: 'DELETED', eventTime: undefined }), request({ kind: 'delete' })).kind, 'duplicate');
    assert.equal(decideClaim(deleted, request({ kind: 'delete', sequencer: '00A2' })).kind, 'claim');
    assert.equal(decideClaim(deleted, request({ kind: 'delete', sequencer: '00A0' })).kind, 'stale');
  });

  test('delete of an INDEXED record → claim; upsert of the deleted version is not a duplicate', () => {
    assert.equal(decideClaim(record({ sequencer: '00A1' }), request({ kind: 'delete', sequencer: '00A2' })).kind, 'claim');
    assert.equal(decideClaim(record({ status: 'DELETED', etag: 'e' }), request({ etag: 'e', eventTime: T2 })).kind, 'claim');
  });

  test('another owner holds a live lease → busy', () => {
    const leased = record({ status: 'PROCESSING', leaseOwner: 'other', leaseUntil: NOW + 1, etag: 'e1' });
    assert.deepEqual(decideClaim(leased, request({ etag: 'e1' })), { kind: 'busy', reason: 'leased' });
    assert.equal(decideClaim(leased, request({ etag: 'e2', eventTime: T2 })).kind, 'busy');
    assert.equal(decideClaim(leased, request({ kind: 'delete', eventTime: T2 })).kind, 'busy');
  });

  test('own live lease → claim again', () => {
    const mine = record({ status: 'PROCESSING', leaseOwner: 'me', leaseUntil: NOW + 60 });
    assert.deepEqual(decideClaim(mine, request()), { kind: 'claim', reason: 'own-lease' });
  });

  test('expired lease → taken over (leaseUntil == now counts as expired)', () => {
    const expired = record({ status: 'PROCESSING', leaseOwner: 'other', leaseUntil: NOW - 1 });
    assert.deepEqual(decideClaim(expired, request()), { kind: 'claim', reason: 'lease-expired' });
    assert.equal(decideClaim({ ...expired, leaseUntil: NOW }, request()).kind, 'claim');
  });

  test('released lease (leaseUntil 0, no owner) → claim', () => {
    assert.deepEqual(decideClaim(record({ status: 'PROCESSING', leaseUntil: 0 }), request()), {
      kind: 'claim',
      reason: 'lease-released',
    });
    assert.equal(decideClaim(record({ status: 'PROCESSING', leaseOwner: 'other', leaseUntil: 0 }), request()).kind, 'claim');
  });

  test('FAILED is claimable again, even for the same version (DLQ redrive)', () => {
    assert.deepEqual(decideClaim(record({ status: 'FAILED', etag: 'e1', error: 'boom' }), request({ etag: 'e1' })), {
      kind: 'claim',
      reason: 'failed',
    });
  });

  test('FAILED but older → still stale', () => {
    assert.equal(decideClaim(record({ status: 'FAILED', sequencer: '00B0' }), request({ sequencer: '00A0' })).kind, 'stale');
  });
});
