/**
 * The spot watcher against the IMDS simulator: each distinct event once, going on through IMDS
 * failures and listener throws, and stop() leaving no timer behind (and running onStop once).
 * createSpotWatcher's modes, and its IMDS client closed by the watcher's stop().
 */
import { test, beforeEach, afterEach } from 'vitest';
import assert from 'node:assert/strict';
import { createSpotWatcher } from '../../../src/spot/create-watcher.ts';
import { ImdsClient } from '../../../src/spot/imds-client.ts';
import { SpotWatcher, type SpotEvents } from '../../../src/spot/watcher.ts';
import { startImdsSimulator, type ImdsSimulator } from '../../support/imds-simulator.ts';
import { memoryLogger } from '../../support/silent-logger.ts';
import { waitFor } from '../../support/wait-for.ts';
import { loadConfig } from '../../../src/config.ts';

const ACTION = '/latest/meta-data/spot/instance-action';
let imds: ImdsSimulator;
beforeEach(async () => {
  imds = await startImdsSimulator();
});
afterEach(async () => {
  await imds.close();
});

function record(watcher: SpotWatcher) {
  const seen: { [K in keyof SpotEvents]: SpotEvents[K][] } = { interruption: [], rebalance: [], lifecycle: [] };
  watcher.on('interruption', (e) => void seen.interruption.push(e));
  watcher.on('rebalance', (e) => void seen.rebalance.push(e));
  watcher.on('lifecycle', (e) => void seen.lifecycle.push(e));
  return seen;
}

test('each distinct event fires once, however often IMDS repeats it', async () => {
  const { logger } = memoryLogger();
  const watcher = new SpotWatcher({ imds: new ImdsClient({ endpoint: imds.url }), logger, intervalMs: 20 });
  const seen = record(watcher);
  watcher.start();
  await waitFor(() => seen.lifecycle.length === 1, { what: 'initial lifecycle state' });
  assert.deepEqual(seen.lifecycle, [{ state: 'InService' }]);
  const time = imds.interrupt({ inSeconds: 120 });
  const noticeTime = imds.rebalance();
  await waitFor(() => seen.interruption.length === 1 && seen.rebalance.length === 1, { what: 'interruption and rebalance' });
  const polls = imds.count(ACTION);
  await waitFor(() => imds.count(ACTION) >= polls + 5, { what: 'five more polls' });
  assert.equal(seen.interruption.length, 1, 'a repeated notice fires once');
  assert.equal(seen.rebalance.length, 1);
  assert.equal(seen.interruption[0]!.action, 'terminate');
  assert.equal(seen.interruption[0]!.time.getTime(), time.getTime());
  assert.equal(seen.rebalance[0]!.noticeTime.getTime(), noticeTime.getTime());
  // a changed notice (new time) is a distinct event; so is a lifecycle change
  const earlier = imds.interrupt({ inSeconds: 60 });
  imds.setLifecycle('Terminated');
  await waitFor(() => seen.interruption.length === 2 && seen.lifecycle.length === 2, { what: 'changed notice and lifecycle' });
  assert.equal(seen.interruption[1]!.time.getTime(), earlier.getTime());
  assert.deepEqual(seen.lifecycle[1], { state: 'Terminated' });
  await watcher.stop();
});

test('IMDS failures are logged with backoff and polling goes on; a throwing listener does not stop it', async () => {
  const { logger, lines } = memoryLogger();
  const watcher = new SpotWatcher({ imds: new ImdsClient({ endpoint: imds.url }), logger, intervalMs: 10, maxBackoffMs: 40 });
  let calls = 0;
  watcher.on('interruption', () => {
    calls += 1;
    throw new Error('listener bug');
  });
  watcher.on('rebalance', async () => {
    throw new Error('async listener bug');
  });
  const seen = record(watcher);
  imds.failNext(40, 500);
  watcher.start();
  await waitFor(() => imds.requests().filter((r) => r.status === 500).length === 40, { what: '40 failed requests', timeoutMs: 15_000 });
  const warnings = lines().filter((l) => l.msg === 'IMDS poll failed; the spot watcher keeps trying');
  assert.ok(watcher.consecutiveFailures >= 5 || seen.lifecycle.length > 0);
  assert.ok(warnings.length >= 2 && warnings.length <= 6, `logged ${warnings.length} warnings for ~${watcher.consecutiveFailures} failures (1st, 2nd, 4th, 8th…)`);
  imds.interrupt();
  imds.rebalance();
  await waitFor(() => seen.interruption.length === 1 && seen.rebalance.length === 1, { what: 'events after the failures' });
  assert.equal(calls, 1);
  await waitFor(() => lines().some((l) => l.msg === 'IMDS answers again'), { what: 'recovery line' });
  await waitFor(() => lines().filter((l) => l.msg === 'a spot watcher listener failed').length === 2, { what: 'both listener failures logged' });
  const before = imds.count();
  await waitFor(() => imds.count() > before + 6, { what: 'polling continues' });
  await watcher.stop();
});

test('stop() is idempotent, aborts a poll in progress and leaves no timer', async () => {
  const { logger } = memoryLogger();
  let started = 0;
  let aborted = 0;
  // an IMDS that never answers: only the watcher's abort ends a poll
  const hanging = {
    get: (_path: string, signal?: AbortSignal) =>
      new Promise<string | null>((_, reject) => {
        started += 1;
        signal?.addEventListener('abort', () => {
          aborted += 1;
          reject(signal.reason as Error);
        }, { once: true });
      }),
  };
  const watcher = new SpotWatcher({ imds: hanging, logger, intervalMs: 10 });
  watcher.start();
  assert.equal(watcher.scheduled, true);
  await waitFor(() => started === 3, { what: 'a poll in progress (three paths)' });
  // the polls hang until aborted: stop() returning at all, with three aborts, shows they were aborted
  await Promise.all([watcher.stop(), watcher.stop()]);
  await watcher.stop();
  assert.equal(aborted, 3);
  assert.equal(watcher.running, false);
  assert.equal(watcher.scheduled, false, 'no timer left');
  watcher.start(); // a stopped watcher does not come back
  assert.equal(watcher.running, false);
  assert.equal(watcher.scheduled, false);
  assert.equal(started, 3);
});

test('stop() runs onStop once, after the poll in progress has ended', async () => {
  const { logger } = memoryLogger();
  const order: string[] = [];
  const imdsClient = new ImdsClient({ endpoint: imds.url });
  const watcher = new SpotWatcher({
    imds: { get: async (path, signal) => imdsClient.get(path, signal).finally(() => order.push('poll')) },
    logger,
    intervalMs: 10,
    onStop: async () => {
      order.push('onStop');
      await imdsClient.close();
    },
  });
  watcher.start();
  await waitFor(() => order.length >= 3, { what: 'a first poll' });
  await Promise.all([watcher.stop(), watcher.stop()]);
  await watcher.stop();
  assert.equal(order.filter((o) => o === 'onStop').length, 1);
  assert.equal(order.at(-1), 'onStop');
  await waitFor(() => imds.connections().open === 0, { timeoutMs: 1_000, intervalMs: 10, what: "the IMDS client's sockets to close" });
});

test('INGEST_IMDS modes: off → none; auto → one probe, one info line when absent; on → a watcher even when absent', async () => {
  const { logger, lines } = memoryLogger();
  assert.equal(await createSpotWatcher({ mode: 'off', logger, endpoint: imds.url }), undefined);
  assert.equal(imds.count(), 0);
  const auto = await createSpotWatcher({ mode: 'auto', logger, endpoint: imds.url });
  assert.ok(auto instanceof SpotWatcher);
  assert.equal(imds.count('/latest/api/token', 'PUT'), 1);
  assert.equal(imds.connections().open, 1, "the probe's socket, kept alive");
  await auto.stop();
  // the watcher owns the IMDS client createSpotWatcher made: stop() closes its agent (before keep-alive would)
  await waitFor(() => imds.connections().open === 0, { timeoutMs: 1_000, intervalMs: 10, what: "the IMDS client's socket to close" });

  const url = imds.url;
  await imds.close();
  const absent = await createSpotWatcher({ mode: 'auto', logger, endpoint: url });
  assert.equal(absent, undefined);
  const infos = lines().filter((l) => typeof l.msg === 'string' && l.msg.startsWith('IMDS not reachable'));
  assert.equal(infos.length, 1);
  assert.equal(infos[0]!.level, 'info');
  const insisted = await createSpotWatcher({ mode: 'on', logger, endpoint: url });
  assert.ok(insisted instanceof SpotWatcher);
  await insisted.stop();
  imds = await startImdsSimulator();
});

test('effectiveImdsMode: auto never probes in local mode or with AWS_EC2_METADATA_DISABLED, unless an endpoint is set', async () => {
  const { effectiveImdsMode } = await import('../../../src/spot/create-watcher.ts');
  const base = { imds: 'auto' as const, localMode: false, imdsEndpoint: undefined, imdsDisabled: false };
  assert.equal(effectiveImdsMode(base), 'auto');
  assert.equal(effectiveImdsMode({ ...base, localMode: true }), 'off');
  assert.equal(effectiveImdsMode({ ...base, imdsDisabled: true }), 'off');
  assert.equal(effectiveImdsMode({ ...base, imdsDisabled: true, imdsEndpoint: 'http://127.0.0.1:1' }), 'auto');
  assert.equal(effectiveImdsMode({ ...base, localMode: true, imdsEndpoint: 'http://127.0.0.1:1' }), 'auto');
  assert.equal(effectiveImdsMode({ ...base, imds: 'on', localMode: true, imdsDisabled: true }), 'on');
  // the variable reaches it through the configuration
  assert.equal(loadConfig({ INGEST_QUEUE_URL: 'http://127.0.0.1:1/q', AWS_EC2_METADATA_DISABLED: 'TRUE' }).imdsDisabled, true);
});
