/**
 * Outages with the spawned daemon (docs/design.md §4 "outages"): the operator's scenario — a queue with
 * the usual redrive policy (maxReceiveCount 3), eight files sent while one dependency is down for
 * longer than redrive allows — for OpenSearch (503), DynamoDB and S3 (connection refused) and SQS
 * itself. Each dependency is reached through a fault proxy in front of the real local server.
 *
 * What must hold: nothing reaches the DLQ, everything is indexed once the dependency is back, the
 * circuit is named by /readyz and in /metrics while open, and the log has one line per change of
 * state, not one per message. The outage lasts until the daemon has been paused for several
 * seconds (read from /metrics), not for a guessed time.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { dynamoEndpoint, fauxqsEndpoint, queueCounts, send } from '../support/aws.ts';
import { spawnDaemon, type SpawnedDaemon } from '../support/daemon.ts';
import { createE2eStack, type E2eStack } from '../support/e2e-stack.ts';
import { nativeEvent } from '../support/events.ts';
import { startFaultProxy, type FaultMode, type FaultProxy } from '../support/fault-proxy.ts';
import { freePort } from '../support/free-port.ts';
import { waitFor } from '../support/wait-for.ts';

const FILES = 8;
/** Paused this long (s) — several times what redrive allows with a 1 s retry base and 3 receives. */
const PAUSED_SECONDS = 8;

interface Case {
  dependency: 'opensearch' | 'dynamodb' | 's3';
  mode: FaultMode;
  /** The real server the proxy fronts, and the variable that points the daemon at the proxy. */
  target: (stack: E2eStack) => string;
  variable: string;
}

const cases: Case[] = [
  { dependency: 'opensearch', mode: { kind: 'status', status: 503 }, target: (s) => s.recorder.url, variable: 'INGEST_OPENSEARCH_URL' },
  { dependency: 'dynamodb', mode: { kind: 'refuse' }, target: () => dynamoEndpoint(), variable: 'AWS_ENDPOINT_URL_DYNAMODB' },
  { dependency: 's3', mode: { kind: 'refuse' }, target: () => fauxqsEndpoint(), variable: 'AWS_ENDPOINT_URL_S3' },
];

async function metric(port: number, name: string, labels = ''): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

async function readiness(port: number): Promise<{ status: number; reasons: string[] }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, reasons: ((await res.json()) as { reasons: string[] }).reasons };
}

const circuitLines = (daemon: SpawnedDaemon, dependency: string) => daemon.logs().filter((l) => l.dependency === dependency && typeof l.circuit === 'string');

for (const c of cases) {
  test(`${c.dependency} down (${c.mode.kind === 'status' ? c.mode.status : 'connection refused'}) for longer than redrive allows: nothing dead-lettered, everything indexed afterwards`, async () => {
    const stack = await createE2eStack(`e2e-outage-${c.dependency}`, { maxReceiveCount: 3 });
    let proxy: FaultProxy | undefined;
    let daemon: SpawnedDaemon | undefined;
    try {
      proxy = await startFaultProxy(c.target(stack));
      const port = await freePort();
      const keys = await stack.upload(`outage-${c.dependency}`, FILES);
      daemon = spawnDaemon(stack.env({
        [c.variable]: proxy.url,
        INGEST_HTTP_PORT: String(port),
        INGEST_CIRCUIT_PROBE_MIN_SECONDS: '0.2',
        INGEST_CIRCUIT_PROBE_MAX_SECONDS: '1',
      }));
      await daemon.waitForLog((l) => l.msg === 'consuming', 'daemon to start');
      assert.equal(await metric(port, 'spot_ingest_dependency_up', `{dependency="${c.dependency}"}`), 1);

      await proxy.set(c.mode);
      for (const key of keys) await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, key));
      await daemon.waitForLog((l) => l.dependency === c.dependency && l.circuit === 'open', `${c.dependency} circuit to open`, 60_000);
      const down = await readiness(port);
      assert.equal(down.status, 503);
      assert.ok(down.reasons.some((r) => r.startsWith(`${c.dependency} circuit open`)), JSON.stringify(down.reasons));
      assert.equal(await metric(port, 'spot_ingest_dependency_up', `{dependency="${c.dependency}"}`), 0);
      await waitFor(async () => ((await metric(port, 'spot_ingest_receive_paused_seconds_total')) ?? 0) >= PAUSED_SECONDS, {
        what: `receiving paused for ${PAUSED_SECONDS} s`, timeoutMs: 60_000, intervalMs: 250,
      });
      assert.equal((await queueCounts(stack.sqs, stack.dlqUrl)).total, 0, 'nothing dead-lettered during the outage');

      await proxy.set({ kind: 'pass' });
      await waitFor(() => keys.every((k) => stack.indexed(k)), { what: 'every file indexed after the outage', timeoutMs: 60_000 });
      await waitFor(async () => (await queueCounts(stack.sqs, stack.queueUrl)).total === 0, { what: 'queue empty', timeoutMs: 30_000 });
      assert.equal((await queueCounts(stack.sqs, stack.dlqUrl)).total, 0, 'nothing dead-lettered after the outage');
      await waitFor(async () => (await readiness(port)).status === 200, { what: '/readyz 200 again' });
      assert.equal(await metric(port, 'spot_ingest_dependency_up', `{dependency="${c.dependency}"}`), 1);
      const changes = circuitLines(daemon, c.dependency).map((l) => l.circuit);
      assert.deepEqual(changes, ['open', 'closed'], 'one log line per change of state, not one per message');
      const retries = daemon.logs().filter((l) => l.outcome === 'retry');
      assert.ok(retries.every((l) => l.kept === 'dependency-down'), `every failed job was given back as an outage: ${JSON.stringify(retries.map((l) => [l.code, l.kept]))}`);
      const exit = await daemon.stop();
      assert.equal(exit.code, 0);
      assert.deepEqual(stack.recorder.violations, []);
    } finally {
      if (daemon && daemon.child.exitCode === null) await daemon.stop('SIGKILL').catch(() => undefined);
      await proxy?.close();
      await stack.close();
    }
  });
}

test('SQS itself unreachable: receiving backs off, /readyz says so, and everything queued meanwhile is indexed once it answers', async () => {
  const stack = await createE2eStack('e2e-outage-sqs', { maxReceiveCount: 3 });
  const proxy = await startFaultProxy(fauxqsEndpoint());
  let daemon: SpawnedDaemon | undefined;
  try {
    const port = await freePort();
    const keys = await stack.upload('outage-sqs', FILES);
    // a long poll cut off by the outage may have taken a message with it: such a message reappears
    // after its visibility timeout, like any receive whose answer was lost, so keep that short
    daemon = spawnDaemon(stack.env({ AWS_ENDPOINT_URL_SQS: proxy.url, INGEST_HTTP_PORT: String(port), INGEST_VISIBILITY_TIMEOUT: '10' }));
    await daemon.waitForLog((l) => l.msg === 'consuming', 'daemon to start');
    await proxy.set({ kind: 'refuse' });
    for (const key of keys) await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, key));
    await waitFor(async () => (await readiness(port)).reasons.some((r) => r.startsWith('sqs:')), { what: '/readyz to name SQS', timeoutMs: 60_000, intervalMs: 250 });
    assert.equal(await metric(port, 'spot_ingest_dependency_up', '{dependency="sqs"}'), 0);
    assert.equal(keys.filter((k) => stack.indexed(k)).length, 0, 'nothing could be received');
    await proxy.set({ kind: 'pass' });
    await waitFor(() => keys.every((k) => stack.indexed(k)), { what: 'every file indexed after the outage', timeoutMs: 90_000 });
    await waitFor(async () => (await queueCounts(stack.sqs, stack.queueUrl)).total === 0, { what: 'queue empty', timeoutMs: 30_000 });
    assert.equal((await queueCounts(stack.sqs, stack.dlqUrl)).total, 0);
    await waitFor(async () => (await readiness(port)).status === 200, { what: '/readyz 200 again' });
    assert.equal((await daemon.stop()).code, 0);
  } finally {
    if (daemon && daemon.child.exitCode === null) await daemon.stop('SIGKILL').catch(() => undefined);
    await proxy.close();
    await stack.close();
  }
});
