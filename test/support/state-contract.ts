/**
 * The StatePort contract (docs/design.md §4, §5): one suite of behaviour every state adapter must show,
 * registered for each adapter by its own test file (DynamoDB, SQLite), which keeps only the tests
 * specific to that adapter. Call `stateContract` inside the adapter's `describe` so its hooks (and
 * skip) apply. Every test gets its own adapter from `make` and uses fresh keys, so a harness may
 * share its storage across tests.
 */
import { describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { StatePort } from '../../src/pipeline/ports/state.ts';
import type { ClaimRequest } from '../../src/core/file-record.ts';
import { isIngestError } from '../../src/core/errors.ts';

export const NOW = 1_700_000_000;
export const T1 = '2025-01-01T00:00:01.000Z';
export const T2 = '2025-01-01T00:00:02.000Z';
const SEQ1 = '0055AED6DCD90281E5';
const SEQ2 = '0055AED6DCD90281F0';

/** An upsert claim of version etag-1 / SEQ1 at T1 by worker-a, leased until NOW + 120. */
export function claimRequest(pk: string, overrides: Partial<ClaimRequest> = {}): ClaimRequest {
  return {
    pk,
    kind: 'upsert',
    etag: 'etag-1',
    sequencer: SEQ1,
    eventTime: T1,
    owner: 'worker-a',
    leaseUntil: NOW + 120,
    now: NOW,
    ...overrides,
  };
}

/** The rejection of a lease operation by a caller that no longer holds the lease. */
export function leaseLost(err: unknown): boolean {
  return isIngestError(err) && err.code === 'LEASE_LOST' && err.retryable === true;
}

export interface StateHarnessOptions {
  /** Clock for `updatedAt`. */
  clock?: () => Date;
}

export interface StateHarness {
  state: StatePort;
  /** The stored `rev` of a record (every write bumps it), read behind the port's back. */
  revision(pk: string): Promise<number | undefined>;
  /** Closes the adapter and drops whatever `make` set up for it. */
  cleanup(): Promise<void>;
}

export function stateContract(name: string, make: (options?: StateHarnessOptions) => Promise<StateHarness>): void {
  const key = () => `bucket/${randomUUID()}.pdf`;
  const req = claimRequest;

  /** A test with its own harness, cleaned up whatever the outcome. */
  function check(title: string, body: (h: StateHarness) => Promise<void>, options?: StateHarnessOptions): void {
    test(title, async () => {
      const harness = await make(options);
      try {
        await body(harness);
      } finally {
        await harness.cleanup();
      }
    });
  }

  describe(`StatePort contract: ${name}`, () => {
    check('first claim creates a PROCESSING record', async ({ state }) => {
      const pk = key();
      const result = await state.claim(req(pk));
      assert.deepEqual(result, { kind: 'claimed', previous: null, crashes: 0 });
      const rec = await state.get(pk);
      assert.equal(rec?.status, 'PROCESSING');
      assert.equal(rec?.leaseOwner, 'worker-a');
      assert.equal(rec?.leaseUntil, NOW + 120);
      assert.equal(rec?.attempts, 1);
      assert.equal(rec?.etag, 'etag-1');
      assert.equal(rec?.sequencer, SEQ1);
      assert.equal(rec?.eventTime, T1);
      assert.equal(rec?.versionId, undefined);
      assert.ok(rec?.updatedAt && !Number.isNaN(Date.parse(rec.updatedAt)));
      assert.equal(await state.get(key()), null);
    });

    check('complete INDEXED, then the same version again → duplicate; a newer one → claimed with previous', async ({ state }) => {
      const pk = key();
      await state.claim(req(pk));
      await state.complete({
        pk,
        owner: 'worker-a',
        status: 'INDEXED',
        etag: 'etag-1',
        sequencer: SEQ1,
        sha256: 'abc123',
        size: 42,
        contentType: 'application/pdf',
        steps: { download: 12, extract: 30 },
        warnings: ['low confidence'],
        eventTime: T1,
      });
      const done = await state.get(pk);
      assert.equal(done?.status, 'INDEXED');
      assert.equal(done?.leaseOwner, undefined);
      assert.equal(done?.leaseUntil, 0);
      assert.deepEqual(done?.steps, { download: 12, extract: 30 });
      assert.deepEqual(done?.warnings, ['low confidence']);

      const dup = await state.claim(req(pk, { owner: 'worker-b' }));
      assert.equal(dup.kind, 'duplicate');
      assert.equal(dup.kind === 'duplicate' && dup.record.sha256, 'abc123');

      const newer = await state.claim(req(pk, { owner: 'worker-b', etag: 'etag-2', sequencer: SEQ2, eventTime: T2 }));
      assert.equal(newer.kind, 'claimed');
      assert.ok(newer.kind === 'claimed' && newer.previous);
      assert.equal(newer.previous.status, 'INDEXED');
      assert.equal(newer.previous.sha256, 'abc123');
      assert.equal(newer.previous.size, 42);
      assert.equal(newer.previous.contentType, 'application/pdf');
      assert.deepEqual(newer.previous.steps, { download: 12, extract: 30 });
      const rec = await state.get(pk);
      assert.equal(rec?.status, 'PROCESSING');
      assert.equal(rec?.etag, 'etag-2');
      assert.equal(rec?.leaseOwner, 'worker-b');
      assert.equal(rec?.attempts, 2);
      // The last indexed content stays on the record while the new version is processed.
      assert.equal(rec?.sha256, 'abc123');
    });

    check('a claim replaces the version fields: one the new event lacks is dropped', async ({ state }) => {
      const pk = key();
      await state.claim(req(pk, { versionId: 'v1' }));
      await state.complete({ pk, owner: 'worker-a', status: 'INDEXED', eventTime: T1 });
      assert.equal((await state.get(pk))?.versionId, 'v1', 'complete keeps version fields it is not given');
      await state.claim(req(pk, { etag: 'etag-2', versionId: undefined, sequencer: SEQ2, eventTime: T2 }));
      const rec = await state.get(pk);
      assert.equal(rec?.versionId, undefined);
      assert.equal(rec?.etag, 'etag-2');
    });

    check('an older sequencer (also of a different length) → stale', async ({ state }) => {
      const pk = key();
      await state.claim(req(pk));
      await state.complete({ pk, owner: 'worker-a', status: 'INDEXED', sequencer: SEQ1, eventTime: T1 });
      const older = await state.claim(req(pk, { owner: 'worker-b', etag: 'etag-0', sequencer: '0055AED6DCD90281E4' }));
      assert.equal(older.kind, 'stale');
      const shorter = await state.claim(req(pk, { owner: 'worker-b', etag: 'etag-0', sequencer: '0055AED6DCD90281' }));
      assert.equal(shorter.kind, 'stale');
      const rec = await state.get(pk);
      assert.equal(rec?.status, 'INDEXED');
      assert.equal(rec?.attempts, 1);
    });

    check('10 concurrent claims of the same version by different owners → exactly one claimed', async ({ state }) => {
      const pk = key();
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => state.claim(req(pk, { owner: `racer-${i}` }))),
      );
      const claimed = results.filter((r) => r.kind === 'claimed');
      assert.equal(claimed.length, 1, JSON.stringify(results.map((r) => r.kind)));
      assert.ok(results.every((r) => r.kind === 'claimed' || r.kind === 'busy'));
      const rec = await state.get(pk);
      assert.match(rec?.leaseOwner ?? '', /^racer-\d$/);
      assert.equal(rec?.attempts, 1);
    });

    check('10 concurrent takeovers of an expired lease → exactly one claimed', async ({ state }) => {
      const pk = key();
      await state.claim(req(pk, { leaseUntil: NOW + 10 }));
      const later = NOW + 60;
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => state.claim(req(pk, { owner: `racer-${i}`, now: later, leaseUntil: later + 120 }))),
      );
      assert.equal(results.filter((r) => r.kind === 'claimed').length, 1, JSON.stringify(results.map((r) => r.kind)));
      assert.equal((await state.get(pk))?.attempts, 2);
    });

    check('busy while another owner holds a live lease; expired lease is taken over', async ({ state }) => {
      const pk = key();
      await state.claim(req(pk, { leaseUntil: NOW + 30 }));
      const busy = await state.claim(req(pk, { owner: 'worker-b', now: NOW + 29 }));
      assert.equal(busy.kind, 'busy');
      assert.equal(busy.kind === 'busy' && busy.record.leaseOwner, 'worker-a');

      const takeover = await state.claim(req(pk, { owner: 'worker-b', now: NOW + 31, leaseUntil: NOW + 200 }));
      assert.equal(takeover.kind, 'claimed');
      assert.equal(takeover.kind === 'claimed' && takeover.previous?.leaseOwner, 'worker-a');
      const rec = await state.get(pk);
      assert.equal(rec?.leaseOwner, 'worker-b');
      assert.equal(rec?.leaseUntil, NOW + 200);
      assert.equal(rec?.attempts, 2);

      // The former owner has lost the lease for every lease operation.
      await assert.rejects(state.renew(pk, 'worker-a', NOW + 300), leaseLost);
      await assert.rejects(state.complete({ pk, owner: 'worker-a', status: 'INDEXED', eventTime: T1 }), leaseLost);
      await assert.rejects(state.fail(pk, 'worker-a', 'boom'), leaseLost);
      await assert.rejects(state.dropLease(pk, 'worker-a'), leaseLost);
      const unchanged = await state.get(pk);
      assert.equal(unchanged?.leaseOwner, 'worker-b');
      assert.equal(unchanged?.status, 'PROCESSING');
      assert.equal(unchanged?.leaseUntil, NOW + 200);
    });

    check('the owner re-claiming its own live lease is claimed again', async ({ state }) => {
      const pk = key();
      await state.claim(req(pk));
      const again = await state.claim(req(pk, { leaseUntil: NOW + 500 }));
      assert.equal(again.kind, 'claimed');
      assert.equal((await state.get(pk))?.leaseUntil, NOW + 500);
    });

    check('renew extends the lease for the owner only', async ({ state }) => {
      const pk = key();
      await state.claim(req(pk));
      await state.renew(pk, 'worker-a', NOW + 500);
      assert.equal((await state.get(pk))?.leaseUntil, NOW + 500);
      await assert.rejects(state.renew(pk, 'intruder', NOW + 900), leaseLost);
      await assert.rejects(state.renew(key(), 'worker-a', NOW + 900), leaseLost, 'no record at all');
      assert.equal((await state.get(pk))?.leaseUntil, NOW + 500);
    });

    check('dropLease, then another worker re-claims at once; the one that dropped it no longer owns it', async ({ state }) => {
      const pk = key();
      await state.claim(req(pk, { leaseUntil: NOW + 600 }));
      await state.dropLease(pk, 'worker-a');
      const released = await state.get(pk);
      assert.equal(released?.status, 'PROCESSING');
      assert.equal(released?.leaseUntil, 0);
      assert.equal(released?.leaseOwner, undefined);
      assert.equal(released?.etag, 'etag-1', 'version kept');

      await assert.rejects(state.renew(pk, 'worker-a', NOW + 700), leaseLost);
      const again = await state.claim(req(pk, { owner: 'worker-b' }));
      assert.equal(again.kind, 'claimed');
      const rec = await state.get(pk);
      assert.equal(rec?.leaseOwner, 'worker-b');
      assert.equal(rec?.attempts, 2);
    });

    check('FAILED is recorded with its error and can be claimed again (same version)', async ({ state }) => {
      const pk = key();
      await state.claim(req(pk));
      await state.fail(pk, 'worker-a', 'PDF is encrypted');
      const failed = await state.get(pk);
      assert.equal(failed?.status, 'FAILED');
      assert.equal(failed?.error, 'PDF is encrypted');
      assert.equal(failed?.leaseOwner, undefined);
      assert.equal(failed?.leaseUntil, 0);
      await assert.rejects(state.fail(pk, 'worker-a', 'again'), leaseLost, 'the lease went with the failure');

      const redriven = await state.claim(req(pk, { owner: 'worker-b' }));
      assert.equal(redriven.kind, 'claimed');
      assert.equal(redriven.kind === 'claimed' && redriven.previous?.status, 'FAILED');
      assert.equal((await state.get(pk))?.attempts, 2);
      await state.complete({ pk, owner: 'worker-b', status: 'INDEXED', sha256: 'ff', eventTime: T1 });
      const done = await state.get(pk);
      assert.equal(done?.status, 'INDEXED');
      assert.equal(done?.error, undefined, 'complete clears the old error');
    });

    check('delete: claim, complete DELETED, redelivered delete → duplicate', async ({ state }) => {
      const pk = key();
      const deletion = { kind: 'delete', etag: undefined, sequencer: SEQ2, eventTime: T2 } as const;
      await state.claim(req(pk));
      await state.complete({ pk, owner: 'worker-a', status: 'INDEXED', sha256: 'aa', size: 1, steps: { x: 1 }, eventTime: T1 });
      const del = await state.claim(req(pk, deletion));
      assert.equal(del.kind, 'claimed');
      await state.complete({ pk, owner: 'worker-a', status: 'DELETED', eventTime: T2 });
      const rec = await state.get(pk);
      assert.equal(rec?.status, 'DELETED');
      assert.equal(rec?.sha256, undefined);
      assert.equal(rec?.size, undefined);
      assert.equal(rec?.steps, undefined);
      const again = await state.claim(req(pk, { ...deletion, owner: 'worker-b' }));
      assert.equal(again.kind, 'duplicate');
    });

    check('every write bumps rev; a claim that is not taken writes nothing', async ({ state, revision }) => {
      const pk = key();
      await state.claim(req(pk));
      assert.equal(await revision(pk), 1);
      await state.renew(pk, 'worker-a', NOW + 200);
      assert.equal(await revision(pk), 2);
      await state.dropLease(pk, 'worker-a');
      assert.equal(await revision(pk), 3);
      await state.claim(req(pk));
      assert.equal(await revision(pk), 4);
      await state.claim(req(pk, { owner: 'worker-b' })); // busy: no write
      assert.equal(await revision(pk), 4);
      await assert.rejects(state.renew(pk, 'worker-b', NOW + 300), leaseLost);
      assert.equal(await revision(pk), 4, 'a lost lease operation writes nothing');
      await state.complete({ pk, owner: 'worker-a', status: 'INDEXED', eventTime: T1 });
      assert.equal(await revision(pk), 5);
      await state.claim(req(pk, { owner: 'worker-b' })); // duplicate: no write
      assert.equal(await revision(pk), 5);
      await state.claim(req(pk, { etag: 'etag-2', sequencer: SEQ2, eventTime: T2 }));
      assert.equal(await revision(pk), 6);
      await state.fail(pk, 'worker-a', 'boom');
      assert.equal(await revision(pk), 7);
    });

    check('crash guard: an attempt that dies while marked extracting is counted by the next claim of that version', async ({ state }) => {
      const pk = key();
      assert.equal((await state.claim(req(pk))).kind, 'claimed');
      await state.markExtracting(pk, 'worker-a', true);
      assert.match((await state.get(pk))?.extractingSince ?? '', /^\d{4}-\d\d-\d\dT/);
      // worker-a dies; its lease lapses; worker-b claims
      const later = { owner: 'worker-b', now: NOW + 200, leaseUntil: NOW + 320 };
      const second = await state.claim(req(pk, later));
      assert.deepEqual(second.kind === 'claimed' && second.crashes, 1);
      assert.equal((await state.get(pk))?.extractingSince, undefined, 'the new attempt starts unmarked');
      await state.markExtracting(pk, 'worker-b', true);
      const third = await state.claim(req(pk, { owner: 'worker-c', now: NOW + 400, leaseUntil: NOW + 520 }));
      assert.deepEqual(third.kind === 'claimed' && third.crashes, 2);
      assert.equal((await state.get(pk))?.crashes, 2);
      // an attempt that ends (released) leaves the count as it is
      await state.markExtracting(pk, 'worker-c', true);
      await state.dropLease(pk, 'worker-c');
      const fourth = await state.claim(req(pk, { owner: 'worker-d', now: NOW + 600, leaseUntil: NOW + 720 }));
      assert.deepEqual(fourth.kind === 'claimed' && fourth.crashes, 2);
      // indexing the version clears it
      await state.complete({ pk, owner: 'worker-d', status: 'INDEXED', eventTime: T1, etag: 'etag-1' });
      assert.equal((await state.get(pk))?.crashes, undefined);
    });

    check('crash guard: a mark taken off after extraction, or a crash of another version, counts nothing', async ({ state }) => {
      const pk = key();
      await state.claim(req(pk));
      await state.markExtracting(pk, 'worker-a', true);
      await state.markExtracting(pk, 'worker-a', false);
      const next = await state.claim(req(pk, { owner: 'worker-b', now: NOW + 200, leaseUntil: NOW + 320 }));
      assert.deepEqual(next.kind === 'claimed' && next.crashes, 0, 'killed after extraction: not the file\'s fault');
      await state.markExtracting(pk, 'worker-b', true);
      const other = await state.claim(req(pk, { owner: 'worker-c', now: NOW + 400, leaseUntil: NOW + 520, etag: 'etag-2', sequencer: '0055AED6DCD90281F0', eventTime: T2 }));
      assert.deepEqual(other.kind === 'claimed' && other.crashes, 0, 'new bytes start again');
      await assert.rejects(state.markExtracting(pk, 'worker-a', true), leaseLost);
    });

    const fixed = new Date('2030-05-06T07:08:09.000Z');
    check('updatedAt comes from the injected clock', async ({ state }) => {
      const pk = key();
      await state.claim(req(pk));
      assert.equal((await state.get(pk))?.updatedAt, fixed.toISOString());
      await state.complete({ pk, owner: 'worker-a', status: 'INDEXED', eventTime: T1 });
      assert.equal((await state.get(pk))?.updatedAt, fixed.toISOString());
    }, { clock: () => fixed });

    check('an abort signal aborts the call before anything is written', async ({ state }) => {
      const pk = key();
      const aborted = { name: 'AbortError' };
      const signal = AbortSignal.abort();
      await assert.rejects(state.claim(req(pk), { signal }), aborted);
      await assert.rejects(state.get(pk, { signal }), aborted);
      await assert.rejects(state.renew(pk, 'worker-a', NOW, { signal }), aborted);
      assert.equal(await state.get(pk), null, 'nothing was written');

      // Lease operations on a held lease leave the record as it was.
      await state.claim(req(pk));
      const before = await state.get(pk);
      await assert.rejects(state.renew(pk, 'worker-a', NOW + 900, { signal }), aborted);
      await assert.rejects(state.complete({ pk, owner: 'worker-a', status: 'INDEXED', eventTime: T1 }, { signal }), aborted);
      await assert.rejects(state.fail(pk, 'worker-a', 'boom', { signal }), aborted);
      await assert.rejects(state.dropLease(pk, 'worker-a', { signal }), aborted);
      assert.deepEqual(await state.get(pk), before);
    });
  });
}
