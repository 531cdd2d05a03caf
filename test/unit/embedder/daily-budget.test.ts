/**
 * DailyBudget with an injected clock: the cap, the UTC day rolling over, no cap, and persistence
 * (same day, next day, missing / corrupt / unreadable file, throttled saves, atomic writes, a
 * failing save).
 */
import { test, type TestContext } from 'vitest';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DailyBudget, type PersistedSpend } from '../../../src/adapters/embedder/daily-budget.ts';
import { waitFor } from '../../support/wait-for.ts';

function clock(iso: string): { now: () => Date; set: (iso: string) => void; advance: (ms: number) => void } {
  let t = Date.parse(iso);
  return {
    now: () => new Date(t),
    set: (next) => {
      t = Date.parse(next);
    },
    advance: (ms) => {
      t += ms;
    },
  };
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'daily-budget-'));
  t.onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function readSpend(path: string): Promise<PersistedSpend> {
  return JSON.parse(await readFile(path, 'utf8')) as PersistedSpend;
}

function near(actual: number, expected: number): void {
  assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} is not ${expected}`);
}

test('the cap is reached: exhausted, nothing remaining', () => {
  const c = clock('2025-06-01T10:00:00Z');
  const budget = new DailyBudget({ limitUsd: 1, now: c.now });
  assert.equal(budget.exhausted, false);
  assert.equal(budget.remainingUsd, 1);
  budget.charge(0.4);
  budget.charge(0.5);
  near(budget.spentToday, 0.9);
  near(budget.remainingUsd!, 0.1);
  assert.equal(budget.exhausted, false);
  budget.charge(0.1);
  assert.equal(budget.exhausted, true, 'spend equal to the cap is exhausted');
  budget.charge(0.3);
  assert.equal(budget.exhausted, true);
  assert.equal(budget.remainingUsd, 0, 'never below 0');
});

test('a cap of 0 is exhausted from the start', () => {
  const budget = new DailyBudget({ limitUsd: 0 });
  assert.equal(budget.exhausted, true);
});

test('the next UTC day starts again at 0', () => {
  const c = clock('2025-06-01T23:59:59.000Z');
  const budget = new DailyBudget({ limitUsd: 2, now: c.now });
  budget.charge(2.5);
  assert.equal(budget.exhausted, true);
  assert.equal(budget.day, '2025-06-01');
  c.advance(999);
  assert.equal(budget.exhausted, true, 'still the same day');
  c.advance(1);
  assert.equal(budget.day, '2025-06-02');
  assert.equal(budget.spentToday, 0);
  assert.equal(budget.exhausted, false);
  assert.equal(budget.remainingUsd, 2);
  budget.charge(0.5);
  near(budget.spentToday, 0.5);
});

test('the day is the UTC date whatever the local time zone', (t) => {
  const saved = process.env.TZ;
  t.onTestFinished(() => {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  });
  process.env.TZ = 'Asia/Tokyo'; // UTC+9: 2025-06-01T20:00Z is already June 2nd there
  const c = clock('2025-06-01T20:00:00Z');
  const budget = new DailyBudget({ limitUsd: 1, now: c.now });
  assert.equal(new Date(Date.parse('2025-06-01T20:00:00Z')).getDate(), 2, 'the time zone is in effect');
  assert.equal(budget.day, '2025-06-01');
  budget.charge(1);
  c.set('2025-06-01T23:00:00Z');
  assert.equal(budget.exhausted, true, 'local midnight is not the reset');
});

test('no limit: never exhausted, no remaining amount', () => {
  const budget = new DailyBudget();
  budget.charge(1_000_000);
  assert.equal(budget.exhausted, false);
  assert.equal(budget.remainingUsd, undefined);
  assert.equal(budget.limitUsd, undefined);
  near(budget.spentToday, 1_000_000);
});

test('charges and limits are checked', () => {
  const budget = new DailyBudget({ limitUsd: 1 });
  for (const bad of [-0.01, Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(() => budget.charge(bad), RangeError);
  assert.equal(budget.spentToday, 0);
  budget.charge(0);
  assert.throws(() => new DailyBudget({ limitUsd: -1 }), RangeError);
  assert.throws(() => new DailyBudget({ limitUsd: Number.NaN }), RangeError);
});

test('the spend survives a new instance on the same day, and is ignored on the next', async (t) => {
  const dir = await tempDir(t);
  const persistPath = join(dir, 'state', 'bedrock-spend.json'); // the directory is made when needed
  const c = clock('2025-06-01T08:00:00Z');
  const first = await DailyBudget.open({ limitUsd: 5, now: c.now, persistPath });
  first.charge(1.25);
  first.charge(0.5);
  await first.close();
  assert.deepEqual(await readSpend(persistPath), { day: '2025-06-01', usd: 1.75 });

  c.set('2025-06-01T21:00:00Z');
  const second = await DailyBudget.open({ limitUsd: 2, now: c.now, persistPath });
  near(second.spentToday, 1.75);
  second.charge(0.25);
  assert.equal(second.exhausted, true);
  await second.close();

  c.set('2025-06-02T00:00:01Z');
  const warnings: string[] = [];
  const third = await DailyBudget.open({ limitUsd: 2, now: c.now, persistPath, onWarning: (m) => warnings.push(m) });
  assert.equal(third.spentToday, 0);
  assert.equal(third.exhausted, false);
  assert.deepEqual(warnings, [], 'yesterday\'s file is no problem');
  await third.close();
  assert.deepEqual(await readSpend(persistPath), { day: '2025-06-02', usd: 0 });
  assert.deepEqual((await readdir(join(dir, 'state'))).sort(), ['bedrock-spend.json'], 'no temporary file is left');
});

test('a missing file starts at 0 without a warning', async (t) => {
  const dir = await tempDir(t);
  const warnings: string[] = [];
  const budget = await DailyBudget.open({ limitUsd: 1, persistPath: join(dir, 'none.json'), onWarning: (m) => warnings.push(m) });
  assert.equal(budget.spentToday, 0);
  assert.deepEqual(warnings, []);
});

test('a corrupt or unreadable file starts at 0 with a warning, and is replaced', async (t) => {
  const dir = await tempDir(t);
  const c = clock('2025-06-01T08:00:00Z');
  const cases: Array<[string, string]> = [
    ['torn.json', '{"day":"2025-06-01","us'],
    ['shape.json', JSON.stringify({ day: '2025-06-01', usd: 'lots' })],
    ['negative.json', JSON.stringify({ day: '2025-06-01', usd: -3 })],
    ['array.json', '[1, 2]'],
  ];
  for (const [name, body] of cases) {
    const persistPath = join(dir, name);
    await writeFile(persistPath, body);
    const warnings: string[] = [];
    const budget = await DailyBudget.open({ limitUsd: 1, now: c.now, persistPath, onWarning: (m) => warnings.push(m) });
    assert.equal(budget.spentToday, 0, name);
    assert.equal(warnings.length, 1, name);
    assert.match(warnings[0]!, /not valid.*\$0/, name);
    budget.charge(0.5);
    await budget.close();
    assert.deepEqual(await readSpend(persistPath), { day: '2025-06-01', usd: 0.5 }, name);
  }

  // a directory where the file should be: the read fails with something other than ENOENT
  const persistPath = join(dir, 'is-a-dir.json');
  await mkdir(persistPath);
  const warnings: string[] = [];
  const budget = await DailyBudget.open({ limitUsd: 1, now: c.now, persistPath, onWarning: (m) => warnings.push(m) });
  assert.equal(budget.spentToday, 0);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /could not read.*EISDIR/);
});

test('charge() saves at most once a second; close() always saves', async (t) => {
  const dir = await tempDir(t);
  const persistPath = join(dir, 'spend.json');
  const c = clock('2025-06-01T08:00:00Z');
  const budget = await DailyBudget.open({ limitUsd: 100, now: c.now, persistPath });

  budget.charge(1); // the first charge saves
  await waitFor(async () => (await readSpend(persistPath).catch(() => undefined))?.usd === 1, { what: 'the first save' });

  c.advance(500);
  budget.charge(2); // within the second: no save
  // A measurement window: a save is started synchronously by charge() and is one write and rename;
  // no event marks a save that did not happen.
  await sleep(100);
  assert.equal((await readSpend(persistPath)).usd, 1, 'no save within a second of the last');

  c.advance(500);
  budget.charge(4); // a second later: saved, with everything so far
  await waitFor(async () => (await readSpend(persistPath)).usd === 7, { what: 'the second save' });

  c.advance(10);
  budget.charge(8);
  await budget.close();
  assert.deepEqual(await readSpend(persistPath), { day: '2025-06-01', usd: 15 });
  assert.deepEqual(await readdir(dir), ['spend.json'], 'no temporary file is left');
});

test('without persistPath nothing is written and close() resolves', async () => {
  const budget = await DailyBudget.open({ limitUsd: 1 });
  budget.charge(0.2);
  await budget.close();
  near(budget.spentToday, 0.2);
});

test('a failing save is a warning, not an error', async (t) => {
  const dir = await tempDir(t);
  const blocker = join(dir, 'blocker');
  await writeFile(blocker, 'a file, so nothing can be made under it');
  const warnings: string[] = [];
  const budget = await DailyBudget.open({ limitUsd: 1, persistPath: join(blocker, 'spend.json'), onWarning: (m) => warnings.push(m) });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /could not read.*ENOTDIR/);
  budget.charge(0.5); // a background save that fails
  await budget.close(); // and one more
  assert.equal(warnings.length, 3);
  for (const w of warnings.slice(1)) assert.match(w, /could not save the Bedrock spend.*(EEXIST|ENOTDIR)/);
  near(budget.spentToday, 0.5);
});

test('a throwing onWarning does not make a background save reject', async (t) => {
  const dir = await tempDir(t);
  const blocker = join(dir, 'blocker');
  await writeFile(blocker, 'x');
  const unhandled: unknown[] = [];
  const listener = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', listener);
  t.onTestFinished(() => { process.off('unhandledRejection', listener); });
  const budget = await DailyBudget.open({ persistPath: join(blocker, 'spend.json'), onWarning: () => { throw new Error('logger bug'); } });
  budget.charge(1);
  await budget.close();
  // unhandled rejections are reported once the microtask queue drains, before the next macrotask
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(unhandled, []);
});

test('with a ledger: charges are added at most once per sync interval, a failed add is kept for the next one (with a warning)', async () => {
  let now = Date.parse('2026-11-22T10:00:00Z');
  const adds: number[] = [];
  let failing = false;
  let fleetElsewhere = 0;
  const ledger = {
    where: 'the test ledger',
    async add(_day: string, usd: number) {
      if (failing) throw new Error('throttled');
      adds.push(usd);
      fleetElsewhere += usd;
      return fleetElsewhere;
    },
  };
  const warnings: string[] = [];
  const budget = await DailyBudget.open({ limitUsd: 1, ledger, now: () => new Date(now), syncIntervalMs: 5_000, onWarning: (m) => warnings.push(m) });
  assert.deepEqual(adds, [0], 'open reads the fleet total');
  fleetElsewhere = 0.5; // another instance spent
  budget.charge(0.1); // too soon after open: kept
  assert.deepEqual(adds, [0]);
  assert.ok(Math.abs(budget.spentToday - 0.1) < 1e-9, 'what this instance knows');
  now += 5_000;
  failing = true;
  budget.charge(0.1);
  await budget.close();
  assert.match(warnings.join('\n'), /could not add the Bedrock spend to the test ledger: throttled/);
  assert.ok(Math.abs(budget.spentToday - 0.2) < 1e-9, 'a failed add is still counted here');
  failing = false;
  await budget.close();
  assert.ok(Math.abs(adds.at(-1)! - 0.2) < 1e-9, 'and sent with the next sync');
  assert.ok(Math.abs(budget.spentToday - 0.7) < 1e-9, 'now the fleet total');
  assert.equal(budget.exhausted, false);
});
