/**
 * npm run bench:chaos — the spawned `spot-ingest run` daemon against crashes, outages, hostile input
 * and a long run, on the same real local servers the tests use: fauxqs (SQS + S3, in this process),
 * DynamoDB Local (a JVM) and the OpenSearch recorder. Four parts, each on a fresh stack (queue with
 * a DLQ by RedrivePolicy maxReceiveCount 3, bucket, table, index, data dir):
 *
 *   (a) kill -9: ONE run of ≥ 500 small files; the daemon is SIGKILLed at a seeded-random moment
 *       and a new one started at once, ≥ 50 times; then one last daemon finishes. Lost files,
 *       duplicate index writes of documents already INDEXED, DLQ depth (each must be 0) and the dead
 *       letters' ErrorCodes.
 *   (b) outages: OpenSearch, DynamoDB, S3 and SQS each unreachable (connection refused) and answering
 *       503, through test/support/fault-proxy.ts, for ≥ 3× the span SQS redrive allows; files are
 *       sent during the outage. DLQ depth (must be 0), everything indexed after recovery, and how
 *       long after recovery.
 *   (c) hostile input: ≥ 40 bad bodies and files, each with its documented outcome, against the
 *       outcome the daemon logged (and the DLQ's ErrorCode); the daemon alive and /healthz
 *       answering afterwards; its RSS under 1.5 GiB throughout.
 *   (d) soak: 2,000 mixed files, RSS growth after warm-up ≤ 50 MB; one 1 GiB object streamed
 *       through download, RSS growth ≤ 100 MB.
 *
 * Writes bench/results/chaos.md (report) and bench/results/chaos.json (raw numbers); exits 1 when
 * any criterion fails.
 *
 *   node bench/chaos.ts [--part a,b,c,d] [--quick] [--seed S]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { documentId } from '../src/adapters/index/document-id.ts';
import { dynamoEndpoint, fauxqsEndpoint, putObject, queueCounts, send, testDynamo } from '../test/support/aws.ts';
import { outcomeLines, spawnDaemon, type Exit, type SpawnedDaemon } from '../test/support/daemon.ts';
import { createE2eStack, type E2eStack } from '../test/support/e2e-stack.ts';
import { eventBridgeEvent, nativeEvent, s3Event, snsWrapped } from '../test/support/events.ts';
import { startFaultProxy, type FaultMode, type FaultProxy } from '../test/support/fault-proxy.ts';
import { freePort } from '../test/support/free-port.ts';
import { globalSetup, globalTeardown } from '../test/support/global-setup.ts';
import { FIXTURES } from '../test/support/documents.ts';
import { waitFor } from '../test/support/wait-for.ts';
import { readFileSync } from 'node:fs';
import { kindCounts, mixedCorpus, type CorpusFile } from './lib/corpus.ts';
import * as hostile from './lib/hostile.ts';
import { indexWrites, stampArrivals } from './lib/index-writes.ts';
import { PART_BYTES, textLines, uploadGenerated, zeros } from './lib/multipart.ts';
import { codeRevision, log, machine, machineLine, mdTable, median, writeResults, type Machine } from './lib/report.ts';
import { RssSampler, mib, type RssSample } from './lib/rss.ts';
import { runMain } from './lib/run-main.ts';
import { carryOver, type Provenance } from './lib/carry-over.ts';
import { sendAll } from './lib/sqs.ts';
import { seededRandom } from './lib/stats.ts';

// ---------------------------------------------------------------- settings

type Part = 'a' | 'b' | 'c' | 'd';
const ALL_PARTS: Part[] = ['a', 'b', 'c', 'd'];
const DEFAULT_SEED = 20_261_201;
const MAX_RECEIVE_COUNT = 3;
const RETRY_BASE_SECONDS = 1;
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

interface Settings {
  a: { files: number; kills: number; uptimeMinMs: number; uptimeMaxMs: number; visibilitySeconds: number; concurrency: number; indexDelayMs: number; settleTimeoutMs: number };
  b: { scenarios: Array<{ dep: Dependency; mode: FaultMode }>; minOutageSeconds: number; files: number; visibilitySeconds: number; recoveryTimeoutMs: number };
  c: { maxFileBytes: number; inputTimeoutMs: number; rssLimitMiB: number };
  d: { files: number; warmupFiles: number; maxGrowthMiB: number; bigBytes: number; bigMaxGrowthMiB: number; bigTimeoutMs: number; soakTimeoutMs: number };
}

type Dependency = 'opensearch' | 'dynamodb' | 's3' | 'sqs';
const DEPENDENCIES: Dependency[] = ['opensearch', 'dynamodb', 's3', 'sqs'];
const MODES: FaultMode[] = [{ kind: 'refuse' }, { kind: 'status', status: 503 }];

function settings(quick: boolean): Settings {
  return {
    a: {
      files: quick ? 120 : 500, kills: quick ? 10 : 50, uptimeMinMs: 300, uptimeMaxMs: 6_000, visibilitySeconds: 10, concurrency: 4,
      indexDelayMs: 400, settleTimeoutMs: 240_000,
    },
    b: {
      scenarios: quick
        ? [{ dep: 'opensearch', mode: { kind: 'refuse' } }, { dep: 's3', mode: { kind: 'status', status: 503 } }]
        : DEPENDENCIES.flatMap((dep) => MODES.map((mode) => ({ dep, mode }))),
      minOutageSeconds: quick ? 25 : 30, files: quick ? 8 : 12, visibilitySeconds: 10, recoveryTimeoutMs: 150_000,
    },
    c: { maxFileBytes: 32 * MiB, inputTimeoutMs: quick ? 60_000 : 90_000, rssLimitMiB: 1536 },
    d: {
      files: quick ? 300 : 2_000, warmupFiles: quick ? 100 : 200, maxGrowthMiB: 50, bigBytes: quick ? 256 * MiB : GiB, bigMaxGrowthMiB: 100,
      bigTimeoutMs: 600_000, soakTimeoutMs: quick ? 300_000 : 900_000,
    },
  };
}

function parseArgs(argv: string[]): { parts: Part[]; quick: boolean; seed: number } {
  let parts: Part[] = [...ALL_PARTS];
  let quick = false;
  let seed = DEFAULT_SEED;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') quick = true;
    else if (arg === '--part' || arg === '--parts') {
      const list = (argv[++i] ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
      if (list.length === 0 || !list.every((p): p is Part => (ALL_PARTS as string[]).includes(p))) throw new Error(`${arg} takes a, b, c, d or a list like a,c`);
      parts = ALL_PARTS.filter((p) => list.includes(p));
    } else if (arg === '--seed') {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error('--seed needs a positive integer');
      seed = v;
    } else throw new Error(`unknown argument ${arg} (use --part a,b,c,d, --quick, --seed S)`);
  }
  return { parts, quick, seed };
}

// ---------------------------------------------------------------- shared helpers

type Log = Record<string, unknown>;

interface Criterion {
  part: Part;
  name: string;
  value: string;
  /** null: not judged (a quick run is smaller than the criterion asks) */
  pass: boolean | null;
}

const countBy = (xs: readonly string[]) => xs.reduce<Record<string, number>>((m, x) => ((m[x] = (m[x] ?? 0) + 1), m), {});
const timeOf = (l: Log) => Date.parse(String(l.time));
const s1 = (ms: number | null) => (ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`);
const mb = (kib: number) => `${mib(kib).toFixed(0)} MiB`;
const f0m = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '–');
const fmtCounts = (m: Record<string, number>) => (Object.keys(m).length === 0 ? '–' : Object.entries(m).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${v}`).join(', '));

async function sleepUntil(t: number): Promise<void> {
  const ms = t - Date.now();
  if (ms > 0) await sleep(ms);
}

function alive(d: SpawnedDaemon): boolean {
  return d.child.exitCode === null && d.child.signalCode === null;
}

async function killAll(daemons: readonly SpawnedDaemon[]): Promise<void> {
  for (const d of daemons) {
    if (alive(d)) {
      d.child.kill('SIGKILL');
      await d.exited;
    }
  }
}

async function stopDaemon(d: SpawnedDaemon, timeoutMs = 60_000): Promise<Exit | { code: null; signal: 'timeout' }> {
  if (!alive(d)) return d.exited;
  try {
    return await d.stop('SIGTERM', timeoutMs);
  } catch {
    d.child.kill('SIGKILL');
    await d.exited;
    return { code: null, signal: 'timeout' };
  }
}

/** The daemon's spot_ingest_in_flight gauge (null when /metrics does not answer). */
async function inFlightOf(port: number): Promise<number | null> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(1_000) })).text();
    const m = /^spot_ingest_in_flight (\d+)/m.exec(text);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

async function httpStatus(url: string): Promise<number | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return null;
  }
}

async function stateOf(dynamo: DynamoDBClient, table: string, pk: string): Promise<string | null> {
  const out = await dynamo.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }));
  return out.Item?.status?.S ?? null;
}

interface DeadLetter {
  body: string;
  errorCode: string | null;
  receiveCount: string | null;
  earlierCodes: string | null;
  errorMessage: string | null;
}

/** Every message on the DLQ (received with a long visibility: the DLQ is only read here). */
async function readDlq(sqs: SQSClient, dlqUrl: string): Promise<DeadLetter[]> {
  const out: DeadLetter[] = [];
  for (let empty = 0; empty < 2; ) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 600, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }));
    const msgs = r.Messages ?? [];
    if (msgs.length === 0) {
      empty++;
      continue;
    }
    for (const m of msgs) {
      const a = m.MessageAttributes ?? {};
      out.push({
        body: m.Body ?? '',
        errorCode: a.ErrorCode?.StringValue ?? null,
        receiveCount: a.ReceiveCount?.StringValue ?? m.Attributes?.ApproximateReceiveCount ?? null,
        earlierCodes: a.EarlierErrorCodes?.StringValue ?? null,
        errorMessage: a.ErrorMessage?.StringValue?.slice(0, 200) ?? null,
      });
    }
  }
  return out;
}

const NO_CODE = '(none: moved by SQS redrive)';
const dlqCodes = (dead: readonly DeadLetter[]) => countBy(dead.map((d) => d.errorCode ?? NO_CODE));

function keyOfBody(body: string): string | null {
  try {
    const v = JSON.parse(body) as { s3Key?: unknown };
    return typeof v.s3Key === 'string' ? v.s3Key : null;
  } catch {
    return null;
  }
}

/** Outcome lines' outcomes (and codes for retry / dead-letter) of these logs. */
function outcomeCounts(logs: readonly Log[]): { outcomes: Record<string, number>; codes: Record<string, number> } {
  const lines = outcomeLines([...logs]);
  return {
    outcomes: countBy(lines.map((l) => String(l.outcome))),
    codes: countBy(lines.filter((l) => l.outcome !== 'done' && typeof l.code === 'string').map((l) => `${String(l.outcome)}:${String(l.code)}`)),
  };
}

/** PutObject, or a multipart upload for what is over fauxqs's 11 MiB request limit. */
async function putAny(stack: E2eStack, key: string, bytes: Uint8Array, contentType?: string): Promise<void> {
  if (bytes.length <= 10 * MiB) return putObject(stack.s3, stack.bucket, key, bytes, contentType);
  const all = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  await uploadGenerated(stack.s3, stack.bucket, key, all.length, (i, n) => all.subarray(i * PART_BYTES, i * PART_BYTES + n), contentType);
}

async function uploadAll(stack: E2eStack, files: readonly { key: string; body: Uint8Array; contentType?: string }[], parallel = 8): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const f = files[next++]!;
      await putObject(stack.s3, stack.bucket, f.key, f.body, f.contentType);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

// ---------------------------------------------------------------- part (a): kill -9

interface KillTrial {
  n: number;
  /** spawn → SIGKILL */
  uptimeMs: number;
  reachedConsuming: boolean;
  /** spot_ingest_in_flight just before the kill (null: /metrics not answering yet) */
  inFlightAtKill: number | null;
  /** outcome lines this daemon logged */
  settled: number;
  /** index writes (bulk items) that reached the recorder during this life */
  indexWrites: number;
  /** the daemon exited before the kill (a crash) */
  exitedEarly: string | null;
}

interface PartAResult {
  files: number;
  kinds: Record<string, number>;
  seed: number;
  trials: KillTrial[];
  killsWithWorkInFlight: number;
  sent: number;
  indexedAndRecorded: number;
  lost: Array<{ key: string; state: string | null; indexed: boolean; onDlq: boolean }>;
  indexWritesTotal: number;
  duplicates: number;
  duplicateDetail: string[];
  /** writes before the document was recorded INDEXED, beyond the first: a kill between the index write and the state record */
  reindexBeforeRecorded: number;
  dlq: { depth: number; codes: Record<string, number>; byKey: Array<{ key: string | null; errorCode: string | null; receiveCount: string | null; earlierCodes: string | null }> };
  outcomes: Record<string, number>;
  codes: Record<string, number>;
  finalQueue: { visible: number; inFlight: number; delayed: number };
  settleMs: number | null;
  settleError: string | null;
  finalExit: string;
  violations: string[];
  totalMs: number;
}

/**
 * Files for part (a): mostly small text files, a few small PDFs (text layer) and images (OCR) from
 * the document fixtures, spread through the run.
 */
function killCorpus(n: number): CorpusFile[] {
  const pdfs = ['born-digital-ja.pdf', 'cmap-ja.pdf'].map((f) => readFileSync(`${FIXTURES}${f}`));
  const png = readFileSync(`${FIXTURES}no-density.png`);
  const docx = readFileSync(`${FIXTURES}sample.docx`);
  return Array.from({ length: n }, (_, i): CorpusFile => {
    const id = String(i).padStart(4, '0');
    if (i % 50 === 17) return { key: `kill/doc-${id}.pdf`, body: pdfs[i % 2]!, kind: 'pdf' };
    if (i % 100 === 41) return { key: `kill/scan-${id}.png`, body: png, kind: 'image' };
    if (i % 100 === 73) return { key: `kill/memo-${id}.docx`, body: docx, kind: 'docx' };
    return { key: `kill/doc-${id}.txt`, body: Buffer.from(`kill -9 chaos file ${id}\n${`unique line ${id} of a small text file. `.repeat(8)}\n`), kind: 'text-utf8', contentType: 'text/plain' };
  });
}

async function partA(cfg: Settings['a'], seed: number): Promise<PartAResult> {
  const t0 = Date.now();
  const random = seededRandom(seed);
  const stack = await createE2eStack('chaos-kill', { maxReceiveCount: MAX_RECEIVE_COUNT });
  const arrivals = stampArrivals(stack.recorder);
  const dynamo = testDynamo();
  const daemons: SpawnedDaemon[] = [];
  try {
    const files = killCorpus(cfg.files);
    const keyById = new Map(files.map((f) => [documentId(stack.bucket, f.key), f.key]));
    await uploadAll(stack, files);
    log(`  (a) ${files.length} objects uploaded; ${cfg.kills} kills, uptime ${cfg.uptimeMinMs}–${cfg.uptimeMaxMs} ms, visibility ${cfg.visibilitySeconds} s`);
    stack.recorder.delayResponses(cfg.indexDelayMs);
    const env = stack.env({
      INGEST_VISIBILITY_TIMEOUT: String(cfg.visibilitySeconds), INGEST_CONCURRENCY: String(cfg.concurrency),
      INGEST_RETRY_BASE_SECONDS: String(RETRY_BASE_SECONDS), INGEST_SHUTDOWN_GRACE_SECONDS: '30',
    });

    // the feed: paced over ~85 % of the planned kill window, so work is in flight at every kill
    const windowMs = cfg.kills * ((cfg.uptimeMinMs + cfg.uptimeMaxMs) / 2) * 0.85;
    const feedStart = Date.now();
    let sent = 0;
    const feeder = (async () => {
      for (let i = 0; i < files.length; i++) {
        await sleepUntil(feedStart + (i * windowMs) / files.length);
        await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, files[i]!.key));
        sent++;
      }
    })();

    // INDEXED evidence per key: the time of an outcome line whose event is done / duplicate, or a
    // kill after which the state record was found INDEXED
    const indexedAt = new Map<string, number>();
    const noteEvidence = (logs: readonly Log[]) => {
      for (const l of outcomeLines([...logs])) {
        for (const e of (Array.isArray(l.events) ? l.events : []) as Array<{ key?: string; outcome?: string }>) {
          if (typeof e.key === 'string' && (e.outcome === 'done' || e.outcome === 'duplicate')) {
            const t = timeOf(l);
            if (!indexedAt.has(e.key) || t < indexedAt.get(e.key)!) indexedAt.set(e.key, t);
          }
        }
      }
    };

    const trials: KillTrial[] = [];
    for (let k = 1; k <= cfg.kills; k++) {
      const port = await freePort();
      const lifeStart = stack.recorder.requests.length;
      const d = spawnDaemon({ ...env, INGEST_HTTP_PORT: String(port) });
      daemons.push(d);
      const spawnedAt = Date.now();
      const uptimeMs = Math.round(cfg.uptimeMinMs + random() * (cfg.uptimeMaxMs - cfg.uptimeMinMs));
      await sleepUntil(spawnedAt + uptimeMs - 30);
      const inFlightAtKill = await inFlightOf(port);
      let exitedEarly: string | null = null;
      if (alive(d)) d.child.kill('SIGKILL');
      else exitedEarly = `exit ${d.child.exitCode ?? d.child.signalCode}: ${d.stderr().slice(-300)}`;
      await d.exited;
      const logs = d.logs();
      noteEvidence(logs);
      const lifeWrites = indexWrites(stack.recorder.requests.slice(lifeStart), arrivals.slice(lifeStart));
      // keys written in this life with no outcome line: did the state record reach INDEXED before the kill?
      const killedAt = Date.now();
      for (const id of new Set(lifeWrites.map((w) => w.id))) {
        const key = keyById.get(id);
        if (key === undefined || indexedAt.has(key)) continue;
        if ((await stateOf(dynamo, stack.table, `${stack.bucket}/${key}`)) === 'INDEXED') indexedAt.set(key, killedAt);
      }
      trials.push({
        n: k, uptimeMs, reachedConsuming: logs.some((l) => l.msg === 'consuming'), inFlightAtKill, settled: outcomeLines(logs).length,
        indexWrites: lifeWrites.length, exitedEarly,
      });
      if (k % 10 === 0 || k === cfg.kills) log(`  (a) kill ${k}/${cfg.kills}: sent ${sent}, indexed ${stack.recorder.documents(stack.index).size}, in flight at this kill ${inFlightAtKill ?? '?'}`);
    }

    // the last daemon finishes everything
    const last = spawnDaemon({ ...env, INGEST_HTTP_PORT: String(await freePort()) });
    daemons.push(last);
    await feeder;
    stack.recorder.delayResponses(0);
    const settleStart = Date.now();
    let settleMs: number | null = null;
    let settleError: string | null = null;
    let zeroSeen = 0;
    try {
      // the DLQ too: a letter SQS redrive moved without a reason is sent back by the daemon's DLQ
      // sweep (INGEST_DLQ_SWEEP_SECONDS, 60 s by default) and must then be processed
      await waitFor(async () => {
        const q = await queueCounts(stack.sqs, stack.queueUrl);
        const d = await queueCounts(stack.sqs, stack.dlqUrl);
        if (q.total + d.total > 0) {
          zeroSeen = 0;
          return false;
        }
        zeroSeen++;
        const docs = stack.recorder.documents(stack.index);
        return files.every((f) => docs.has(documentId(stack.bucket, f.key))) || zeroSeen >= 5;
      }, { what: 'every file indexed and the queue and DLQ empty (or both empty and staying so)', timeoutMs: cfg.settleTimeoutMs, intervalMs: 1_000 });
      settleMs = Date.now() - settleStart;
    } catch (err) {
      settleError = (err as Error).message;
    }
    const lastExit = await stopDaemon(last);
    noteEvidence(last.logs());

    // ---- where everything ended
    const dead = await readDlq(stack.sqs, stack.dlqUrl);
    const deadKeys = new Set(dead.map((d) => keyOfBody(d.body)).filter((k): k is string => k !== null));
    const docs = stack.recorder.documents(stack.index);
    const lost: PartAResult['lost'] = [];
    let indexedAndRecorded = 0;
    for (const f of files) {
      const state = await stateOf(dynamo, stack.table, `${stack.bucket}/${f.key}`);
      const indexed = docs.has(documentId(stack.bucket, f.key));
      if (indexed && state === 'INDEXED') indexedAndRecorded++;
      else lost.push({ key: f.key, state, indexed, onDlq: deadKeys.has(f.key) });
    }
    const writes = indexWrites(stack.recorder.requests, arrivals);
    let duplicates = 0;
    let reindexBeforeRecorded = 0;
    const duplicateDetail: string[] = [];
    const byId = new Map<string, number[]>();
    for (const w of writes) byId.set(w.id, [...(byId.get(w.id) ?? []), w.at]);
    for (const [id, times] of byId) {
      const key = keyById.get(id) ?? id;
      const recorded = indexedAt.get(key) ?? Number.POSITIVE_INFINITY;
      const after = times.filter((t) => t > recorded).length;
      const before = times.filter((t) => t <= recorded).length;
      duplicates += after;
      reindexBeforeRecorded += Math.max(0, before - 1);
      if (after > 0) duplicateDetail.push(`${key}: ${times.length} writes, ${after} after it was recorded INDEXED (${new Date(recorded).toISOString()})`);
    }
    const allLogs = daemons.flatMap((d) => d.logs());
    const { outcomes, codes } = outcomeCounts(allLogs);
    const q = await queueCounts(stack.sqs, stack.queueUrl);
    return {
      files: files.length, kinds: kindCounts(files), seed, trials,
      killsWithWorkInFlight: trials.filter((t) => (t.inFlightAtKill ?? 0) > 0).length,
      sent, indexedAndRecorded, lost, indexWritesTotal: writes.length, duplicates, duplicateDetail, reindexBeforeRecorded,
      dlq: { depth: dead.length, codes: dlqCodes(dead), byKey: dead.map((d) => ({ key: keyOfBody(d.body), errorCode: d.errorCode, receiveCount: d.receiveCount, earlierCodes: d.earlierCodes })) },
      outcomes, codes, finalQueue: { visible: q.visible, inFlight: q.inFlight, delayed: q.delayed }, settleMs, settleError,
      finalExit: `${lastExit.code ?? lastExit.signal}`, violations: [...stack.recorder.violations], totalMs: Date.now() - t0,
    };
  } finally {
    await killAll(daemons);
    dynamo.destroy();
    await stack.close();
  }
}

// ---------------------------------------------------------------- part (b): outages

/**
 * The longest a message can keep failing before SQS redrive moves it to the DLQ: it is received
 * maxReceiveCount times, and after each failed receive the daemon sets its visibility to the retry
 * backoff, at most base × 2^(receive − 1) s (src/consumer/backoff.ts); the next receive after the
 * last one moves it. Processing time of each attempt comes on top (milliseconds when a dependency
 * refuses connections).
 */
function redriveSpanSeconds(maxReceiveCount: number, baseSeconds: number): number {
  let s = 0;
  for (let r = 1; r <= maxReceiveCount; r++) s += baseSeconds * 2 ** (r - 1);
  return s;
}

interface OutageResult {
  dep: Dependency;
  mode: string;
  outageSeconds: number;
  sent: number;
  warmupOk: boolean;
  /** requests the daemon sent the proxy during the outage */
  requestsDuringOutage: number;
  readyz: Record<string, number>;
  indexed: number;
  allIndexed: boolean;
  /** recovery (proxy back to pass) → the last file indexed */
  recoveryMs: number | null;
  dlq: { depth: number; codes: Record<string, number> };
  outcomes: Record<string, number>;
  codes: Record<string, number>;
  queueAfter: number;
  daemonAlive: boolean;
  exit: string;
  error: string | null;
  ok: boolean;
}

const modeText = (m: FaultMode) => (m.kind === 'status' ? `HTTP ${m.status}` : m.kind === 'refuse' ? 'connection refused' : 'pass');

async function outageScenario(dep: Dependency, mode: FaultMode, cfg: Settings['b'], outageSeconds: number): Promise<OutageResult> {
  const stack = await createE2eStack(`chaos-out-${dep}`, { maxReceiveCount: MAX_RECEIVE_COUNT });
  const daemons: SpawnedDaemon[] = [];
  let proxy: FaultProxy | undefined;
  try {
    const target = dep === 'opensearch' ? stack.recorder.url : dep === 'dynamodb' ? dynamoEndpoint() : fauxqsEndpoint();
    proxy = await startFaultProxy(target);
    const through: Record<Dependency, Record<string, string>> = {
      opensearch: { INGEST_OPENSEARCH_URL: proxy.url },
      dynamodb: { AWS_ENDPOINT_URL_DYNAMODB: proxy.url },
      s3: { AWS_ENDPOINT_URL_S3: proxy.url },
      sqs: { AWS_ENDPOINT_URL_SQS: proxy.url },
    };
    const port = await freePort();
    const daemon = spawnDaemon(stack.env({
      ...through[dep], INGEST_HTTP_PORT: String(port), INGEST_VISIBILITY_TIMEOUT: String(cfg.visibilitySeconds),
      INGEST_RETRY_BASE_SECONDS: String(RETRY_BASE_SECONDS), INGEST_SHUTDOWN_GRACE_SECONDS: '20',
    }));
    daemons.push(daemon);
    await daemon.waitForLog((l) => l.msg === 'consuming', 'daemon to start consuming', 30_000);

    // warm-up through the proxy: the path works before the outage
    const warm = await stack.upload(`warm-${dep}`, 2);
    for (const key of warm) await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, key));
    let warmupOk = true;
    await waitFor(() => warm.every((k) => stack.indexed(k)), { what: 'warm-up files indexed', timeoutMs: 30_000 }).catch(() => (warmupOk = false));
    await waitFor(async () => (await queueCounts(stack.sqs, stack.queueUrl)).total === 0, { what: 'warm-up messages deleted', timeoutMs: 30_000 }).catch(() => (warmupOk = false));

    // the outage: the test's own clients talk to the real servers, only the daemon goes through the proxy
    await proxy.set(mode);
    const outageStart = Date.now();
    const requestsBefore = proxy.requests();
    const keys = Array.from({ length: cfg.files }, (_, i) => `outage-${dep}/file-${String(i).padStart(2, '0')}.txt`);
    for (const key of keys) await putObject(stack.s3, stack.bucket, key, `written during the ${dep} outage: ${key}`);
    for (const key of keys) await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, key));
    const readyz: number[] = [];
    while (Date.now() < outageStart + outageSeconds * 1000) {
      readyz.push((await httpStatus(`http://127.0.0.1:${port}/readyz`)) ?? 0);
      await sleepUntil(Math.min(outageStart + outageSeconds * 1000, Date.now() + 1_000));
    }
    const requestsDuringOutage = proxy.requests() - requestsBefore;
    await proxy.set({ kind: 'pass' });
    const recoveredAt = Date.now();
    log(`  (b) ${dep} ${modeText(mode)}: outage over after ${s1(recoveredAt - outageStart)}, ${requestsDuringOutage} requests hit the proxy meanwhile`);

    let recoveryMs: number | null = null;
    let error: string | null = null;
    try {
      await waitFor(async () => {
        const allIndexed = keys.every((k) => stack.indexed(k));
        if (allIndexed && recoveryMs === null) recoveryMs = Date.now() - recoveredAt;
        const q = await queueCounts(stack.sqs, stack.queueUrl);
        if (q.total > 0) return false;
        if (allIndexed) return true;
        const dlq = await queueCounts(stack.sqs, stack.dlqUrl);
        return keys.filter((k) => stack.indexed(k)).length + dlq.total >= keys.length;
      }, { what: 'every file indexed (or dead-lettered) and the queue empty', timeoutMs: cfg.recoveryTimeoutMs, intervalMs: 250 });
    } catch (err) {
      error = (err as Error).message;
    }
    const indexed = keys.filter((k) => stack.indexed(k)).length;
    const daemonAlive = alive(daemon);
    const exit = await stopDaemon(daemon);
    const dead = await readDlq(stack.sqs, stack.dlqUrl);
    const { outcomes, codes } = outcomeCounts(daemon.logs());
    const queueAfter = (await queueCounts(stack.sqs, stack.queueUrl)).total;
    const ok = warmupOk && dead.length === 0 && indexed === keys.length && daemonAlive && exit.code === 0;
    return {
      dep, mode: modeText(mode), outageSeconds, sent: keys.length, warmupOk, requestsDuringOutage, readyz: countBy(readyz.map(String)),
      indexed, allIndexed: indexed === keys.length, recoveryMs, dlq: { depth: dead.length, codes: dlqCodes(dead) }, outcomes, codes, queueAfter,
      daemonAlive, exit: `${exit.code ?? exit.signal}`, error, ok,
    };
  } finally {
    await killAll(daemons);
    await proxy?.close();
    await stack.close();
  }
}

// ---------------------------------------------------------------- part (c): hostile input

type Outcome = 'done' | 'duplicate' | 'stale' | 'dead-letter' | 'retry' | 'released';

interface Expect {
  outcome: Outcome;
  code?: string;
  textSource?: string;
  /** a warning starting with this */
  warning?: string;
  /** extra check on the indexed document; returns a problem or null */
  check?: (doc: Record<string, unknown>) => string | null;
  /** the documented outcome, in words, and where it is documented */
  doc: string;
}

interface HostileInput {
  name: string;
  group: 'body' | 'file';
  body: string;
  upload?: { key: string; bytes: Uint8Array };
  /** the document id to look at (files) */
  key?: string;
  expect: Expect;
}

interface HostileResult {
  name: string;
  group: string;
  bytes: number | null;
  expected: string;
  actual: string;
  pass: boolean;
  problems: string[];
  ms: number | null;
  peakRssMiB: number | null;
  dlqErrorCode: string | null;
}

/** A JSON array of numbers at least `bytes` long. */
function numbersArray(bytes: number): string {
  const out: number[] = [];
  for (let length = 2, i = 0; length < bytes; i++) {
    out.push(i * 7);
    length += String(i * 7).length + 1;
  }
  return JSON.stringify(out);
}

const NO_PASSWD: Expect['check'] = (doc) => (/root:.*:0:0:/.test(String(doc.content)) ? 'the content holds /etc/passwd' : null);

async function hostileInputs(bucket: string, maxFileBytes: number): Promise<HostileInput[]> {
  const fixture = (name: string) => readFileSync(`${FIXTURES}${name}`);
  const file = (name: string, key: string, bytes: Uint8Array, expect: Expect, event: object = nativeEvent(bucket, key)): HostileInput =>
    ({ name, group: 'file', body: JSON.stringify(event), upload: { key, bytes }, key, expect });
  const body = (name: string, text: string, expect: Expect): HostileInput => ({ name, group: 'body', body: text, expect });
  const dl = (code: string, doc: string): Expect => ({ outcome: 'dead-letter', code, doc });
  const native = (extra: Record<string, unknown>) => ({ eventType: 'FILE_UPLOADED', s3Bucket: bucket, s3Key: 'hostile/never.txt', timestamp: '2026-01-01T00:00:00Z', ...extra });
  const FMT = 'README "Message formats": anything else is dead-lettered';
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
  let deepObject = '{"eventType":"FILE_UPLOADED","s3Bucket":"' + bucket + '","s3Key":"hostile/deep-metadata.txt","metadata":';
  deepObject += '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000) + '}';
  const bigBody = JSON.stringify({ ...nativeEvent(bucket, 'hostile/big-body.txt'), metadata: { padding: 'x'.repeat(200 * 1024) } });
  const text = (s: string) => Buffer.from(s, 'utf8');
  const inputs: HostileInput[] = [
    // ---- bodies
    body('body `null`', 'null', dl('MESSAGE_UNKNOWN_FORMAT', `${FMT} (valid JSON of no known format)`)),
    body('body `[]`', '[]', dl('MESSAGE_UNKNOWN_FORMAT', FMT)),
    body('body: array of valid native events', JSON.stringify([nativeEvent(bucket, 'hostile/in-array.txt')]), dl('MESSAGE_UNKNOWN_FORMAT', `${FMT}: an array is no format`)),
    body('body `42`', '42', dl('MESSAGE_UNKNOWN_FORMAT', FMT)),
    body('body: a JSON string', '"FILE_UPLOADED"', dl('MESSAGE_UNKNOWN_FORMAT', FMT)),
    body('body: not JSON', '{"eventType": "FILE_UPLOADED", s3Bucket: ', dl('MESSAGE_INVALID_JSON', FMT)),
    body('body: whitespace only', '   \n\t ', dl('MESSAGE_INVALID_JSON', `${FMT} (an empty body is not JSON)`)),
    body('body: 200 KiB JSON array of numbers', numbersArray(200 * 1024), dl('MESSAGE_UNKNOWN_FORMAT', FMT)),
    body('body: 200 KiB of JSON cut in the middle of a string', `{"eventType":"FILE_UPLOADED","s3Bucket":"${bucket}","s3Key":"${'z'.repeat(200 * 1024)}`, dl('MESSAGE_INVALID_JSON', FMT)),
    body('body: 200 KiB native event (big metadata) for a missing object', bigBody, { outcome: 'stale', doc: 'README "What happens to a message": the object no longer exists ⇒ stale' }),
    body('body: array nested 100,000 deep', deep(100_000), dl('MESSAGE_UNKNOWN_FORMAT', FMT)),
    body('body: native event with metadata nested 20,000 deep, missing object', deepObject, { outcome: 'stale', doc: 'metadata is free-form; the object does not exist ⇒ stale' }),
    body('body: `__proto__` / constructor keys', '{"__proto__":{"eventType":"FILE_UPLOADED","s3Bucket":"x","s3Key":"y"},"constructor":{"prototype":{"polluted":true}}}', dl('MESSAGE_UNKNOWN_FORMAT', FMT)),
    body('wrong type: s3Key a number', JSON.stringify(native({ s3Key: 12345 })), dl('MESSAGE_INVALID_FIELD', FMT)),
    body('wrong type: s3Bucket an object', JSON.stringify(native({ s3Bucket: { name: bucket } })), dl('MESSAGE_INVALID_FIELD', FMT)),
    body('wrong type: eventType a number', JSON.stringify(native({ eventType: 7 })), dl('MESSAGE_INVALID_FIELD', FMT)),
    body('wrong type: fileSize "big"', JSON.stringify(native({ fileSize: 'big' })), dl('MESSAGE_INVALID_FIELD', FMT)),
    body('wrong type: fileSize -1', JSON.stringify(native({ fileSize: -1 })), dl('MESSAGE_INVALID_FIELD', FMT)),
    body('wrong type: timestamp "yesterday"', JSON.stringify(native({ timestamp: 'yesterday' })), dl('MESSAGE_INVALID_FIELD', FMT)),
    body('wrong type: Records an object', JSON.stringify({ Records: { eventName: 'ObjectCreated:Put' } }), dl('MESSAGE_INVALID_FIELD', FMT)),
    body('Records empty', JSON.stringify({ Records: [] }), dl('MESSAGE_INVALID_FIELD', FMT)),
    body('unknown native eventType FILE_RENAMED', JSON.stringify(native({ eventType: 'FILE_RENAMED' })), dl('EVENT_UNSUPPORTED', FMT)),
    body('unknown S3 event ObjectRestore:Completed', JSON.stringify(s3Event(bucket, 'hostile/restored.txt', { eventName: 'ObjectRestore:Completed' })), dl('EVENT_UNSUPPORTED', `${FMT}; README: ObjectCreated:* indexes, ObjectRemoved:*/LifecycleExpiration:* delete`)),
    body('unknown S3 event s3:ReducedRedundancyLostObject', JSON.stringify(s3Event(bucket, 'hostile/rrs.txt', { eventName: 'ReducedRedundancyLostObject' })), dl('EVENT_UNSUPPORTED', FMT)),
    body('Records from another service (aws:sqs)', JSON.stringify({ Records: [{ eventSource: 'aws:sqs', eventName: 'ObjectCreated:Put', body: '{}' }] }), dl('MESSAGE_UNKNOWN_FORMAT', FMT)),
    body('key with a NUL character', JSON.stringify(native({ s3Key: 'hostile/nul\u0000.txt' })), dl('MESSAGE_INVALID_FIELD', FMT)),
    body('key with an unpaired surrogate', '{"eventType":"FILE_UPLOADED","s3Bucket":"' + bucket + '","s3Key":"hostile/\\ud800.txt"}', dl('MESSAGE_INVALID_FIELD', FMT)),
    body('key of 2,000 bytes', JSON.stringify(native({ s3Key: `hostile/${'k'.repeat(2000)}` })), dl('MESSAGE_INVALID_FIELD', `${FMT} (S3 keys are at most 1024 bytes)`)),
    body('S3 key with a malformed %-escape', JSON.stringify({ Records: [{ ...(s3Event(bucket, 'x') as { Records: object[] }).Records[0], s3: { s3SchemaVersion: '1.0', bucket: { name: bucket }, object: { key: 'hostile/%E0%A4%A' } } }] }), dl('MESSAGE_INVALID_FIELD', FMT)),
    body('bucket name "../etc"', JSON.stringify(native({ s3Bucket: '../etc' })), dl('MESSAGE_INVALID_FIELD', FMT)),
    body('bucket that does not exist', JSON.stringify(nativeEvent('chaos-no-such-bucket-4242', 'x.txt')), dl('BUCKET_NOT_FOUND', 'src/adapters/storage/s3.ts: NoSuchBucket is permanent BUCKET_NOT_FOUND')),
    body('path traversal key, no such object', JSON.stringify(nativeEvent(bucket, '../../../../etc/passwd')), { outcome: 'stale', doc: 'README: an object that no longer exists ⇒ stale (keys are never file paths)' }),
    body('declared fileSize over INGEST_MAX_FILE_BYTES', JSON.stringify(nativeEvent(bucket, 'hostile/declared-huge.bin', { fileSize: maxFileBytes + 1 })), dl('OBJECT_TOO_LARGE', 'README: object over the size limit ⇒ dead-letter OBJECT_TOO_LARGE')),
    body('fileSize 1e20', JSON.stringify(nativeEvent(bucket, 'hostile/absurd.bin', { fileSize: 1e20 })), dl('MESSAGE_INVALID_FIELD', `${FMT} (over 50 TiB)`)),
    body('SNS: Message is an object, not a string', JSON.stringify({ Type: 'Notification', TopicArn: 'arn:aws:sns:us-east-1:123456789012:t', Message: nativeEvent(bucket, 'x.txt') }), dl('MESSAGE_INVALID_FIELD', FMT)),
    body('SNS: Message is not JSON', JSON.stringify({ Type: 'Notification', TopicArn: 'arn:aws:sns:us-east-1:123456789012:t', Message: '{broken' }), dl('MESSAGE_INVALID_JSON', FMT)),
    body('SNS: Message missing', JSON.stringify({ Type: 'Notification', TopicArn: 'arn:aws:sns:us-east-1:123456789012:t' }), dl('MESSAGE_INVALID_FIELD', FMT)),
    body('SNS: SubscriptionConfirmation', JSON.stringify({ Type: 'SubscriptionConfirmation', TopicArn: 'arn:aws:sns:us-east-1:123456789012:t', Message: 'You have chosen to subscribe', SubscribeURL: 'http://127.0.0.1:1/' }), dl('EVENT_UNSUPPORTED', FMT)),
    body('SNS inside SNS', JSON.stringify(snsWrapped(snsWrapped(nativeEvent(bucket, 'x.txt')))), dl('MESSAGE_UNKNOWN_FORMAT', `${FMT} (one level of SNS is unwrapped)`)),
    body('EventBridge: source aws.ec2', JSON.stringify({ ...eventBridgeEvent(bucket, 'x.txt'), source: 'aws.ec2' }), dl('EVENT_UNSUPPORTED', FMT)),
    body('EventBridge: detail-type Object Restore Completed', JSON.stringify(eventBridgeEvent(bucket, 'x.txt', 'Object Restore Completed')), dl('EVENT_UNSUPPORTED', FMT)),
    body('EventBridge: detail missing', JSON.stringify({ ...eventBridgeEvent(bucket, 'x.txt'), detail: undefined }), dl('MESSAGE_INVALID_FIELD', FMT)),
    body('EventBridge: detail.object.key a number', JSON.stringify({ ...eventBridgeEvent(bucket, 'x.txt'), detail: { bucket: { name: bucket }, object: { key: 42 } } }), dl('MESSAGE_INVALID_FIELD', FMT)),
    body('S3 notification with 200 records of missing objects', JSON.stringify({ Records: Array.from({ length: 200 }, (_, i) => (s3Event(bucket, `hostile/many-${i}.txt`) as { Records: object[] }).Records[0]) }), { outcome: 'stale', doc: 'README: several Records per message; each missing object ⇒ stale' }),

    // ---- files
    file('path traversal key ../../../../tmp/x.txt (object exists)', '../../../../tmp/chaos-traversal.txt', text('traversal key content'), { outcome: 'done', textSource: 'text-layer', doc: 'keys are S3 keys, not paths: indexed under the literal key (test/e2e/daemon-outcomes)' }),
    file('zip bomb .docx: 1 GiB part, sizes declared truthfully (~1030:1)', 'hostile/zip-bomb.docx', await hostile.docxZipBomb(GiB, 'true'), dl('OFFICE_TOO_LARGE', 'src/pipeline/extract-office.ts: over 200 MiB or 1000:1 ⇒ permanent OFFICE_TOO_LARGE')),
    file('zip bomb .docx: 1 GiB part declaring 1 MiB', 'hostile/zip-bomb-lying.docx', await hostile.docxZipBomb(GiB, 'small'), dl('OFFICE_CORRUPT', 'extract-office.ts: a part that inflates past its declared size is corrupt ⇒ OFFICE_CORRUPT')),
    file('.xlsx: sharedStrings inflating to 1 GiB, declaring 1 MiB', 'hostile/zip-bomb-lying.xlsx', await hostile.xlsxLyingBomb(GiB), dl('OFFICE_CORRUPT', 'extract-office.ts: inflates past its declared size ⇒ OFFICE_CORRUPT')),
    file('.docx: 210 MiB of real paragraphs (~12:1), declared truthfully', 'hostile/large-honest.docx', await hostile.docxLargeHonest(210 * MiB), dl('OFFICE_TOO_LARGE', 'extract-office.ts: parts over 200 MiB ⇒ OFFICE_TOO_LARGE')),
    file('.docx: 190 MiB of real paragraphs (~12:1), within the limits', 'hostile/large-within-limits.docx', await hostile.docxLargeHonest(190 * MiB), {
      outcome: 'done', textSource: 'text-layer', warning: 'TEXT_TRUNCATED', doc: 'extract-office.ts: under 200 MiB and 1000:1 it is read; text over 8,000,000 chars is cut (TEXT_TRUNCATED)',
    }),
    file('.docx: 5,000 header parts', 'hostile/many-parts.docx', hostile.docxManyParts(5_000), { outcome: 'done', textSource: 'text-layer', doc: 'README: DOCX text from body, headers, footers' }),
    file('.docx: XML entity bomb (billion laughs)', 'hostile/billion-laughs.docx', hostile.docxWith(hostile.billionLaughsXml()), {
      outcome: 'done', textSource: 'text-layer', doc: 'extract-office.ts reads XML without a DTD processor: entities are not expanded',
      check: (doc) => (String(doc.content).length > 10_000 ? `content of ${String(doc.content).length} chars: entities expanded` : null),
    }),
    file('.docx: XXE entity naming /etc/passwd', 'hostile/xxe.docx', hostile.docxWith(hostile.xxeXml()), { outcome: 'done', textSource: 'text-layer', doc: 'no DTD processor: external entities are never resolved', check: NO_PASSWD }),
    file('.docx truncated to 60 %', 'hostile/truncated.docx', fixture('sample.docx').subarray(0, Math.floor(fixture('sample.docx').length * 0.6)), dl('OFFICE_CORRUPT', 'extract-office.ts: a damaged zip ⇒ permanent OFFICE_CORRUPT')),
    file('random bytes named .docx', 'hostile/random.docx', hostile.garbageAfter([], 8192), { outcome: 'done', textSource: 'none', warning: 'METADATA_ONLY', doc: 'README: names are not trusted; unknown binaries are indexed metadata-only' }),
    file('PNG declaring 100000×100000', 'hostile/pixel-bomb.png', hostile.pngHeaderBomb(100_000, 100_000), dl('IMAGE_TOO_LARGE', 'README: a decompression bomb is refused from its header as IMAGE_TOO_LARGE')),
    file('PNG fixture bomb.png (50000×50000)', 'hostile/bomb-fixture.png', fixture('bomb.png'), dl('IMAGE_TOO_LARGE', 'README + test/fixtures/documents/README.md')),
    file('JPEG whose SOF declares 65000×65000', 'hostile/pixel-bomb.jpg', await hostile.jpegHeaderBomb(65_000, 65_000), dl('IMAGE_TOO_LARGE', 'README: decompression bomb refused from its header')),
    file('GIF declaring 65535×65535', 'hostile/pixel-bomb.gif', await hostile.gifHeaderBomb(), dl('IMAGE_TOO_LARGE', 'README: decompression bomb refused from its header')),
    file('BMP declaring 100000×100000', 'hostile/pixel-bomb.bmp', hostile.bmpHeaderBomb(100_000, 100_000), dl('IMAGE_TOO_LARGE', 'src/pool/bmp.ts: over the pixel limit ⇒ IMAGE_TOO_LARGE')),
    file('PNG 16000×16000 RGBA, all white (1 MiB file, 1 GiB decoded; under sharp\'s pixel limit)', 'hostile/white-256mp.png', await hostile.pngWhiteRgba(16_000, 16_000), {
      outcome: 'done', doc: 'README: images are OCRed; under sharp\'s limitInputPixels it is not a "bomb" by the daemon\'s definition, so indexed (blank: no text)',
    }),
    file('PNG 64×64 with a zTXt chunk inflating to 512 MiB', 'hostile/ztxt-bomb.png', await hostile.pngZtxtBomb(512 * MiB), { outcome: 'done', doc: 'README: images are OCRed (a text chunk is metadata, not pixels)' }),
    file('truncated JPEG (fixture truncated.jpg)', 'hostile/truncated.jpg', fixture('truncated.jpg'), { outcome: 'done', warning: 'IMAGE_TRUNCATED', doc: 'README: a truncated image is read as far as its data goes, with an IMAGE_TRUNCATED warning' }),
    file('truncated PNG (first 45 % of no-density.png)', 'hostile/truncated.png', fixture('no-density.png').subarray(0, Math.floor(fixture('no-density.png').length * 0.45)), { outcome: 'done', warning: 'IMAGE_TRUNCATED', doc: 'README: a truncated image is read as far as its data goes (IMAGE_TRUNCATED)' }),
    file('garbage PNG (signature + 8 KiB random)', 'hostile/garbage.png', hostile.garbageAfter([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 8192), { outcome: 'done', textSource: 'none', warning: 'METADATA_ONLY', doc: 'README: a PNG signature without an IHDR chunk is not recognised as an image: an unknown binary, metadata-only' }),
    file('garbage JPEG (SOI + 8 KiB random)', 'hostile/garbage.jpg', hostile.garbageAfter([0xff, 0xd8, 0xff, 0xe0], 8192), dl('IMAGE_CORRUPT', 'README: an image that cannot be decoded ⇒ IMAGE_CORRUPT')),
    file('truncated PDF (fixture truncated.pdf)', 'hostile/truncated.pdf', fixture('truncated.pdf'), dl('PDF_CORRUPT', 'README: a PDF that cannot be parsed ⇒ PDF_CORRUPT')),
    file('garbage PDF (fixture corrupt.pdf)', 'hostile/corrupt.pdf', fixture('corrupt.pdf'), dl('PDF_CORRUPT', 'README: a PDF that cannot be parsed ⇒ PDF_CORRUPT')),
    file('PDF whose page tree is a cycle', 'hostile/cycle.pdf', hostile.pdfCircularPages(), dl('PDF_CORRUPT', 'README: a PDF that cannot be parsed ⇒ PDF_CORRUPT')),
    file('PDF with one empty 14400×14400 pt page', 'hostile/huge-page.pdf', await hostile.pdfHugePage(), { outcome: 'done', doc: 'README: a page without a text layer is rendered and OCRed; blank pages are skipped (render capped at 35 MP, src/pool/pdf-task.ts)' }),
    file('PDF needing a user password (fixture)', 'hostile/encrypted.pdf', fixture('encrypted-user-password.pdf'), { outcome: 'done', textSource: 'none', warning: 'PDF_ENCRYPTED', doc: 'README: a PDF that needs a password is indexed by name only (PDF_ENCRYPTED)' }),
    file('.pdf that is really text', 'hostile/really-text.pdf', text('This file is named .pdf but is plain text.\n本文はテキストです。\n'), { outcome: 'done', textSource: 'text-layer', doc: 'README: type from the bytes; "a .pdf that is text is text" (detect-type.ts)' }),
    file('ELF executable', 'hostile/program', hostile.elfExecutable(), { outcome: 'done', textSource: 'none', warning: 'METADATA_ONLY', doc: 'README: unknown binaries are indexed metadata-only' }),
    file('Windows PE executable named .txt', 'hostile/setup.txt', hostile.peExecutable(), { outcome: 'done', textSource: 'none', warning: 'METADATA_ONLY', doc: 'README: unknown binaries metadata-only; the name is not trusted' }),
    file('legacy OLE2 .doc', 'hostile/legacy.doc', hostile.ole2(), { outcome: 'done', textSource: 'none', warning: 'METADATA_ONLY', doc: 'README: legacy .doc/.xls/.ppt are indexed metadata-only' }),
    file('SVG with a billion-laughs DTD', 'hostile/laughs.svg', text(hostile.billionLaughsXml().replaceAll('w:document', 'svg')), {
      outcome: 'done', textSource: 'text-layer', doc: 'XML is text (detect-type.ts): read as it is, entities never expanded',
      check: (doc) => (String(doc.content).length > 10_000 ? 'entities expanded' : null),
    }),
    file('zero-byte object', 'hostile/empty.txt', new Uint8Array(), { outcome: 'done', textSource: 'none', warning: 'EMPTY_FILE', doc: 'test/e2e/daemon-outcomes: indexed with EMPTY_FILE' }),
    file('text with invalid UTF-8 bytes', 'hostile/invalid-utf8.txt', Uint8Array.from([...text('valid start '), 0xff, 0xfe, 0xc3, 0x28, ...text(' valid end')]), { outcome: 'done', warning: 'TEXT_INVALID_BYTES', doc: 'extract-text.ts: undecodable bytes become U+FFFD (TEXT_INVALID_BYTES)' }),
    file('one 6 MiB line of text, no newline', 'hostile/long-line.txt', Buffer.alloc(6 * MiB, 'long line '), { outcome: 'done', textSource: 'text-layer', doc: 'README: text files are decoded and indexed' }),
    file(`object of ${maxFileBytes / MiB} MiB + 1 byte (INGEST_MAX_FILE_BYTES ${maxFileBytes / MiB} MiB)`, 'hostile/oversize.bin', Buffer.alloc(maxFileBytes + 1, 1), dl('OBJECT_TOO_LARGE', 'README: larger objects are refused (dead-lettered as OBJECT_TOO_LARGE)')),
    file('S3 event: key with RTL override, emoji, `+` and %', 'hostile/\u202etxt.exe 🧨 a+b%20c.txt', text('unicode key'), { outcome: 'done', textSource: 'text-layer', doc: 'README: keys are URL-decoded (+ is a space)' }, s3Event(bucket, 'hostile/\u202etxt.exe 🧨 a+b%20c.txt')),
    body('s3:TestEvent', JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: '2026-01-01T00:00:00.000Z', Bucket: bucket, RequestId: 'x', HostId: 'y' }), { outcome: 'done', doc: 'README: s3:TestEvent is acknowledged and deleted' }),
  ];
  return inputs;
}

function expectText(e: Expect): string {
  const parts = [e.outcome + (e.code ? ` ${e.code}` : '')];
  if (e.textSource) parts.push(`text_source ${e.textSource}`);
  if (e.warning) parts.push(`warning ${e.warning}`);
  return parts.join(', ');
}

interface PartCResult {
  inputs: number;
  results: HostileResult[];
  mismatches: number;
  daemonRestarts: number;
  aliveAtEnd: boolean;
  healthzAtEnd: number | null;
  exit: string;
  peakRssMiB: number;
  hwmMiB: number;
  rssLimitMiB: number;
  maxFileBytes: number;
  dlqDepth: number;
  unmatchedDeadLetters: number;
  violations: string[];
  totalMs: number;
}

async function partC(cfg: Settings['c']): Promise<PartCResult> {
  const t0 = Date.now();
  const stack = await createE2eStack('chaos-hostile', { maxReceiveCount: MAX_RECEIVE_COUNT });
  const daemons: SpawnedDaemon[] = [];
  const samplers: RssSampler[] = [];
  try {
    log('  (c) generating the hostile corpus');
    const inputs = await hostileInputs(stack.bucket, cfg.maxFileBytes);
    for (const i of inputs) if (i.upload) await putAny(stack, i.upload.key, i.upload.bytes);
    log(`  (c) ${inputs.length} inputs (${inputs.filter((i) => i.group === 'body').length} bodies, ${inputs.filter((i) => i.group === 'file').length} files)`);
    let port = 0;
    let daemon!: SpawnedDaemon;
    let sampler!: RssSampler;
    const start = async () => {
      port = await freePort();
      daemon = spawnDaemon(stack.env({
        INGEST_HTTP_PORT: String(port), INGEST_MAX_FILE_BYTES: String(cfg.maxFileBytes), INGEST_VISIBILITY_TIMEOUT: '30',
        INGEST_RETRY_BASE_SECONDS: String(RETRY_BASE_SECONDS), INGEST_SHUTDOWN_GRACE_SECONDS: '20',
      }));
      daemons.push(daemon);
      sampler = new RssSampler(daemon.child.pid!, 50);
      samplers.push(sampler);
      await daemon.waitForLog((l) => l.msg === 'consuming', 'daemon to start consuming', 30_000);
    };
    await start();
    let restarts = 0;
    const results: HostileResult[] = [];
    const usedIds = new Set<string>();
    for (const input of inputs) {
      const sentAt = Date.now();
      const messageId = await send(stack.sqs, stack.queueUrl, input.body);
      usedIds.add(messageId);
      const outcomesOf = () => outcomeLines(daemon.logs()).filter((l) => l.messageId === messageId || (!usedIds.has(String(l.messageId)) && timeOf(l) >= sentAt - 5));
      let final: Log | undefined;
      const seen: Log[] = [];
      const problems: string[] = [];
      try {
        final = await waitFor(() => {
          if (!alive(daemon)) throw Object.assign(new Error(`daemon exited (${daemon.child.exitCode ?? daemon.child.signalCode})`), { final: true });
          const lines = outcomesOf();
          seen.splice(0, seen.length, ...lines);
          return lines.find((l) => l.outcome !== 'retry' && l.outcome !== 'released');
        }, { what: `outcome of ${input.name}`, timeoutMs: cfg.inputTimeoutMs, intervalMs: 25 });
      } catch (err) {
        problems.push((err as Error).message.slice(0, 300));
      }
      for (const l of seen) usedIds.add(String(l.messageId));
      const doneAt = final ? timeOf(final) : Date.now();
      const peak = sampler.between(sentAt - 60, doneAt + 200).reduce((m, s) => Math.max(m, s.rssKiB), 0); // from the sample just before the send
      const e = input.expect;
      let actual: string;
      if (final) {
        actual = `${String(final.outcome)}${typeof final.code === 'string' ? ` ${final.code}` : ''}`;
        const retries = seen.filter((l) => l.outcome === 'retry').map((l) => String(l.code));
        if (retries.length > 0) actual += ` (after retry ${retries.join(', ')})`;
        if (final.outcome !== e.outcome) problems.push(`outcome ${String(final.outcome)}, expected ${e.outcome}`);
        if (e.code !== undefined && final.code !== e.code) problems.push(`code ${String(final.code ?? 'none')}, expected ${e.code}`);
        if (final.outcome === 'done' && input.key !== undefined) {
          const doc = stack.recorder.documents(stack.index).get(documentId(stack.bucket, input.key));
          if (!doc) problems.push('no document in the index');
          else {
            const warnings = Array.isArray(doc.warnings) ? (doc.warnings as string[]) : [];
            actual += `, text_source ${String(doc.text_source)}${warnings.length ? `, warnings ${warnings.map((w) => w.split(':')[0]).join(' ')}` : ''}, ${String(doc.content).length} chars`;
            if (e.textSource !== undefined && doc.text_source !== e.textSource) problems.push(`text_source ${String(doc.text_source)}, expected ${e.textSource}`);
            if (e.warning !== undefined && !warnings.some((w) => w.startsWith(e.warning!))) problems.push(`no ${e.warning} warning`);
            const p = e.check?.(doc);
            if (p) problems.push(p);
          }
        }
      } else actual = alive(daemon) ? `no outcome within ${cfg.inputTimeoutMs / 1000} s` : `DAEMON DIED (${daemon.child.exitCode ?? daemon.child.signalCode})`;
      results.push({
        name: input.name, group: input.group, bytes: input.upload ? input.upload.bytes.length : Buffer.byteLength(input.body), expected: expectText(e), actual,
        pass: problems.length === 0, problems, ms: final ? doneAt - sentAt : null, peakRssMiB: peak > 0 ? mib(peak) : null, dlqErrorCode: null,
      });
      log(`  (c) ${problems.length === 0 ? 'ok  ' : 'FAIL'} ${input.name}: ${actual}${problems.length ? ` — ${problems.join('; ')}` : ''} [${s1(final ? doneAt - sentAt : null)}, peak RSS ${peak > 0 ? mb(peak) : '?'}]`);
      if (!alive(daemon)) {
        restarts++;
        log(`  (c) the daemon died: ${daemon.stderr().slice(-400)}; starting another`);
        await start();
      }
    }
    // the daemon afterwards
    const aliveAtEnd = alive(daemon);
    const healthzAtEnd = aliveAtEnd ? await httpStatus(`http://127.0.0.1:${port}/healthz`) : null;
    for (const s of samplers) s.sample();
    const peakRssMiB = Math.max(...samplers.map((s) => mib(s.peakKiB)));
    const hwmMiB = Math.max(...samplers.map((s) => mib(s.hwmKiB)));
    const exit = await stopDaemon(daemon);
    // the DLQ's ErrorCode of every dead letter, matched to its input by body
    const dead = await readDlq(stack.sqs, stack.dlqUrl);
    let unmatched = 0;
    for (const d of dead) {
      const i = inputs.findIndex((x) => x.body === d.body || (d.body === '(empty message body)' && x.body.trim() === ''));
      const r = i >= 0 ? results[i] : undefined;
      if (!r) {
        unmatched++;
        continue;
      }
      r.dlqErrorCode = d.errorCode ?? NO_CODE;
      const exp = inputs[i]!.expect;
      if (exp.outcome === 'dead-letter' && exp.code !== undefined && d.errorCode !== exp.code) {
        r.pass = false;
        r.problems.push(`DLQ ErrorCode ${d.errorCode ?? 'none'}, expected ${exp.code}`);
      }
    }
    for (const [i, r] of results.entries()) {
      if (inputs[i]!.expect.outcome === 'dead-letter' && r.dlqErrorCode === null) {
        r.pass = false;
        r.problems.push('not on the DLQ');
      }
    }
    return {
      inputs: inputs.length, results, mismatches: results.filter((r) => !r.pass).length, daemonRestarts: restarts, aliveAtEnd, healthzAtEnd,
      exit: `${exit.code ?? exit.signal}`, peakRssMiB, hwmMiB, rssLimitMiB: cfg.rssLimitMiB, maxFileBytes: cfg.maxFileBytes,
      dlqDepth: dead.length, unmatchedDeadLetters: unmatched, violations: [...stack.recorder.violations], totalMs: Date.now() - t0,
    };
  } finally {
    for (const s of samplers) s.stop();
    await killAll(daemons);
    await stack.close();
  }
}

// ---------------------------------------------------------------- part (d): soak and a 1 GiB object

interface HeapSample {
  t: number;
  heapUsedMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
}

/** The main thread's heap from the daemon's /metrics (prom-client default metrics), null when it does not answer. */
async function heapOf(port: number): Promise<HeapSample | null> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(1_500) })).text();
    const v = (name: string) => Number(new RegExp(`^spot_ingest_${name} ([0-9.e+]+)`, 'm').exec(text)?.[1] ?? NaN) / MiB;
    return { t: Date.now(), heapUsedMiB: v('nodejs_heap_size_used_bytes'), heapTotalMiB: v('nodejs_heap_size_total_bytes'), externalMiB: v('nodejs_external_memory_bytes') };
  } catch {
    return null;
  }
}

interface HeapWindow {
  heapUsedMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
}

interface SoakResult {
  /** main-thread V8 heap (medians of 2 s samples) in the same windows as the RSS */
  heap: { afterWarmup: HeapWindow | null; end: HeapWindow | null; samples: number };
  /** RSS growth over the second half of the run (median of the last warm-up-sized stretch − the one before the midpoint) */
  secondHalfGrowthMiB: number;
  files: number;
  kinds: Record<string, number>;
  warmupFiles: number;
  processedMs: number | null;
  filesPerSecond: number | null;
  indexed: number;
  outcomes: Record<string, number>;
  codes: Record<string, number>;
  dlqDepth: number;
  rss: {
    startMiB: number;
    afterWarmupMiB: number;
    endMiB: number;
    growthMiB: number;
    maxAfterWarmupMiB: number;
    peakMiB: number;
    hwmMiB: number;
    idleAfterMiB: number | null;
    /** least-squares slope of RSS over files processed after warm-up */
    slopeMiBPer1000Files: number | null;
    /** RSS every 100 files processed (median of the samples of that stretch) */
    curve: Array<{ files: number; rssMiB: number }>;
  };
  error: string | null;
  totalMs: number;
}

interface BigObjectResult {
  what: string;
  bytes: number;
  criterion: boolean;
  uploadMs: number;
  outcome: string;
  textSource: string | null;
  warnings: string[];
  steps: Record<string, number>;
  baselineMiB: number;
  peakMiB: number;
  growthMiB: number;
  ms: number | null;
  error: string | null;
}

interface PartDResult {
  soak: SoakResult;
  big: BigObjectResult[];
}

/** The V8 flags and allocator variables bin/spot-ingest sets, for the report (they shape the RSS). */
function launcherMemorySettings(): string {
  try {
    const text = readFileSync(new URL('../bin/spot-ingest', import.meta.url), 'utf8');
    const vars = [...text.matchAll(/^: "\$\{(\w+):=([^}]*)\}"/gm)].map((m) => `${m[1]}=${m[2]}`);
    const flags = /^exec .*$/m.exec(text)?.[0].match(/--(?:max-semi-space-size|heap-growing-percent|max-old-space-size)=\d+/g) ?? [];
    return [...flags, ...vars].join(', ') || 'none';
  } catch {
    return 'unknown (bin/spot-ingest not readable)';
  }
}

function medianRss(samples: readonly RssSample[]): number {
  return samples.length === 0 ? Number.NaN : mib(median(samples.map((s) => s.rssKiB)));
}

async function soak(cfg: Settings['d'], seed: number): Promise<SoakResult> {
  const t0 = Date.now();
  const stack = await createE2eStack('chaos-soak', { maxReceiveCount: MAX_RECEIVE_COUNT });
  const daemons: SpawnedDaemon[] = [];
  let sampler: RssSampler | undefined;
  try {
    log(`  (d) generating ${cfg.files} mixed files`);
    const files = await mixedCorpus('soak', cfg.files, seed, { imageEvery: 100, earlyImages: [5, 6] }); // two early images: both pool workers have OCRed during the warm-up
    await uploadAll(stack, files);
    const port = await freePort();
    const daemon = spawnDaemon(stack.env({ INGEST_HTTP_PORT: String(port), INGEST_VISIBILITY_TIMEOUT: '60', INGEST_RETRY_BASE_SECONDS: String(RETRY_BASE_SECONDS), INGEST_SHUTDOWN_GRACE_SECONDS: '20' }));
    daemons.push(daemon);
    sampler = new RssSampler(daemon.child.pid!, 200);
    await daemon.waitForLog((l) => l.msg === 'consuming', 'daemon to start consuming', 30_000);
    const startMiB = medianRss(sampler.samples.slice(-5));
    // the main thread's V8 heap and external memory (prom-client default metrics), every 2 s
    const heap: HeapSample[] = [];
    const heapTimer = setInterval(() => {
      void heapOf(port).then((h) => h && heap.push(h));
    }, 2_000);
    const sentAt = Date.now();
    await sendAll(stack.sqs, stack.queueUrl, files.map((f) => JSON.stringify(nativeEvent(stack.bucket, f.key))));
    log(`  (d) ${files.length} messages sent (${fmtCounts(kindCounts(files))})`);
    let error: string | null = null;
    let processedMs: number | null = null;
    let lastLog = 0;
    try {
      await waitFor(async () => {
        const n = outcomeLines(daemon.logs()).length;
        if (Date.now() - lastLog > 30_000) {
          lastLog = Date.now();
          log(`  (d) soak: ${n}/${files.length} settled, RSS ${mb(sampler!.samples.at(-1)?.rssKiB ?? 0)}`);
        }
        if (!alive(daemon)) throw Object.assign(new Error('the daemon exited'), { final: true });
        return n >= files.length && (await queueCounts(stack.sqs, stack.queueUrl)).total === 0;
      }, { what: 'every soak file settled and the queue empty', timeoutMs: cfg.soakTimeoutMs, intervalMs: 500 });
      processedMs = Date.now() - sentAt;
    } catch (err) {
      error = (err as Error).message;
    }
    // idle for a few seconds after the run
    await sleep(5_000);
    clearInterval(heapTimer);
    const idleAfterMiB = medianRss(sampler.samples.filter((s) => s.t > Date.now() - 4_000));
    sampler.sample();
    const hwmMiB = mib(sampler.hwmKiB);
    sampler.stop();
    await stopDaemon(daemon);

    // RSS against files processed: the n-th outcome line's time
    const settledTimes = outcomeLines(daemon.logs()).map(timeOf).sort((a, b) => a - b);
    const at = (n: number) => settledTimes[Math.min(settledTimes.length - 1, Math.max(0, n - 1))] ?? Date.now();
    const w = cfg.warmupFiles;
    const afterWarmup = sampler.between(at(w), at(2 * w));
    const end = sampler.between(at(settledTimes.length - w), at(settledTimes.length) + 1);
    const afterWarmupMiB = medianRss(afterWarmup);
    const endMiB = medianRss(end);
    const post = sampler.between(at(w), at(settledTimes.length) + 1);
    const curve: Array<{ files: number; rssMiB: number }> = [];
    for (let n = 100; n <= settledTimes.length; n += 100) curve.push({ files: n, rssMiB: Number(medianRss(sampler.between(at(n - 100), at(n) + 1)).toFixed(1)) });
    // slope: RSS against the number of files settled at each sample's time
    let slope: number | null = null;
    if (post.length > 10) {
      let j = 0;
      const xs: number[] = [];
      const ys: number[] = [];
      for (const s of post) {
        while (j < settledTimes.length && settledTimes[j]! <= s.t) j++;
        xs.push(j);
        ys.push(mib(s.rssKiB));
      }
      const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
      const my = ys.reduce((a, b) => a + b, 0) / ys.length;
      const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
      slope = sxx > 0 ? (xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0) / sxx) * 1000 : null;
    }
    const { outcomes, codes } = outcomeCounts(daemon.logs());
    const docs = stack.recorder.documents(stack.index);
    const heapIn = (from: number, to: number) => {
      const hs = heap.filter((h) => h.t >= from && h.t < to);
      return hs.length === 0 ? null : { heapUsedMiB: median(hs.map((h) => h.heapUsedMiB)), heapTotalMiB: median(hs.map((h) => h.heapTotalMiB)), externalMiB: median(hs.map((h) => h.externalMiB)) };
    };
    const half = Math.floor(settledTimes.length / 2);
    return {
      heap: { afterWarmup: heapIn(at(w), at(2 * w)), end: heapIn(at(settledTimes.length - w), at(settledTimes.length) + 2_001), samples: heap.length },
      secondHalfGrowthMiB: medianRss(end) - medianRss(sampler.between(at(half - w), at(half))),
      files: files.length, kinds: kindCounts(files), warmupFiles: w, processedMs, filesPerSecond: processedMs ? files.length / (processedMs / 1000) : null,
      indexed: files.filter((f) => docs.has(documentId(stack.bucket, f.key))).length, outcomes, codes,
      dlqDepth: (await queueCounts(stack.sqs, stack.dlqUrl)).total,
      rss: {
        startMiB, afterWarmupMiB, endMiB, growthMiB: endMiB - afterWarmupMiB,
        maxAfterWarmupMiB: post.length ? Math.max(...post.map((s) => mib(s.rssKiB))) : Number.NaN,
        peakMiB: mib(sampler.peakKiB), hwmMiB, idleAfterMiB: Number.isFinite(idleAfterMiB) ? idleAfterMiB : null, slopeMiBPer1000Files: slope, curve,
      },
      error, totalMs: Date.now() - t0,
    };
  } finally {
    sampler?.stop();
    await killAll(daemons);
    await stack.close();
  }
}

async function bigObject(cfg: Settings['d'], what: 'zeros' | 'text', criterion: boolean): Promise<BigObjectResult> {
  const stack = await createE2eStack(`chaos-big-${what}`, { maxReceiveCount: MAX_RECEIVE_COUNT });
  const daemons: SpawnedDaemon[] = [];
  let sampler: RssSampler | undefined;
  const key = `big/${what}-${cfg.bigBytes / MiB}MiB.${what === 'text' ? 'txt' : 'bin'}`;
  try {
    const u0 = Date.now();
    await uploadGenerated(stack.s3, stack.bucket, key, cfg.bigBytes, what === 'zeros' ? zeros : textLines, what === 'text' ? 'text/plain' : 'application/octet-stream');
    const uploadMs = Date.now() - u0;
    log(`  (d) ${cfg.bigBytes / MiB} MiB of ${what} uploaded (multipart) in ${s1(uploadMs)}`);
    const daemon = spawnDaemon(stack.env({
      INGEST_HTTP_PORT: String(await freePort()), INGEST_MAX_FILE_BYTES: String(2 * GiB), INGEST_VISIBILITY_TIMEOUT: '120', INGEST_SHUTDOWN_GRACE_SECONDS: '20',
    }));
    daemons.push(daemon);
    sampler = new RssSampler(daemon.child.pid!, 50);
    await daemon.waitForLog((l) => l.msg === 'consuming', 'daemon to start consuming', 30_000);
    await sleep(3_000); // idle: the baseline
    const baselineMiB = medianRss(sampler.samples.filter((s) => s.t > Date.now() - 2_000));
    const sentAt = Date.now();
    const id = await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, key));
    let error: string | null = null;
    let line: Log | undefined;
    try {
      line = await daemon.waitForLog((l) => l.messageId === id && typeof l.outcome === 'string' && typeof l.ms === 'number' && l.outcome !== 'retry', `outcome of the ${what} object`, cfg.bigTimeoutMs);
    } catch (err) {
      error = (err as Error).message.slice(0, 300);
    }
    const during = sampler.between(sentAt, Date.now() + 1);
    const peakMiB = during.length ? Math.max(...during.map((s) => mib(s.rssKiB))) : Number.NaN;
    sampler.stop();
    const doc = stack.recorder.documents(stack.index).get(documentId(stack.bucket, key));
    const ev = (Array.isArray(line?.events) ? line.events[0] : undefined) as { steps?: Record<string, number> } | undefined;
    await stopDaemon(daemon);
    await stack.s3.send(new DeleteObjectCommand({ Bucket: stack.bucket, Key: key })).catch(() => undefined);
    return {
      what: `${cfg.bigBytes / MiB} MiB of ${what === 'zeros' ? 'zero bytes' : 'ASCII text lines'}`, bytes: cfg.bigBytes, criterion, uploadMs,
      outcome: line ? `${String(line.outcome)}${typeof line.code === 'string' ? ` ${line.code}` : ''}` : 'none',
      textSource: doc ? String(doc.text_source) : null, warnings: doc && Array.isArray(doc.warnings) ? (doc.warnings as string[]) : [], steps: ev?.steps ?? {},
      baselineMiB, peakMiB, growthMiB: peakMiB - baselineMiB, ms: line ? timeOf(line) - sentAt : null, error,
    };
  } finally {
    sampler?.stop();
    await killAll(daemons);
    await stack.close();
  }
}

// ---------------------------------------------------------------- report

interface Results {
  a?: PartAResult;
  b?: { spanSeconds: number; outageSeconds: number; scenarios: OutageResult[]; totalMs: number };
  c?: PartCResult;
  d?: PartDResult;
}

function criteriaOf(r: Results, cfg: Settings, quick: boolean): Criterion[] {
  const out: Criterion[] = [];
  if (r.a) {
    const a = r.a;
    out.push({ part: 'a', name: `≥ 50 kill -9 trials during one run of ≥ 500 files`, value: `${a.trials.length} kills, ${a.files} files (${a.killsWithWorkInFlight} kills with work in flight)`, pass: quick ? null : a.trials.length >= 50 && a.files >= 500 });
    out.push({ part: 'a', name: 'lost (sent, never indexed + INDEXED) = 0', value: String(a.lost.length), pass: a.lost.length === 0 });
    out.push({ part: 'a', name: 'duplicates (re-index of a document already INDEXED) = 0', value: String(a.duplicates), pass: a.duplicates === 0 });
    out.push({ part: 'a', name: 'DLQ depth = 0', value: `${a.dlq.depth}${a.dlq.depth ? ` (${fmtCounts(a.dlq.codes)})` : ''}`, pass: a.dlq.depth === 0 });
  }
  if (r.b) {
    for (const s of r.b.scenarios) {
      out.push({ part: 'b', name: `${s.dep}, ${s.mode} for ${s.outageSeconds} s: DLQ 0, all ${s.sent} indexed after recovery`, value: `DLQ ${s.dlq.depth}, indexed ${s.indexed}/${s.sent}, recovery ${s1(s.recoveryMs)}`, pass: s.ok });
    }
  }
  if (r.c) {
    const c = r.c;
    out.push({ part: 'c', name: '≥ 40 hostile inputs, each with its documented outcome', value: `${c.inputs - c.mismatches}/${c.inputs} as documented`, pass: c.inputs >= 40 && c.mismatches === 0 });
    out.push({ part: 'c', name: 'daemon alive and /healthz 200 afterwards (no restart needed)', value: `alive ${c.aliveAtEnd}, /healthz ${c.healthzAtEnd ?? '–'}, restarts ${c.daemonRestarts}`, pass: c.aliveAtEnd && c.healthzAtEnd === 200 && c.daemonRestarts === 0 });
    out.push({ part: 'c', name: `daemon RSS < ${cfg.c.rssLimitMiB / 1024} GiB throughout`, value: `peak sampled ${c.peakRssMiB.toFixed(0)} MiB, VmHWM ${c.hwmMiB.toFixed(0)} MiB`, pass: Math.max(c.peakRssMiB, c.hwmMiB) < cfg.c.rssLimitMiB });
  }
  if (r.d) {
    const s = r.d.soak;
    out.push({ part: 'd', name: `soak of ${s.files} mixed files: all settled`, value: `${s.indexed} indexed, ${fmtCounts(s.outcomes)}${s.error ? `; ${s.error}` : ''}`, pass: s.error === null });
    out.push({ part: 'd', name: `soak RSS growth after warm-up ≤ ${cfg.d.maxGrowthMiB} MB`, value: `${s.rss.growthMiB.toFixed(1)} MiB (${s.rss.afterWarmupMiB.toFixed(0)} → ${s.rss.endMiB.toFixed(0)} MiB)`, pass: Number.isFinite(s.rss.growthMiB) && s.rss.growthMiB <= cfg.d.maxGrowthMiB });
    for (const b of r.d.big.filter((x) => x.criterion)) {
      out.push({ part: 'd', name: `${b.what} through download: RSS growth ≤ ${cfg.d.bigMaxGrowthMiB} MB`, value: `${b.growthMiB.toFixed(0)} MiB (${b.baselineMiB.toFixed(0)} → ${b.peakMiB.toFixed(0)} MiB), outcome ${b.outcome}`, pass: Number.isFinite(b.growthMiB) && b.growthMiB <= cfg.d.bigMaxGrowthMiB && b.error === null });
    }
  }
  return out;
}

function report(o: { startedAt: Date; machine: Machine; quick: boolean; seed: number; parts: Part[]; cfg: Settings; r: Results; criteria: Criterion[]; totalMs: number; revision: string; carried: Record<string, Provenance> }): string {
  const { r, cfg } = o;
  const lines: string[] = [];
  const p = (s = '') => lines.push(s);
  const carriedNote = (part: Part) => {
    const from = o.carried[part];
    if (from) p(`*Not run this time: these figures are carried over from the run of ${from.date} (${from.revision}).*\n`);
  };
  p('# Chaos benchmark');
  p();
  p(`Generated by \`npm run bench:chaos\` (bench/chaos.ts${o.quick ? ' --quick' : ''}${o.parts.length < 4 ? ` --part ${o.parts.join(',')}` : ''}) on ${o.startedAt.toISOString()}; ${o.revision}; seed ${o.seed}; total ${s1(o.totalMs)}.${o.quick ? ' **Quick (smoke) run: fewer trials and files than the criteria ask for.**' : ''}`);
  p();
  const carriedParts = Object.keys(o.carried);
  if (carriedParts.length > 0) {
    p(`Parts run: ${o.parts.join(', ')}. Parts ${carriedParts.join(', ')} were not run: their sections and criteria are carried over from bench/results/chaos.json of an earlier run (date and revision under each section).`);
    p();
  }
  p(`- Machine: ${machineLine(o.machine)}`);
  p('- Servers (as in the tests): fauxqs (SQS + S3) in the bench process, DynamoDB Local (JVM), the OpenSearch recorder; the daemon is the real `bin/spot-ingest run`, spawned, environment only (LOG_LEVEL=debug, embeddings off)');
  p(`- Every part on a fresh stack: queue + DLQ (RedrivePolicy maxReceiveCount ${MAX_RECEIVE_COUNT}), bucket, DynamoDB table (\`spot-ingest setup --create-table\`, run against the real servers), index, data dir; INGEST_RETRY_BASE_SECONDS=${RETRY_BASE_SECONDS}`);
  p('- RSS: VmRSS of the daemon\'s pid from /proc/<pid>/status (bin/spot-ingest `exec`s Node, so the pid is the Node process, worker threads included), sampled every 50–200 ms; VmHWM (the kernel\'s peak) where noted');
  p();
  p('## Criteria');
  p();
  p(mdTable(['part', 'criterion', 'measured', 'pass'], o.criteria.map((c) => [c.part, c.name, c.value, c.pass === null ? 'not judged (quick run)' : c.pass ? 'yes' : '**NO**']), 3));
  p();

  if (r.a) {
    const a = r.a;
    const inFlight = a.trials.map((t) => t.inFlightAtKill);
    p('## (a) kill -9 at random moments');
    p();
    carriedNote('a');
    p(`- Files: ${a.files} (${fmtCounts(a.kinds)}), uploaded first; one native FILE_UPLOADED message each, sent at a steady pace over ~85 % of the planned kill window so that work is in flight at the kills`);
    p(`- Daemon: INGEST_VISIBILITY_TIMEOUT=${cfg.a.visibilitySeconds}, INGEST_CONCURRENCY=${cfg.a.concurrency}; the recorder holds every answer ${cfg.a.indexDelayMs} ms (a loaded cluster: widens the window between the index write and the state record, where a kill is most likely to cause a re-index)`);
    p(`- Kills: ${a.trials.length}; each daemon is SIGKILLed ${cfg.a.uptimeMinMs}–${cfg.a.uptimeMaxMs} ms (uniform, seeded mulberry32, seed ${a.seed}) after it was spawned, and the next one spawned at once; after the last kill one more daemon runs until every file is indexed and the queue and the DLQ are empty (or both stay empty; the DLQ sweep runs every 60 s)`);
    p(`- In flight at the kill (spot_ingest_in_flight read from /metrics just before): ${fmtCounts(countBy(inFlight.map((x) => (x === null ? 'not answering yet' : String(x)))))}; kills before the daemon was consuming: ${a.trials.filter((t) => !t.reachedConsuming).length}; daemons that exited before their kill: ${a.trials.filter((t) => t.exitedEarly).length}`);
    p(`- Settled: ${a.settleError ? `NOT (${a.settleError})` : `${s1(a.settleMs)} after the last kill`}; last daemon's exit ${a.finalExit}; queue afterwards ${JSON.stringify(a.finalQueue)}`);
    p(`- Outcome lines of all daemons: ${fmtCounts(a.outcomes)}; retry / dead-letter codes: ${fmtCounts(a.codes)}`);
    p(`- Index writes: ${a.indexWritesTotal} for ${a.files} files; re-index before the state record said INDEXED (a kill between the index write and the record — legitimate, the document is the same): ${a.reindexBeforeRecorded}`);
    p();
    p(mdTable(['result', 'value'], [
      ['sent', String(a.sent)], ['indexed and recorded INDEXED', String(a.indexedAndRecorded)], ['**lost**', String(a.lost.length)],
      ['**duplicates** (writes after the document was recorded INDEXED)', String(a.duplicates)], ['**DLQ depth**', String(a.dlq.depth)],
      ['dead letters\' ErrorCode', fmtCounts(a.dlq.codes)],
    ]));
    p();
    if (a.lost.length > 0) p(`Lost files: ${a.lost.slice(0, 30).map((l) => `${l.key} (state ${l.state ?? 'none'}, indexed ${l.indexed}${l.onDlq ? ', on the DLQ' : ''})`).join('; ')}${a.lost.length > 30 ? ' …' : ''}\n`);
    if (a.dlq.byKey.length > 0) p(`Dead letters: ${a.dlq.byKey.slice(0, 30).map((d) => `${d.key ?? '?'} ErrorCode ${d.errorCode ?? NO_CODE}${d.receiveCount ? (d.errorCode === null ? `, ApproximateReceiveCount ${d.receiveCount} (as read from the DLQ, this read included)` : `, ReceiveCount ${d.receiveCount}`) : ''}${d.earlierCodes ? `, earlier ${d.earlierCodes}` : ''}`).join('; ')}${a.dlq.byKey.length > 30 ? ' …' : ''}\n`);
    if (a.duplicateDetail.length > 0) p(`Duplicates: ${a.duplicateDetail.slice(0, 20).join('; ')}\n`);
    p('How duplicates are counted: the recorder runs in the bench process, and the moment each request arrived is recorded. For each document, its INDEXED moment is the earliest of: the `time` of an outcome line whose event for that key is `done` or `duplicate` (logged after the state record was written), or the moment of a kill after which its DynamoDB record read INDEXED (checked for every document written during that daemon\'s life that had no such line). An index write that arrived after that moment is a duplicate; writes before it beyond the first are the legitimate re-index above.');
    p();
    p('<details><summary>Kills</summary>');
    p();
    p(mdTable(['#', 'consuming', 'uptime', 'in flight at kill', 'outcomes logged', 'index writes'], a.trials.map((t) => [String(t.n), t.reachedConsuming ? 'yes' : 'no', `${t.uptimeMs} ms`, String(t.inFlightAtKill ?? '–'), String(t.settled), String(t.indexWrites)]), 2));
    p();
    p('</details>');
    p();
  }

  if (r.b) {
    const b = r.b;
    p('## (b) dependency outages');
    p();
    carriedNote('b');
    p(`- Redrive span: a message is received maxReceiveCount = ${MAX_RECEIVE_COUNT} times and after each failed receive the daemon sets its visibility to at most INGEST_RETRY_BASE_SECONDS × 2^(receive − 1) = ${Array.from({ length: MAX_RECEIVE_COUNT }, (_, i) => RETRY_BASE_SECONDS * 2 ** i).join(' + ')} = **${b.spanSeconds} s** (src/consumer/backoff.ts, plus each attempt's own time); outage ${b.outageSeconds} s = ${(b.outageSeconds / b.spanSeconds).toFixed(1)}× the span`);
    p(`- The daemon reaches one dependency through test/support/fault-proxy.ts (same port throughout): OpenSearch via INGEST_OPENSEARCH_URL, DynamoDB via AWS_ENDPOINT_URL_DYNAMODB, S3 via AWS_ENDPOINT_URL_S3, SQS via AWS_ENDPOINT_URL_SQS; \`setup\`, the uploads, the sends and every check use the real servers`);
    p(`- Per scenario: daemon started (proxy passing), 2 warm-up files indexed through the proxy, then the outage; ${cfg.b.files} files uploaded and their messages sent at its start; /readyz polled each second; after the outage the proxy passes again and the bench waits for every file indexed and the queue empty (or what is missing on the DLQ), up to ${cfg.b.recoveryTimeoutMs / 1000} s; INGEST_VISIBILITY_TIMEOUT=${cfg.b.visibilitySeconds}`);
    p();
    p(mdTable(['dependency', 'fault', 'outage', 'sent', 'requests answered by the proxy during the outage', '/readyz during the outage', 'indexed after', 'recovery → all indexed', 'DLQ', 'DLQ ErrorCodes', 'outcomes', 'retry / dead-letter codes', 'exit', 'ok'],
      b.scenarios.map((s) => [s.dep, s.mode, `${s.outageSeconds} s`, String(s.sent), s.mode === 'connection refused' ? '– (port closed)' : String(s.requestsDuringOutage), fmtCounts(s.readyz), `${s.indexed}/${s.sent}`, s1(s.recoveryMs), String(s.dlq.depth), fmtCounts(s.dlq.codes), fmtCounts(s.outcomes), fmtCounts(s.codes), s.exit, s.ok ? 'yes' : '**NO**']), 2));
    p();
    const errs = b.scenarios.filter((s) => s.error || !s.warmupOk);
    if (errs.length > 0) p(`Notes: ${errs.map((s) => `${s.dep}/${s.mode}: ${s.warmupOk ? '' : 'warm-up through the proxy failed; '}${s.error ?? ''}`).join('; ')}\n`);
  }

  if (r.c) {
    const c = r.c;
    p('## (c) hostile input');
    p();
    carriedNote('c');
    p(`- ${c.inputs} inputs, sent one at a time to one daemon (INGEST_MAX_FILE_BYTES=${c.maxFileBytes / MiB} MiB, INGEST_VISIBILITY_TIMEOUT=30); the next is sent once the previous one's final outcome line is logged (a \`retry\` line is followed until a final outcome, up to ${cfg.c.inputTimeoutMs / 1000} s)`);
    p('- "expected" is the outcome documented for that input (README sections "Message formats" and "What happens to a message", the module comments named in the JSON); "actual" is the daemon\'s outcome line (`outcome`, `code`), for indexed files the document\'s `text_source` and warnings, and for dead letters the DLQ message\'s ErrorCode attribute');
    p(`- Afterwards: daemon alive ${c.aliveAtEnd ? 'yes' : '**NO**'}, /healthz ${c.healthzAtEnd ?? '–'}, restarts needed ${c.daemonRestarts}, exit on SIGTERM ${c.exit}; DLQ depth ${c.dlqDepth} (${c.unmatchedDeadLetters} not matched to an input)`);
    p(`- RSS: peak sampled (50 ms) ${c.peakRssMiB.toFixed(0)} MiB, VmHWM ${c.hwmMiB.toFixed(0)} MiB (limit ${c.rssLimitMiB} MiB)`);
    p();
    p(mdTable(['#', 'input', 'size', 'expected (documented)', 'actual', 'DLQ ErrorCode', 'time', 'peak RSS', 'pass'],
      c.results.map((x, i) => [String(i + 1), x.name.replaceAll('|', '\\|'), x.bytes === null ? '–' : x.bytes >= MiB ? `${(x.bytes / MiB).toFixed(1)} MiB` : `${(x.bytes / 1024).toFixed(1)} KiB`, x.expected, x.actual.replaceAll('|', '\\|'), x.dlqErrorCode ?? '–', s1(x.ms), x.peakRssMiB === null ? '–' : `${x.peakRssMiB.toFixed(0)} MiB`, x.pass ? 'yes' : `**NO**: ${x.problems.join('; ').replaceAll('|', '\\|')}`]), 6));
    p();
    const bad = c.results.filter((x) => !x.pass);
    p(bad.length === 0 ? 'Every input ended as documented.\n' : `**Mismatches (${bad.length})**: ${bad.map((x) => `${x.name}: ${x.problems.join('; ')}`).join(' · ')}\n`);
  }

  if (r.d) {
    const s = r.d.soak;
    p('## (d) soak and a 1 GiB object');
    p();
    carriedNote('d');
    p(`- Soak: ${s.files} files (${fmtCounts(s.kinds)}), all messages sent at once to one daemon (INGEST_CONCURRENCY default = 2 × cores, pool of 2 workers); RSS sampled every 200 ms`);
    p(`- Processed in ${s1(s.processedMs)} (${s.filesPerSecond?.toFixed(1) ?? '–'} files/s); indexed ${s.indexed}; outcomes ${fmtCounts(s.outcomes)}; retry / dead-letter codes ${fmtCounts(s.codes)}; DLQ ${s.dlqDepth}${s.error ? `; **${s.error}**` : ''}`);
    p(`- Daemon's memory settings, from bin/spot-ingest (the reasons are in its comments): ${launcherMemorySettings()}`);
    p(`- Warm-up: the first ${s.warmupFiles} files settled. Growth = median RSS while the last ${s.warmupFiles} files settled − median RSS while files ${s.warmupFiles + 1}–${2 * s.warmupFiles} settled`);
    p();
    p(mdTable(['RSS', 'MiB'], [
      ['idle, before the first message', f0m(s.rss.startMiB)],
      [`files ${s.warmupFiles + 1}–${2 * s.warmupFiles} (median)`, f0m(s.rss.afterWarmupMiB)],
      [`last ${s.warmupFiles} files (median)`, f0m(s.rss.endMiB)],
      ['**growth after warm-up**', `**${s.rss.growthMiB.toFixed(1)}**`],
      ['max after warm-up', f0m(s.rss.maxAfterWarmupMiB)],
      ['slope after warm-up (least squares, per 1000 files)', s.rss.slopeMiBPer1000Files === null ? '–' : s.rss.slopeMiBPer1000Files.toFixed(1)],
      ['peak sampled / VmHWM', `${s.rss.peakMiB.toFixed(0)} / ${s.rss.hwmMiB.toFixed(0)}`],
      ['idle, 5 s after the last file', s.rss.idleAfterMiB === null ? '–' : f0m(s.rss.idleAfterMiB)],
      ['growth over the second half of the run (same-size stretches)', s.secondHalfGrowthMiB.toFixed(1)],
    ]));
    p();
    const hw = (h: HeapWindow | null) => (h === null ? '–' : `heap used ${h.heapUsedMiB.toFixed(0)}, heap total ${h.heapTotalMiB.toFixed(0)}, external ${h.externalMiB.toFixed(0)} MiB`);
    p(`Main thread's V8 heap (the daemon's own /metrics, prom-client default metrics, sampled every 2 s; worker threads' heaps are not in it): after warm-up ${hw(s.heap.afterWarmup)}; at the end ${hw(s.heap.end)}.`);
    p();
    p(`RSS every 100 files (median of that stretch): ${s.rss.curve.map((c) => `${c.files}: ${c.rssMiB.toFixed(0)}`).join(', ')}`);
    p();
    p('Big objects: uploaded with CreateMultipartUpload / UploadPart (8 MiB parts, generated one at a time) / CompleteMultipartUpload; a fresh daemon with INGEST_MAX_FILE_BYTES=2 GiB; baseline = median RSS over 2 s idle after it was consuming; peak = highest RSS sample (50 ms) until the outcome line.');
    p();
    p(mdTable(['object', 'criterion', 'upload', 'outcome', 'text_source', 'warnings', 'steps (ms)', 'time', 'baseline', 'peak', 'growth'],
      r.d.big.map((b) => [b.what, b.criterion ? `yes (≤ ${cfg.d.bigMaxGrowthMiB} MB)` : 'no (observation)', s1(b.uploadMs), b.outcome, b.textSource ?? '–', b.warnings.map((w) => w.split(':')[0]).join(' ') || '–', Object.entries(b.steps).map(([k, v]) => `${k} ${v}`).join(', ') || '–', s1(b.ms), `${b.baselineMiB.toFixed(0)} MiB`, `${b.peakMiB.toFixed(0)} MiB`, `${b.growthMiB.toFixed(0)} MiB`]), 2));
    p();
    const be = r.d.big.filter((b) => b.error);
    if (be.length) p(`Errors: ${be.map((b) => `${b.what}: ${b.error}`).join('; ')}\n`);
  }

  p('## What this does not measure');
  p();
  p('- Local servers only: fauxqs is not SQS (its redrive, visibility and receive counts follow SQS\'s documented behaviour as fauxqs implements it), DynamoDB Local is not DynamoDB, and the recorder answers like OpenSearch but is not one. Latencies are loopback latencies.');
  p('- Outages are one dependency at a time, as connection refused (port closed, open connections reset) or HTTP 503 from a proxy; no slow answers, no partial network loss, no DNS failure, no two dependencies down at once. Bedrock is off (embeddings `none`): its circuit breaker is not exercised here.');
  p('- kill -9 hits the daemon process only; the servers and the disk stay up. The kill moment is random in time since spawn, not chosen at a particular step, so which steps were hit is only what the in-flight counts and the re-index count show.');
  p('- RSS is resident memory sampled from outside; a spike shorter than the sampling interval shows only in VmHWM. Growth in part (d) is of the whole process (V8 heap, native memory of sharp/pdf.js/tesseract in the worker threads): it cannot tell a leak from a cache that is still filling.');
  if (o.quick) p('- This was a quick run: the numbers are a smoke test, not the criteria\'s sizes.');
  p();
  p('Raw numbers: bench/results/chaos.json.');
  p();
  return lines.join('\n');
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const { parts, quick, seed } = parseArgs(process.argv.slice(2));
  const cfg = settings(quick);
  const startedAt = new Date();
  const t0 = Date.now();
  const m = machine();
  log(`chaos benchmark: parts ${parts.join(', ')}${quick ? ' (quick)' : ''}, seed ${seed}`);
  log('starting fauxqs and DynamoDB Local');
  await globalSetup();
  const r: Results = {};
  try {
    if (parts.includes('a')) {
      log('(a) kill -9 at random moments');
      r.a = await partA(cfg.a, seed);
      log(`(a) lost ${r.a.lost.length}, duplicates ${r.a.duplicates}, DLQ ${r.a.dlq.depth} (${fmtCounts(r.a.dlq.codes)}) [${s1(r.a.totalMs)}]`);
    }
    if (parts.includes('b')) {
      const b0 = Date.now();
      const spanSeconds = redriveSpanSeconds(MAX_RECEIVE_COUNT, RETRY_BASE_SECONDS);
      const outageSeconds = Math.max(cfg.b.minOutageSeconds, 3 * spanSeconds + 1);
      log(`(b) outages: redrive span ${spanSeconds} s (maxReceiveCount ${MAX_RECEIVE_COUNT}, retry base ${RETRY_BASE_SECONDS} s), outage ${outageSeconds} s`);
      const scenarios: OutageResult[] = [];
      for (const { dep, mode } of cfg.b.scenarios) {
        const s = await outageScenario(dep, mode, cfg.b, outageSeconds);
        scenarios.push(s);
        log(`(b) ${dep} ${s.mode}: indexed ${s.indexed}/${s.sent}, recovery ${s1(s.recoveryMs)}, DLQ ${s.dlq.depth} ${fmtCounts(s.dlq.codes)}, outcomes ${fmtCounts(s.outcomes)} ${fmtCounts(s.codes)}${s.error ? ` — ${s.error}` : ''}`);
      }
      r.b = { spanSeconds, outageSeconds, scenarios, totalMs: Date.now() - b0 };
    }
    if (parts.includes('c')) {
      log('(c) hostile input');
      r.c = await partC(cfg.c);
      log(`(c) ${r.c.inputs - r.c.mismatches}/${r.c.inputs} as documented, alive ${r.c.aliveAtEnd}, /healthz ${r.c.healthzAtEnd}, peak RSS ${r.c.peakRssMiB.toFixed(0)} MiB (VmHWM ${r.c.hwmMiB.toFixed(0)}) [${s1(r.c.totalMs)}]`);
    }
    if (parts.includes('d')) {
      log('(d) soak');
      const soakResult = await soak(cfg.d, seed);
      log(`(d) soak: ${soakResult.indexed}/${soakResult.files} indexed in ${s1(soakResult.processedMs)}, RSS growth after warm-up ${soakResult.rss.growthMiB.toFixed(1)} MiB [${s1(soakResult.totalMs)}]`);
      const big: BigObjectResult[] = [];
      for (const [what, criterion] of [['zeros', true], ['text', false]] as const) {
        const b = await bigObject(cfg.d, what, criterion);
        big.push(b);
        log(`(d) ${b.what}: ${b.outcome}, text_source ${b.textSource}, RSS ${b.baselineMiB.toFixed(0)} → ${b.peakMiB.toFixed(0)} MiB (growth ${b.growthMiB.toFixed(0)}) in ${s1(b.ms)}`);
      }
      r.d = { soak: soakResult, big };
    }
  } finally {
    await globalTeardown();
  }
  const totalMs = Date.now() - t0;
  const revision = codeRevision();
  // a run of some parts keeps the others' latest figures (marked as carried over) instead of dropping them
  const carried = await carryOver<Results>('chaos', ALL_PARTS.filter((p) => !parts.includes(p)), quick);
  Object.assign(r, carried.results);
  const provenance: Record<string, Provenance> = { ...carried.from };
  for (const part of parts) provenance[part] = { date: startedAt.toISOString(), revision };
  const criteria = criteriaOf(r, cfg, quick);
  log('');
  for (const c of criteria) log(`${c.pass === null ? 'n/a ' : c.pass ? 'PASS' : 'FAIL'} (${c.part}) ${c.name}: ${c.value}`);
  log(`total ${s1(totalMs)}`);
  await writeResults('chaos', report({ startedAt, machine: m, quick, seed, parts, cfg, r, criteria, totalMs, revision, carried: carried.from }), {
    date: startedAt.toISOString(), revision, machine: m, quick, seed, parts, settings: cfg, criteria, results: r, totalMs, provenance,
  });
  log('wrote bench/results/chaos.md and bench/results/chaos.json');
  if (criteria.some((c) => c.pass === false)) process.exitCode = 1;
}

runMain(main);
