/**
 * The gate over every circuit: hold while any is open, /readyz reasons, the metrics, the log lines,
 * and the ports put behind a circuit.
 */
import { describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { DependencyGate } from '../../../src/gate/gate.ts';
import { guard } from '../../../src/gate/guard.ts';
import { classifyError } from '../../../src/core/classify.ts';
import { Metrics } from '../../../src/observability/metrics.ts';
import { isIngestError, transient } from '../../../src/core/errors.ts';
import { memoryLogger } from '../../support/silent-logger.ts';
import { waitFor } from '../../support/wait-for.ts';

const refused = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

test('receiving holds while any circuit is open; /readyz names each; dependency_up and the paused seconds are in /metrics; one log line per change', async () => {
  const metrics = new Metrics();
  const { logger, lines } = memoryLogger();
  let s3Up = false;
  let bedrockProblem: string | undefined;
  const gate = new DependencyGate({ logger, metrics, failureThreshold: 2, probeMinMs: 5, probeMaxMs: 10 });
  const s3 = gate.add('s3', async () => {
    if (!s3Up) throw refused();
  });
  gate.add('dynamodb', async () => undefined);
  gate.watch({ dependency: 'bedrock', problem: () => bedrockProblem, pauses: () => bedrockProblem !== undefined });
  try {
    assert.equal(gate.pauseReason(), undefined);
    assert.deepEqual(gate.problems(), []);
    for (let i = 0; i < 5; i++) await assert.rejects(s3.call(() => Promise.reject(refused())));
    assert.equal(gate.pauseReason(), 's3 circuit open');
    assert.match(gate.problems()[0]!, /^s3 circuit open \(CONNECTION: /);
    bedrockProblem = 'bedrock circuit open (503)';
    assert.equal(gate.problems().length, 2);
    let text = await metrics.registry.metrics();
    assert.match(text, /spot_ingest_dependency_up\{dependency="s3"\} 0/);
    assert.match(text, /spot_ingest_dependency_up\{dependency="dynamodb"\} 1/);
    assert.match(text, /spot_ingest_dependency_up\{dependency="bedrock"\} 0/);
    await waitFor(() => gate.pausedSeconds > 0.05, { what: 'some paused time' });
    s3Up = true;
    await waitFor(() => !s3.open, { what: 's3 circuit closed' });
    assert.equal(gate.pauseReason(), 'bedrock circuit open (503)', 'Bedrock still holds');
    bedrockProblem = undefined;
    assert.equal(gate.pauseReason(), undefined);
    const paused = gate.pausedSeconds;
    text = await metrics.registry.metrics();
    const shown = Number(/^spot_ingest_receive_paused_seconds_total (\S+)$/m.exec(text)?.[1]);
    assert.ok(shown > 0.05 && shown <= paused + 1e-9, `${shown} vs ${paused}`);
    assert.equal(gate.pausedSeconds, paused, 'not paused any more: the count stands still');
    assert.match(text, /spot_ingest_dependency_up\{dependency="s3"\} 1/);
    const changes = lines().filter((l) => l.dependency === 's3').map((l) => l.circuit);
    assert.deepEqual(changes, ['open', 'closed'], 'five failures, one line');
    assert.equal(await gate.confirmDown('dynamodb'), false);
    assert.equal(await gate.confirmDown('bedrock'), false);
  } finally {
    await gate.stop();
  }
});

test('a guarded port fails fast while open, attributes its errors, and passes other members through', async () => {
  const { logger } = memoryLogger();
  const gate = new DependencyGate({ logger, failureThreshold: 1, probeMinMs: 60_000 });
  const circuit = gate.add('opensearch', async () => undefined);
  let calls = 0;
  class Port {
    readonly name = 'index';
    #secret = 41;
    async upsert(fail: boolean): Promise<number> {
      calls += 1;
      if (fail) throw transient('INDEX_UNAVAILABLE', '503');
      return ++this.#secret;
    }
    describe(): string {
      return `${this.name}:${this.#secret}`;
    }
  }
  const port = guard(new Port(), circuit, ['upsert']);
  try {
    assert.equal(await port.upsert(false), 42);
    assert.equal(port.describe(), 'index:42', 'unguarded methods keep their private fields');
    assert.equal(port.name, 'index');
    await assert.rejects(port.upsert(true), (err) => isIngestError(err) && err.dependency === 'opensearch');
    await assert.rejects(port.upsert(false), (err) => isIngestError(err) && err.code === 'DEPENDENCY_CIRCUIT_OPEN');
    assert.equal(calls, 2, 'the open circuit made no call');
  } finally {
    await gate.stop();
  }
});

test('a download body that fails in mid-stream counts against the circuit and carries the dependency', async () => {
  const { logger } = memoryLogger();
  const gate = new DependencyGate({ logger, failureThreshold: 1, probeMinMs: 60_000 });
  const circuit = gate.add('s3', async () => undefined);
  const body = new PassThrough();
  const storage = guard({ get: async () => ({ size: 3, body }) }, circuit, ['get']);
  try {
    const got = await storage.get();
    const failed = new Promise<unknown>((resolve) => got.body.on('error', resolve));
    got.body.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const err = await failed;
    assert.equal(circuit.open, true);
    assert.equal(classifyError(err).dependency, 's3');
    assert.equal(classifyError(err).code, 'CONNECTION');
  } finally {
    await gate.stop();
  }
});

test("confirmDown on a watched circuit: open answers at once; closed asks its trial call", async () => {
  const { logger } = memoryLogger();
  const gate = new DependencyGate({ logger });
  let problem: string | undefined = 'bedrock circuit open (503)';
  let trials = 0;
  let trialFails = true;
  gate.watch({
    dependency: 'bedrock', problem: () => problem, pauses: () => problem !== undefined,
    confirmDown: async () => {
      trials += 1;
      return trialFails;
    },
  });
  assert.equal(await gate.confirmDown('bedrock'), true);
  assert.equal(trials, 0);
  problem = undefined;
  assert.equal(await gate.confirmDown('bedrock'), true);
  trialFails = false;
  assert.equal(await gate.confirmDown('bedrock'), false);
  assert.equal(trials, 2);
  assert.equal(await gate.confirmDown('s3'), false, 'a dependency without a circuit is never down');
  await gate.stop();
});

test('onFailure hears of the calls that were made and failed, with their arguments, not of those the open circuit refused', async () => {
  const { logger } = memoryLogger();
  const gate = new DependencyGate({ logger, failureThreshold: 1, probeMinMs: 60_000 });
  const circuit = gate.add('s3', async () => undefined);
  const failedBuckets: unknown[] = [];
  const storage = guard({ put: async (bucket: string) => Promise.reject(Object.assign(new Error(`refused ${bucket}`), { code: 'ECONNREFUSED' })) }, circuit, ['put'], {
    onFailure: ([bucket]) => failedBuckets.push(bucket),
  });
  try {
    await assert.rejects(storage.put('thumbs'));
    await assert.rejects(storage.put('other'), (e) => isIngestError(e) && e.code === 'DEPENDENCY_CIRCUIT_OPEN');
    assert.deepEqual(failedBuckets, ['thumbs']);
  } finally {
    await gate.stop();
  }
});
