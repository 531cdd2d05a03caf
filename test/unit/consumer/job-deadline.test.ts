/** A job's deadline: base, plus a per-page allowance, but never `base` without a finished page. */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { JobDeadline } from '../../../src/consumer/job-deadline.ts';
import { waitFor } from '../../support/wait-for.ts';

test('the deadline is start + base + perPage × pages, capped at the last page + base', () => {
  let now = 1_000_000;
  const d = new JobDeadline({ baseMs: 600_000, perPageMs: 30_000, onExpire: () => assert.fail('must not expire'), now: () => now });
  try {
    assert.equal(d.at, now + 600_000);
    now += 590_000;
    d.pageDone();
    assert.equal(d.at, 1_000_000 + 630_000, 'a page finished at 590 s earns 30 s more');
    for (let i = 0; i < 99; i++) {
      now += 2_000;
      d.pageDone();
    }
    // 100 pages earn 3000 s, but the job may not go 600 s without a page
    assert.equal(d.at, now + 600_000);
  } finally {
    d.stop();
  }
});

test('it fires once at the deadline; a page moves it later; stop() prevents it', async () => {
  let fired = 0;
  const d = new JobDeadline({ baseMs: 40, perPageMs: 1_000, onExpire: () => fired++ });
  d.pageDone();
  await waitFor(() => fired === 1, { what: 'the deadline to fire' });
  assert.equal(d.expired, true);
  d.pageDone();
  assert.equal(fired, 1, 'fires once');

  let late = 0;
  const stopped = new JobDeadline({ baseMs: 20, perPageMs: 0, onExpire: () => late++ });
  stopped.stop();
  const probe = new JobDeadline({ baseMs: 60, perPageMs: 0, onExpire: () => undefined });
  await waitFor(() => probe.expired, { what: 'a later deadline to pass' });
  assert.equal(late, 0, 'a stopped deadline never fires');
});
