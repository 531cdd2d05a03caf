import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import { SqliteState } from '../../../src/adapters/state/sqlite.ts';
import { openDatabase } from '../../../src/adapters/sqlite/open.ts';
import { immediateTransaction } from '../../../src/adapters/sqlite/transaction.ts';
import { SCHEMA_VERSION, userVersion } from '../../../src/adapters/sqlite/schema.ts';
import type { ClaimRequest, ClaimResult } from '../../../src/adapters/state/port.ts';
import { isIngestError } from '../../../src/errors.ts';

const NOW = 1_700_000_000;
const T1 = '2025-01-01T00:00:01.000Z';
const T2 = '2025-01-01T00:00:02.000Z';

function req(pk: string, overrides: Partial<ClaimRequest> = {}): ClaimRequest {
  return {
    pk,
    kind: 'upsert',
    etag: 'etag-1',
    sequencer: '0055AED6DCD90281E5',
    eventTime: T1,
    owner: 'worker-a',
    leaseUntil: NOW + 120,
    now: NOW,
    ...overrides,
  };
}

function leaseLost(err: unknown): boolean {
  return isIngestError(err) && err.code === 'LEASE_LOST' && err.retryable === true;
}

describe('SqliteState', () => {
  let dir: string;
  let dbPath: string;
  let state: SqliteState;
  let n = 0;
  const key = () => `bucket/file-${++n}.pdf`;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spot-ingest-state-'));
    dbPath = join(dir, 'data', 'spot-ingest.db');
    state = new SqliteState(dbPath);
  });

  afterEach(async () => {
    await state.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('opening creates the directory (0700), an owner-only WAL database, and the versioned schema', () => {
    assert.ok(existsSync(dbPath));
    assert.equal(statSync(join(dir, 'data')).mode & 0o777, 0o700);
    assert.equal(statSync(dbPath).mode & 0o077, 0, 'no group/other access');
    const row = state.db.prepare('PRAGMA journal_mode').get() as { journal_mode: string };
    assert.equal(row.journal_mode, 'wal');
    assert.equal(userVersion(state.db), SCHEMA_VERSION);
    // A second adapter on the same file leaves the schema alone.
    const again = new SqliteState(dbPath);
    assert.equal(userVersion(again.db), SCHEMA_VERSION);
    return again.close();
  });

  test('first claim creates a PROCESSING record', async () => {
    const pk = key();
    const result = await state.claim(req(pk));
    assert.deepEqual(result, { kind: 'claimed', previous: null });
    const rec = await state.get(pk);
    assert.equal(rec?.status, 'PROCESSING');
    assert.equal(rec?.leaseOwner, 'worker-a');
    assert.equal(rec?.leaseUntil, NOW + 120);
    assert.equal(rec?.attempts, 1);
    assert.equal(rec?.etag, 'etag-1');
    assert.equal(rec?.sequencer, '0055AED6DCD90281E5');
    assert.equal(rec?.eventTime, T1);
    assert.equal(rec?.versionId, undefined);
    assert.ok(rec?.updatedAt && !Number.isNaN(Date.parse(rec.updatedAt)));
    assert.equal(await state.get(key()), null);
  });

  test('complete INDEXED, then the same version again → duplicate; a newer one → claimed with previous', async () => {
    const pk = key();
    await state.claim(req(pk));
    await state.complete({
      pk,
      owner: 'worker-a',
      status: 'INDEXED',
      etag: 'etag-1',
      sequencer: '0055AED6DCD90281E5',
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

    const newer = await state.claim(req(pk, { owner: 'worker-b', etag: 'etag-2', sequencer: '0055AED6DCD90281F0', eventTime: T2 }));
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

  test('a claim replaces the version fields: one the new event lacks is dropped', async () => {
    const pk = key();
    await state.claim(req(pk, { versionId: 'v1' }));
    await state.complete({ pk, owner: 'worker-a', status: 'INDEXED', eventTime: T1 });
    assert.equal((await state.get(pk))?.versionId, 'v1', 'complete keeps version fields it is not given');
    await state.claim(req(pk, { etag: 'etag-2', versionId: undefined, sequencer: '0055AED6DCD90281F0', eventTime: T2 }));
    const rec = await state.get(pk);
    assert.equal(rec?.versionId, undefined);
    assert.equal(rec?.etag, 'etag-2');
  });

  test('an older sequencer (also of a different length) → stale', async () => {
    const pk = key();
    await state.claim(req(pk));
    await state.complete({ pk, owner: 'worker-a', status: 'INDEXED', sequencer: '0055AED6DCD90281E5', eventTime: T1 });
    const older = await state.claim(req(pk, { owner: 'worker-b', etag: 'etag-0', sequencer: '0055AED6DCD90281E4' }));
    assert.equal(older.kind, 'stale');
    const shorter = await state.claim(req(pk, { owner: 'worker-b', etag: 'etag-0', sequencer: '0055AED6DCD90281' }));
    assert.equal(shorter.kind, 'stale');
    const rec = await state.get(pk);
    assert.equal(rec?.status, 'INDEXED');
    assert.equal(rec?.attempts, 1);
  });

  test('10 concurrent claims of the same version by different owners → exactly one claimed', async () => {
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

  test('claims racing from 4 threads, each with its own connection → exactly one claimed per object', async () => {
    const pks = Array.from({ length: 20 }, () => key());
    const stateUrl = new URL('../../../src/adapters/state/sqlite.ts', import.meta.url).href;
    const start = new SharedArrayBuffer(4);
    const source = `
      const { workerData, parentPort } = require('node:worker_threads');
      (async () => {
        const { SqliteState } = await import(workerData.stateUrl);
        const state = new SqliteState(workerData.dbPath);
        const flag = new Int32Array(workerData.start);
        Atomics.wait(flag, 0, 0);
        const kinds = [];
        for (const pk of workerData.pks) {
          const r = await state.claim({
            pk, kind: 'upsert', etag: 'etag-1', eventTime: '${T1}', owner: workerData.owner,
            leaseUntil: ${NOW + 120}, now: ${NOW},
          });
          kinds.push(r.kind);
        }
        await state.close();
        parentPort.postMessage(kinds);
      })().catch((err) => { throw err; });
    `;
    const workers = Array.from({ length: 4 }, (_, i) =>
      new Worker(source, { eval: true, workerData: { stateUrl, dbPath, pks, owner: `thread-${i}`, start } }));
    const results = workers.map(
      (worker) =>
        new Promise<ClaimResult['kind'][]>((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
    );
    // Let every worker open its connection, then release them together.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const flag = new Int32Array(start);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    const kinds = await Promise.all(results);
    for (let i = 0; i < pks.length; i++) {
      const perObject = kinds.map((k) => k[i]);
      assert.equal(perObject.filter((k) => k === 'claimed').length, 1, `${pks[i]}: ${JSON.stringify(perObject)}`);
      assert.ok(perObject.every((k) => k === 'claimed' || k === 'busy'));
      const rec = await state.get(pks[i]!);
      assert.equal(rec?.attempts, 1);
      assert.match(rec?.leaseOwner ?? '', /^thread-\d$/);
    }
  });

  test('10 concurrent takeovers of an expired lease → exactly one claimed', async () => {
    const pk = key();
    await state.claim(req(pk, { leaseUntil: NOW + 10 }));
    const later = NOW + 60;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => state.claim(req(pk, { owner: `racer-${i}`, now: later, leaseUntil: later + 120 }))),
    );
    assert.equal(results.filter((r) => r.kind === 'claimed').length, 1, JSON.stringify(results.map((r) => r.kind)));
    assert.equal((await state.get(pk))?.attempts, 2);
  });

  test('busy while another owner holds a live lease; expired lease is taken over', async () => {
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
    await assert.rejects(state.release(pk, 'worker-a'), leaseLost);
    const after = await state.get(pk);
    assert.equal(after?.leaseOwner, 'worker-b');
    assert.equal(after?.status, 'PROCESSING');
    assert.equal(after?.leaseUntil, NOW + 200);
  });

  test('the owner re-claiming its own live lease is claimed again', async () => {
    const pk = key();
    await state.claim(req(pk));
    const again = await state.claim(req(pk, { leaseUntil: NOW + 500 }));
    assert.equal(again.kind, 'claimed');
    assert.equal((await state.get(pk))?.leaseUntil, NOW + 500);
  });

  test('renew extends the lease for the owner only', async () => {
    const pk = key();
    await state.claim(req(pk));
    await state.renew(pk, 'worker-a', NOW + 500);
    assert.equal((await state.get(pk))?.leaseUntil, NOW + 500);
    await assert.rejects(state.renew(pk, 'intruder', NOW + 900), leaseLost);
    await assert.rejects(state.renew(key(), 'worker-a', NOW + 900), leaseLost, 'no record at all');
    assert.equal((await state.get(pk))?.leaseUntil, NOW + 500);
  });

  test('release, then another worker re-claims at once; the releaser no longer owns it', async () => {
    const pk = key();
    await state.claim(req(pk, { leaseUntil: NOW + 600 }));
    await state.release(pk, 'worker-a');
    const released = await state.get(pk);
    assert.equal(released?.status, 'PROCESSING');
    assert.equal(released?.leaseUntil, 0);
    assert.equal(released?.leaseOwner, undefined);
    assert.equal(released?.etag, 'etag-1', 'version kept');

    await assert.rejects(state.renew(pk, 'worker-a', NOW + 700), leaseLost);
    const again = await state.claim(req(pk, { owner: 'worker-b' }));
    assert.equal(again.kind, 'claimed');
    assert.equal((await state.get(pk))?.leaseOwner, 'worker-b');
    assert.equal((await state.get(pk))?.attempts, 2);
  });

  test('FAILED is recorded with its error and can be claimed again (same version)', async () => {
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

  test('delete: claim, complete DELETED, redelivered delete → duplicate', async () => {
    const pk = key();
    await state.claim(req(pk));
    await state.complete({ pk, owner: 'worker-a', status: 'INDEXED', sha256: 'aa', size: 1, steps: { x: 1 }, eventTime: T1 });
    const del = await state.claim(req(pk, { kind: 'delete', etag: undefined, sequencer: '0055AED6DCD90281F0', eventTime: T2 }));
    assert.equal(del.kind, 'claimed');
    await state.complete({ pk, owner: 'worker-a', status: 'DELETED', eventTime: T2 });
    const rec = await state.get(pk);
    assert.equal(rec?.status, 'DELETED');
    assert.equal(rec?.sha256, undefined);
    assert.equal(rec?.size, undefined);
    assert.equal(rec?.steps, undefined);
    const again = await state.claim(req(pk, { kind: 'delete', etag: undefined, sequencer: '0055AED6DCD90281F0', eventTime: T2, owner: 'worker-b' }));
    assert.equal(again.kind, 'duplicate');
  });

  test('every write bumps rev', async () => {
    const pk = key();
    const rev = () => (state.db.prepare('SELECT rev FROM state_records WHERE pk = ?').get(pk) as { rev: number }).rev;
    await state.claim(req(pk));
    assert.equal(rev(), 1);
    await state.renew(pk, 'worker-a', NOW + 200);
    assert.equal(rev(), 2);
    await state.release(pk, 'worker-a');
    assert.equal(rev(), 3);
    await state.claim(req(pk));
    assert.equal(rev(), 4);
    await state.claim(req(pk, { owner: 'worker-b' })); // busy: no write
    assert.equal(rev(), 4);
  });

  test('updatedAt comes from the injected clock', async () => {
    const clocked = new SqliteState(state.db, { clock: () => new Date('2030-05-06T07:08:09.000Z') });
    const pk = key();
    await clocked.claim(req(pk));
    assert.equal((await clocked.get(pk))?.updatedAt, '2030-05-06T07:08:09.000Z');
    await clocked.close();
  });

  test('an abort signal aborts the call before anything is written', async () => {
    const pk = key();
    await assert.rejects(state.claim(req(pk), { signal: AbortSignal.abort() }), { name: 'AbortError' });
    await assert.rejects(state.get(pk, { signal: AbortSignal.abort() }), { name: 'AbortError' });
    await assert.rejects(state.renew(pk, 'worker-a', NOW, { signal: AbortSignal.abort() }), { name: 'AbortError' });
    assert.equal(await state.get(pk), null, 'nothing was written');
  });

  test('a write lock held by another connection past busy_timeout → transient DATABASE_BUSY; reads still work', async () => {
    const pk = key();
    await state.claim(req(pk));
    const other = openDatabase(dbPath);
    const impatient = new SqliteState(dbPath, { open: { busyTimeoutMs: 50 } });
    try {
      other.exec('BEGIN IMMEDIATE');
      await assert.rejects(impatient.claim(req(key())), (err: unknown) =>
        isIngestError(err) && err.code === 'DATABASE_BUSY' && err.retryable);
      await assert.rejects(impatient.renew(pk, 'worker-a', NOW + 1), (err: unknown) =>
        isIngestError(err) && err.code === 'DATABASE_BUSY');
      assert.equal((await impatient.get(pk))?.leaseOwner, 'worker-a', 'WAL: readers are not blocked by a writer');
      other.exec('ROLLBACK');
      assert.equal((await impatient.claim(req(key()))).kind, 'claimed');
      assert.equal(impatient.db.isTransaction, false, 'the failed claim rolled back');
    } finally {
      await impatient.close();
      other.close();
    }
  });

  test('a borrowed connection is left open by close(); an owned one is closed once; calls after close reject', async () => {
    const db = openDatabase(join(dir, 'shared.db'));
    const borrowed = new SqliteState(db);
    await borrowed.claim(req('b/k'));
    await borrowed.close();
    await borrowed.close();
    assert.equal(db.isOpen, true);
    await assert.rejects(borrowed.get('b/k'), /closed/);
    const again = new SqliteState(db);
    assert.equal((await again.get('b/k'))?.status, 'PROCESSING');
    await again.close();
    db.close();

    const owned = new SqliteState(join(dir, 'owned.db'));
    await owned.close();
    await owned.close();
    assert.equal(owned.db.isOpen, false);
  });

  test('immediateTransaction rolls back when its body throws', async () => {
    const pk = key();
    assert.throws(() => immediateTransaction(state.db, () => {
      state.db.prepare(`INSERT INTO state_records (pk, status, updatedAt) VALUES (?, 'INDEXED', 'x')`).run(pk);
      throw new Error('boom');
    }), /boom/);
    assert.equal(state.db.isTransaction, false);
    assert.equal(await state.get(pk), null);
  });

  test('a database from a newer release is refused', () => {
    const path = join(dir, 'future.db');
    const db = new DatabaseSync(path);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    assert.throws(() => new SqliteState(path), /newer than this release/);
  });
});
