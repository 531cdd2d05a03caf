/**
 * One dependency's circuit: which failures open it, failing fast while open, the probe loop that
 * closes it, and confirmDown's one probe before a dead letter.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { Circuit, type Probe } from '../../../src/gate/circuit.ts';
import { isIngestError, permanent, transient } from '../../../src/core/errors.ts';
import { jitteredBackoff as backoffMs } from '../../../src/core/backoff.ts';
import { waitFor } from '../../support/wait-for.ts';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });

function circuit(probe: Probe, changes: boolean[] = []) {
  return new Circuit({ dependency: 'opensearch', probe, failureThreshold: 3, probeMinMs: 5, probeMaxMs: 20, onChange: (open) => changes.push(open) });
}

test('a run of outage failures opens it; a success or a failure of one request (not an outage) resets the count', async () => {
  const c = circuit(async () => undefined);
  try {
    await assert.rejects(c.call(() => Promise.reject(refused())), (err) => isIngestError(err) && err.code === 'CONNECTION' && err.dependency === 'opensearch');
    await assert.rejects(c.call(() => Promise.reject(transient('INDEX_UNAVAILABLE', '503'))));
    assert.equal(await c.call(async () => 'ok'), 'ok');
    await assert.rejects(c.call(() => Promise.reject(refused())));
    await assert.rejects(c.call(() => Promise.reject(refused())));
    await assert.rejects(c.call(() => Promise.reject(permanent('INDEX_DOCUMENT_REJECTED', 'bad doc'))), (err) => isIngestError(err) && !err.retryable && err.dependency === 'opensearch');
    await assert.rejects(c.call(() => Promise.reject(transient('ACCESS_DENIED', '403'))));
    await assert.rejects(c.call(() => Promise.reject(refused())));
    assert.equal(c.open, false, 'never three outage failures in a row');
  } finally {
    await c.stop();
  }
});

test('open: calls fail fast with a retryable DEPENDENCY_CIRCUIT_OPEN naming the cause; the probe loop closes it once a probe succeeds', async () => {
  let probes = 0;
  const changes: boolean[] = [];
  const c = circuit(async () => {
    probes += 1;
    if (probes < 3) throw refused();
  }, changes);
  try {
    for (let i = 0; i < 3; i++) await assert.rejects(c.call(() => Promise.reject(transient('INDEX_UNAVAILABLE', 'answered 503'))));
    assert.equal(c.open, true);
    let ran = false;
    await assert.rejects(c.call(async () => (ran = true)), (err) =>
      isIngestError(err) && err.code === 'DEPENDENCY_CIRCUIT_OPEN' && err.retryable && err.dependency === 'opensearch' && /INDEX_UNAVAILABLE: answered 503/.test(err.message));
    assert.equal(ran, false, 'the call was not made');
    await waitFor(() => !c.open, { what: 'the circuit to close' });
    assert.equal(probes, 3, 'two failed probes, then one that succeeded');
    assert.deepEqual(changes, [true, false], 'one change each way');
    assert.equal(await c.call(async () => 'again'), 'again');
  } finally {
    await c.stop();
  }
});

test('a probe answered with a non-outage error (403, 404) still proves the service answers', async () => {
  const c = circuit(async () => {
    throw Object.assign(new Error('Forbidden'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
  });
  try {
    for (let i = 0; i < 3; i++) await assert.rejects(c.call(() => Promise.reject(refused())));
    assert.equal(c.open, true);
    await waitFor(() => !c.open, { what: 'the circuit to close' });
  } finally {
    await c.stop();
  }
});

test('confirmDown: closed and the probe succeeds ⇒ up; the probe fails ⇒ down, and the circuit opens', async () => {
  let up = true;
  const changes: boolean[] = [];
  const c = circuit(async () => {
    if (!up) throw refused();
  }, changes);
  try {
    assert.equal(await c.confirmDown(), false);
    assert.equal(c.open, false);
    up = false;
    assert.equal(await c.confirmDown(), true);
    assert.equal(c.open, true);
    assert.equal(await c.confirmDown(), true, 'open answers without a probe');
    up = true;
    await waitFor(() => !c.open, { what: 'the probe loop to close it' });
    assert.deepEqual(changes, [true, false]);
  } finally {
    await c.stop();
  }
});

test('a probe that hangs is cut off by its time limit and counts as a failure', async () => {
  const c = new Circuit({
    dependency: 'dynamodb', failureThreshold: 1, probeTimeoutMs: 30,
    probe: (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })),
  });
  try {
    assert.equal(await c.confirmDown(), true);
    assert.equal(c.lastError?.code, 'TIMEOUT');
  } finally {
    await c.stop();
  }
});

test('stop() ends the probe loop: nothing keeps running', async () => {
  let probes = 0;
  const c = circuit(async () => {
    probes += 1;
    throw refused();
  });
  for (let i = 0; i < 3; i++) await assert.rejects(c.call(() => Promise.reject(refused())));
  await waitFor(() => probes >= 2, { what: 'two probes' });
  // resolves only once the loop has returned (its sleep aborted): a loop that kept going would
  // time this test out
  await c.stop();
  assert.equal(c.open, true, 'stop keeps the state');
});

test('probe backoff: from min, doubling, capped at max, with equal jitter; a quarter of jitter keeps 75 % fixed', () => {
  assert.equal(backoffMs(0, 1000, 30_000, 0.5, () => 0), 500);
  assert.equal(backoffMs(0, 1000, 30_000, 0.5, () => 1), 1000);
  assert.equal(backoffMs(3, 1000, 30_000, 0.5, () => 1), 8000);
  assert.equal(backoffMs(10, 1000, 30_000, 0.5, () => 1), 30_000);
  assert.equal(backoffMs(50, 1000, 30_000, 0.5, () => 0), 15_000);
  assert.equal(backoffMs(Number.POSITIVE_INFINITY, 1000, 30_000, 0.5, () => 0), 15_000);
  assert.equal(backoffMs(1, 1000, 30_000, 0.25, () => 0), 1500);
  assert.equal(backoffMs(1, 1000, 30_000, 0.25, () => 1), 2000);
});
