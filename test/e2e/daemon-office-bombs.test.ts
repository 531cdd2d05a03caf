/**
 * The spawned daemon on the four hostile Office packages of issue 13 — a zip bomb that declares its
 * size honestly, one that lies about it (100 MiB declared, 1 GiB inside), an entity bomb and an
 * XXE — one at a time. Each ends with its documented outcome (dead-letter OFFICE_TOO_LARGE /
 * OFFICE_CORRUPT; indexed with the entities left as written), and while it is processed the
 * daemon's RSS (VmRSS of its pid, worker threads included) grows by less than 300 MB and every
 * /healthz probe is answered. The probes' latencies are printed, not asserted: the p99 figure
 * belongs to a benchmark (machine load decides it).
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { documentId } from '../../src/adapters/index/document-id.ts';
import { putObject, receiveVisible, send } from '../support/aws.ts';
import { isOutcomeLine, spawnDaemon, type SpawnedDaemon } from '../support/daemon.ts';
import { FIXTURES } from '../support/documents.ts';
import { createE2eStack, stopDaemonAndClose, type E2eStack } from '../support/e2e-stack.ts';
import { nativeEvent } from '../support/events.ts';
import { freePort } from '../support/free-port.ts';
import { ENTITY_BOMB_TEXT, XXE_TEXT, entityBomb, honestZipBomb, lyingZipBomb, xxe } from '../support/office-bombs.ts';
import { waitFor } from '../support/wait-for.ts';

const MAX_GROWTH_MB = 300;
const PROBE_EVERY_MS = 20;

let stack: E2eStack;
let daemon: SpawnedDaemon;
let httpPort: number;

beforeAll(async () => {
  stack = await createE2eStack('e2e-office-bombs');
  httpPort = await freePort();
  daemon = spawnDaemon(stack.env({ INGEST_HTTP_PORT: String(httpPort), INGEST_POOL_SIZE: '1', INGEST_CONCURRENCY: '2' }));
  await daemon.waitForLog((l) => l.msg === 'consuming', 'daemon to start consuming');
  // warm up: the document worker thread is started (and stays) before any baseline is taken
  const key = 'warm/sample.docx';
  await putObject(stack.s3, stack.bucket, key, await readFile(join(FIXTURES, 'sample.docx')));
  assert.equal((await settle(await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, key)), key)).outcome, 'done');
});

afterAll(() => stopDaemonAndClose(stack, daemon));

function settle(messageId: string, what: string): Promise<Record<string, unknown>> {
  return daemon.waitForLog((l) => l.messageId === messageId && isOutcomeLine(l), `outcome of ${what}`, 90_000);
}

function rssBytes(): number {
  const status = readFileSync(`/proc/${daemon.child.pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]) * 1024;
}

interface Watch {
  stop(): Promise<{ peakRss: number; latencies: number[]; failures: string[] }>;
}

/** Polls VmRSS and /healthz (one request at a time, every PROBE_EVERY_MS) until stop(). */
function watch(): Watch {
  let peakRss = rssBytes();
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, rssBytes())), 10);
  const latencies: number[] = [];
  const failures: string[] = [];
  let running = true;
  const probing = (async () => {
    while (running) {
      const started = performance.now();
      try {
        const res = await fetch(`http://127.0.0.1:${httpPort}/healthz`, { signal: AbortSignal.timeout(5_000) });
        await res.arrayBuffer();
        if (res.status !== 200) failures.push(`status ${res.status}`);
      } catch (err) {
        failures.push((err as Error).message);
      }
      latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, PROBE_EVERY_MS));
    }
  })();
  return {
    async stop() {
      running = false;
      await probing;
      clearInterval(rssTimer);
      return { peakRss: Math.max(peakRss, rssBytes()), latencies, failures };
    },
  };
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] ?? NaN;

/** Uploads the file, then sends its message while watching; returns the outcome line and the measures. */
async function processWatched(name: string, bytes: Uint8Array) {
  const key = `hostile/${name}`;
  await putObject(stack.s3, stack.bucket, key, bytes);
  const baseline = rssBytes();
  const w = watch();
  const settled = await (async () => settle(await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, key)), key))()
    .then((line) => ({ line }), (error: unknown) => ({ error }));
  const measured = await w.stop(); // the probes end whatever happened
  if ('error' in settled) throw settled.error;
  const { line } = settled;
  const growthMb = (measured.peakRss - baseline) / 1e6;
  const { latencies } = measured;
  console.log(`${name}: outcome ${String(line.outcome)}${line.code ? ` ${String(line.code)}` : ''} in ${String(line.ms)} ms; RSS ${(baseline / 1e6).toFixed(0)} MB → peak ${(measured.peakRss / 1e6).toFixed(0)} MB (+${growthMb.toFixed(0)} MB); ` +
    `/healthz ${latencies.length} probes, p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms`);
  assert.deepEqual(measured.failures, [], 'every /healthz probe answered 200');
  assert.ok(latencies.length >= 3, `${latencies.length} probes`);
  assert.ok(growthMb < MAX_GROWTH_MB, `RSS grew by ${growthMb.toFixed(0)} MB`);
  return { key, line };
}

async function deadLetterCode(key: string): Promise<string | undefined> {
  const dead = await waitFor(async () => (await receiveVisible(stack.sqs, stack.dlqUrl, 0)).find((m) => String(m.Body).includes(key)), { what: `the dead letter of ${key}`, timeoutMs: 15_000 });
  return dead.MessageAttributes?.ErrorCode?.StringValue;
}

test('zip bomb declaring its size honestly (1 GiB): dead-lettered OFFICE_TOO_LARGE; RSS bounded, /healthz answers', async () => {
  const { key, line } = await processWatched('zip-bomb-honest.docx', honestZipBomb());
  assert.equal(line.outcome, 'dead-letter');
  assert.equal(line.code, 'OFFICE_TOO_LARGE');
  assert.equal(await deadLetterCode(key), 'OFFICE_TOO_LARGE');
});

test('zip bomb lying about its size (declares 100 MiB, inflates to 1 GiB): dead-lettered OFFICE_CORRUPT; RSS bounded, /healthz answers', async () => {
  const { key, line } = await processWatched('zip-bomb-lying.docx', lyingZipBomb());
  assert.equal(line.outcome, 'dead-letter');
  assert.equal(line.code, 'OFFICE_CORRUPT');
  assert.equal(await deadLetterCode(key), 'OFFICE_CORRUPT');
});

test('entity bomb (billion laughs): indexed, entities not expanded; RSS bounded, /healthz answers', async () => {
  const { key, line } = await processWatched('billion-laughs.docx', entityBomb());
  assert.equal(line.outcome, 'done');
  const doc = stack.recorder.documents(stack.index).get(documentId(stack.bucket, key))!;
  assert.equal(doc.text_source, 'text-layer');
  assert.equal(doc.content, ENTITY_BOMB_TEXT);
});

test('XXE naming /etc/passwd: indexed, the entity never resolved; RSS bounded, /healthz answers', async () => {
  const { key, line } = await processWatched('xxe.docx', xxe());
  assert.equal(line.outcome, 'done');
  const doc = stack.recorder.documents(stack.index).get(documentId(stack.bucket, key))!;
  assert.equal(doc.text_source, 'text-layer');
  assert.equal(doc.content, XXE_TEXT);
  assert.doesNotMatch(String(doc.content), /root:/);
});
