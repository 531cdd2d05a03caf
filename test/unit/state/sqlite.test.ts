import { describe, test, beforeEach, afterEach } from 'vitest';
import assert from 'node:assert/strict';
import { waitFor } from '../../support/wait-for.ts';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import { SqliteState } from '../../../src/adapters/state/sqlite.ts';
import { openDatabase } from '../../../src/adapters/sqlite/open.ts';
import { immediateTransaction } from '../../../src/adapters/sqlite/transaction.ts';
import { SCHEMA_VERSION, userVersion } from '../../../src/adapters/sqlite/schema.ts';
import type { ClaimResult } from '../../../src/core/file-record.ts';
import { isIngestError } from '../../../src/core/errors.ts';
import { claimRequest as req, NOW, stateContract, T1 } from '../../support/state-contract.ts';

// Every contract test gets its own database file.
stateContract('SqliteState', async (options) => {
  const dir = mkdtempSync(join(tmpdir(), 'spot-ingest-state-'));
  const state = new SqliteState(join(dir, 'spot-ingest.db'), { clock: options?.clock });
  const revision = state.db.prepare('SELECT rev FROM state_records WHERE pk = ?');
  return {
    state,
    revision: async (pk) => (revision.get(pk) as { rev: number } | undefined)?.rev,
    async cleanup() {
      await state.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

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

  test('claims racing from 4 threads, each with its own connection → exactly one claimed per object', async () => {
    const pks = Array.from({ length: 20 }, () => key());
    const stateUrl = new URL('../../../src/adapters/state/sqlite.ts', import.meta.url).href;
    // [0] start flag, [1] how many workers have their connection and are waiting
    const start = new SharedArrayBuffer(8);
    const source = `
      const { workerData, parentPort } = require('node:worker_threads');
      (async () => {
        const { SqliteState } = await import(workerData.stateUrl);
        const state = new SqliteState(workerData.dbPath);
        const flag = new Int32Array(workerData.start);
        Atomics.add(flag, 1, 1);
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
    // Release them together once every worker has opened its connection.
    const flag = new Int32Array(start);
    await waitFor(() => Atomics.load(flag, 1) === workers.length, { what: 'every worker ready' });
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
