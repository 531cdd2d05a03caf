/**
 * Real `spot-ingest run` daemons (test/support/daemon.ts) on an e2e stack (test/support/e2e-stack.ts),
 * as the fleet benchmarks drive them: start N of them, send a batch and time it from the first send
 * to the last `done` outcome line, stop them with SIGTERM, and check that nothing was lost or indexed
 * twice. Used by bench/fleet.ts and bench/dedupe.ts.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { documentId } from '../../src/adapters/index/document-id.ts';
import { queueCounts } from '../../test/support/aws.ts';
import { outcomeLines, spawnDaemon, type Exit, type SpawnedDaemon } from '../../test/support/daemon.ts';
import type { E2eStack } from '../../test/support/e2e-stack.ts';
import { nativeEvent } from '../../test/support/events.ts';
import { waitFor } from '../../test/support/wait-for.ts';
import { indexWrites } from './index-writes.ts';
import { processCpuSeconds } from './proc-cpu.ts';
import { cpuWindow, log, median, percentile, type CpuShare } from './report.ts';
import { sendAll } from './sqs.ts';

type Log = Record<string, unknown>;
const timeOf = (l: Log) => Date.parse(String(l.time));
const countBy = (xs: string[]) => xs.reduce<Record<string, number>>((m, x) => ((m[x] = (m[x] ?? 0) + 1), m), {});
export const alive = (d: SpawnedDaemon) => d.child.exitCode === null && d.child.signalCode === null;
export interface Spread {
  median: number;
  p90: number;
  max: number;
}
export const spread = (xs: number[]): Spread => ({ median: median(xs), p90: percentile(xs, 90), max: xs.length > 0 ? Math.max(...xs) : Number.NaN });

export interface EventSummary {
  key?: string;
  outcome?: string;
  pages?: number;
  textSource?: string;
  characters?: number;
  /** ms per pipeline step (claim, download, detect, extract, index, record) */
  steps?: Record<string, number>;
}

export interface Settled {
  daemon: number;
  outcome: string;
  at: number;
  ms: number;
  events: EventSummary[];
}

/** Every outcome line of the daemons so far, with the daemon's number (1-based). */
export function settledLines(daemons: readonly SpawnedDaemon[]): Settled[] {
  return daemons.flatMap((d, i) =>
    outcomeLines(d.logs()).map((l) => ({
      daemon: i + 1, outcome: String(l.outcome), at: timeOf(l), ms: Number(l.ms), events: (Array.isArray(l.events) ? l.events : []) as EventSummary[],
    })),
  );
}

/** Keys whose event ended done or duplicate (indexed now), with the earliest such line. */
export function finishedKeys(lines: readonly Settled[]): Map<string, Settled> {
  const out = new Map<string, Settled>();
  for (const l of lines) {
    for (const e of l.events) {
      if (typeof e.key !== 'string' || (e.outcome !== 'done' && e.outcome !== 'duplicate')) continue;
      const earlier = out.get(e.key);
      if (earlier === undefined || l.at < earlier.at) out.set(e.key, l);
    }
  }
  return out;
}

export interface FleetOptions {
  stack: E2eStack;
  n: number;
  env: Record<string, string>;
  /** the daemons' instance ids are bench-<label>-<1…n> */
  label: string;
}

/** N daemons on the stack, each with its own data dir and instance id; resolves once all are consuming. */
export async function startFleet(o: FleetOptions, daemons: SpawnedDaemon[]): Promise<number> {
  const t0 = performance.now();
  for (let i = 1; i <= o.n; i++) {
    const dataDir = join(o.stack.dataDir, `daemon-${i}`); // TempFiles.prepare() empties <data dir>/tmp: one per daemon
    await mkdir(dataDir, { recursive: true });
    daemons.push(spawnDaemon(o.stack.env({ LOG_LEVEL: 'info', INGEST_DATA_DIR: dataDir, INGEST_INSTANCE_ID: `bench-${o.label}-${i}`, ...o.env })));
  }
  await Promise.all(daemons.map((d, i) => d.waitForLog((l) => l.msg === 'consuming', `daemon ${i + 1} of ${o.n} to start`, 90_000)));
  return performance.now() - t0;
}

/** SIGTERM every daemon at once (SIGKILL after 60 s); the exits in order. */
export async function stopFleet(daemons: readonly SpawnedDaemon[]): Promise<Array<Exit | null>> {
  return Promise.all(
    daemons.map(async (d) => {
      if (!alive(d)) return d.exited;
      try {
        return await d.stop('SIGTERM', 60_000);
      } catch {
        d.child.kill('SIGKILL');
        await d.exited;
        return null;
      }
    }),
  );
}

export async function killLeftovers(daemons: readonly SpawnedDaemon[]): Promise<void> {
  for (const d of daemons) {
    if (alive(d)) {
      log(`  killing a daemon still running (pid ${d.child.pid})`);
      d.child.kill('SIGKILL');
      await d.exited;
    }
  }
}

/** Runs `fn` over the items, `limit` at a time. */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/** Status of every state record of the bucket (consistent scan). */
export async function states(dynamo: DynamoDBClient, table: string, bucket: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamo.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      const pk = item.pk?.S;
      if (pk !== undefined && pk.startsWith(`${bucket}/`)) out.set(pk.slice(bucket.length + 1), item.status?.S ?? '?');
    }
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return out;
}

export interface Check {
  /** sent objects not (INDEXED in the state table and in the index) — the queue and DLQ are checked too */
  lost: number;
  lostKeys: string[];
  /** Σ over documents of (index operations − 1)⁺, over the whole run */
  duplicates: number;
  duplicateDetail: string[];
  indexOps: number;
  queueAfter: number;
  dlqAfter: number;
  outcomes: Record<string, number>;
  exitCodes: Array<number | string>;
  violations: string[];
  problems: string[];
}

/** After the daemons stopped: where is every object, and was any indexed twice? */
export async function check(stack: E2eStack, dynamo: DynamoDBClient, keys: readonly string[], lines: readonly Settled[], exits: ReadonlyArray<Exit | null>): Promise<Check> {
  const problems: string[] = [];
  const queue = await queueCounts(stack.sqs, stack.queueUrl);
  const dlq = await queueCounts(stack.sqs, stack.dlqUrl);
  if (queue.total > 0) problems.push(`${queue.total} messages left on the queue (visible ${queue.visible}, in flight ${queue.inFlight}, delayed ${queue.delayed})`);
  if (dlq.total > 0) problems.push(`${dlq.total} messages on the DLQ`);
  const status = await states(dynamo, stack.table, stack.bucket);
  const docs = stack.recorder.documents(stack.index);
  const lostKeys = keys.filter((k) => !(status.get(k) === 'INDEXED' && docs.has(documentId(stack.bucket, k))));
  if (lostKeys.length > 0) {
    problems.push(`${lostKeys.length} lost: ${lostKeys.slice(0, 10).map((k) => `${k} (state ${status.get(k) ?? 'none'}, indexed ${docs.has(documentId(stack.bucket, k))})`).join('; ')}${lostKeys.length > 10 ? '; …' : ''}`);
  }
  const keyById = new Map(keys.map((k) => [documentId(stack.bucket, k), k]));
  const ops = new Map<string, number>();
  const writes = indexWrites(stack.recorder.requests, []);
  for (const w of writes) ops.set(w.id, (ops.get(w.id) ?? 0) + 1);
  let duplicates = 0;
  const duplicateDetail: string[] = [];
  for (const [id, count] of ops) {
    if (count > 1) {
      duplicates += count - 1;
      duplicateDetail.push(`${keyById.get(id) ?? `unknown document ${id}`}: ${count} index operations`);
    }
    if (!keyById.has(id)) problems.push(`an index operation for a document this run did not send (${id})`);
  }
  if (duplicates > 0) problems.push(`${duplicates} duplicate index operations: ${duplicateDetail.slice(0, 10).join('; ')}${duplicateDetail.length > 10 ? '; …' : ''}`);
  const outcomes = countBy(lines.map((l) => l.outcome));
  const unexpected = Object.entries(outcomes).filter(([o]) => o !== 'done');
  if (unexpected.length > 0) problems.push(`outcomes other than done: ${unexpected.map(([o, c]) => `${o} ${c}`).join(', ')}`);
  const exitCodes = exits.map((e) => (e === null ? 'killed (no exit within 60 s of SIGTERM)' : e.code ?? String(e.signal)));
  if (exitCodes.some((c) => c !== 0)) problems.push(`daemon exits on SIGTERM: ${exitCodes.join(', ')} (expected 0)`);
  if (stack.recorder.violations.length > 0) problems.push(`recorder violations: ${stack.recorder.violations.slice(0, 5).join('; ')}`);
  return {
    lost: lostKeys.length, lostKeys, duplicates, duplicateDetail, indexOps: writes.length, queueAfter: queue.total, dlqAfter: dlq.total,
    outcomes, exitCodes, violations: [...stack.recorder.violations], problems,
  };
}

export interface DaemonShare {
  daemon: number;
  /** messages it settled done */
  done: number;
  /** CPU seconds (all threads) during the measured batch; null where /proc is not readable */
  cpuSeconds: number | null;
}

/** Sends the messages, waits for every key to be indexed; clock from the first send to the last done line. */
export async function measureBatch(stack: E2eStack, daemons: readonly SpawnedDaemon[], keys: readonly string[], timeoutMs: number, what: string) {
  const cpu0 = daemons.map((d) => processCpuSeconds(d.child.pid));
  const window = cpuWindow();
  const t0 = Date.now();
  await sendAll(stack.sqs, stack.queueUrl, keys.map((k) => JSON.stringify(nativeEvent(stack.bucket, k))), 8);
  const sendMs = Date.now() - t0;
  const wanted = new Set(keys);
  let timedOut: string | null = null;
  try {
    await waitFor(() => {
      const done = finishedKeys(settledLines(daemons));
      let n = 0;
      for (const k of wanted) if (done.has(k)) n++;
      if (daemons.some((d) => !alive(d))) throw Object.assign(new Error(`a daemon exited during ${what}`), { final: true });
      return n === wanted.size;
    }, { what, timeoutMs, intervalMs: 100 });
  } catch (err) {
    timedOut = (err as Error).message;
  }
  const machineCpu: CpuShare | null = window.stop();
  const cpu1 = daemons.map((d) => processCpuSeconds(d.child.pid));
  const lines = settledLines(daemons); // every line so far; the batch's are those of its keys
  const finished = finishedKeys(lines);
  const batch = lines.filter((l) => l.events.some((e) => typeof e.key === 'string' && wanted.has(e.key)));
  const doneAt = keys.map((k) => finished.get(k)?.at).filter((t): t is number => t !== undefined).sort((a, b) => a - b);
  const lastDone = doneAt.length > 0 ? doneAt[doneAt.length - 1]! : Date.now();
  const wallMs = lastDone - t0;
  // the middle 80 % of completions: throughput without the ramp-up and the last wave
  const i10 = Math.floor(doneAt.length * 0.1);
  const i90 = Math.max(i10, Math.ceil(doneAt.length * 0.9) - 1);
  const steadyPerSecond = doneAt.length >= 10 && doneAt[i90]! > doneAt[i10]! ? ((i90 - i10) * 1000) / (doneAt[i90]! - doneAt[i10]!) : null;
  const shares: DaemonShare[] = daemons.map((_, i) => ({
    daemon: i + 1,
    done: batch.filter((l) => l.daemon === i + 1 && l.outcome === 'done').length,
    cpuSeconds: cpu0[i] === null || cpu1[i] === null ? null : cpu1[i]! - cpu0[i]!,
  }));
  const cpuKnown = shares.every((s) => s.cpuSeconds !== null);
  // where a job's time goes: the pipeline's steps, and the rest of the outcome line's ms (receive → settled: waiting for a
  // slot's turn in the daemon, parsing, the delete)
  const stepSamples = new Map<string, number[]>();
  for (const l of batch) {
    const e = l.events.length === 1 ? l.events[0]! : undefined;
    if (e?.steps === undefined || l.outcome !== 'done') continue;
    let sum = 0;
    for (const [name, ms] of Object.entries(e.steps)) {
      if (typeof ms !== 'number') continue;
      if (!name.includes('.')) sum += ms; // extract.ocr etc. are parts of extract
      stepSamples.set(name, [...(stepSamples.get(name) ?? []), ms]);
    }
    stepSamples.set('rest', [...(stepSamples.get('rest') ?? []), l.ms - sum]);
  }
  const steps = Object.fromEntries([...stepSamples].map(([name, xs]) => [name, spread(xs)]));
  return {
    sendMs, wallMs, completed: doneAt.length, steadyPerSecond, timedOut, machineCpu, shares,
    daemonCpuSeconds: cpuKnown ? shares.reduce((a, s) => a + s.cpuSeconds!, 0) : null,
    jobMs: batch.map((l) => l.ms), steps, batch,
  };
}
