/**
 * npm run bench:interruption — the spawned `spot-ingest run` daemon under load, interrupted by a
 * spot notice from the IMDS simulator at a random moment (docs/design.md §7), N trials.
 *
 * The same real local servers the tests use: fauxqs (SQS + S3, in this process), DynamoDB Local
 * (a JVM), the OpenSearch recorder and the IMDS simulator. Each trial gets a fresh queue (+ DLQ),
 * bucket, table, index, data dir, recorder and IMDS simulator, so no trial sees another's messages.
 *
 * Per trial:
 *   1. upload OBJECTS text objects, start the daemon (IMDS on, safety margin MARGIN s), wait for the
 *      watcher to poll, slow the recorder's answers down (scenario below), send one message each;
 *   2. at a random moment NOTICE_AFTER_MIN..MAX ms after the first bulk request reaches the
 *      recorder, post a notice for now + NOTICE_IN s; wait for the daemon to exit on its own;
 *   3. measure detection delay, time to the last release, exit code and margin; classify every sent
 *      message (indexed + INDEXED, or visible on the queue, or lost);
 *   4. recovery: a second daemon (no IMDS) processes what was left; every object must end INDEXED,
 *      the queue empty, and the index operations per document are counted for the duplicates.
 *
 * Writes bench/results/interruption.md (report) and bench/results/interruption.json (raw numbers).
 * Exits 1 if any trial lost a message, exited late / non-zero / not on its own, indexed a
 * duplicate, or failed its recovery.
 *
 *   node bench/interruption.ts [--trials N] [--seed S]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ChangeMessageVisibilityCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { documentId } from '../src/adapters/index/document-id.ts';
import { putObject, queueCounts, send, testDynamo } from '../test/support/aws.ts';
import { spawnDaemon, type Exit, type SpawnedDaemon } from '../test/support/daemon.ts';
import { createE2eStack, type E2eStack } from '../test/support/e2e-stack.ts';
import { nativeEvent } from '../test/support/events.ts';
import { globalSetup, globalTeardown } from '../test/support/global-setup.ts';
import { startImdsSimulator, type ImdsSimulator } from '../test/support/imds-simulator.ts';
import type { RecordedRequest } from '../test/support/opensearch-recorder.ts';
import { waitFor } from '../test/support/wait-for.ts';
import { seededRandom } from './lib/stats.ts';
import { indexWrites } from './lib/index-writes.ts';
import { runMain } from './lib/run-main.ts';

// ---------------------------------------------------------------- settings

const DEFAULT_TRIALS = 20;
const DEFAULT_SEED = 20_260_511;
const OBJECTS = 40;
const CONCURRENCY = 4;
/** Notice time = notice posted + NOTICE_IN s; the daemon's deadline is MARGIN s before that. */
const NOTICE_IN_SECONDS = 20;
const MARGIN_SECONDS = 10;
/** Random moment of the notice, after the first bulk request arrived (uniform). */
const NOTICE_AFTER_MIN_MS = 500;
const NOTICE_AFTER_MAX_MS = 5_000;
/** Recorder answer delay while loaded (every request, index writes included). */
const SLOW_MS = 1_200;
/** 'stall' scenario: at a random moment before the notice the answers slow to this (> deadline). */
const STALL_MS = 60_000;
const RECOVERY_TIMEOUT_MS = 60_000;
const RESULTS = new URL('./results/', import.meta.url);

type Scenario = 'steady' | 'stall';
const SCENARIOS: Record<Scenario, string> = {
  steady: `every OpenSearch answer takes ${SLOW_MS} ms throughout: the work in flight at the notice can finish before the deadline`,
  stall: `answers take ${SLOW_MS} ms, then from a random moment between the first bulk request and the notice ${STALL_MS / 1000} s: the jobs that reach the index after it cannot finish and must be released (early, by the p90 prediction, or at the deadline)`,
};

function parseArgs(argv: string[]): { trials: number; seed: number } {
  let trials = DEFAULT_TRIALS;
  let seed = DEFAULT_SEED;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${arg} needs a positive integer`);
      return v;
    };
    if (arg === '--trials') trials = value();
    else if (arg === '--seed') seed = value();
    else throw new Error(`unknown argument ${arg} (use --trials N, --seed S)`);
  }
  return { trials, seed };
}

// ---------------------------------------------------------------- one trial

type Log = Record<string, unknown>;

interface KeyResult {
  key: string;
  messageId: string;
  /** the daemon's outcome line(s) for the message, in order */
  outcomes: string[];
  state: string | null;
  indexed: boolean;
  onQueue: number;
  lost: boolean;
}

interface TrialResult {
  trial: number;
  scenario: Scenario;
  ok: boolean;
  problems: string[];
  /** first bulk request → notice posted (ms) */
  noticeAfterLoadMs: number;
  /** stall scenario: first bulk request → answers slowed to STALL_MS */
  stallAfterLoadMs: number | null;
  noticeSetAt: string;
  noticeTime: string;
  deadline: string;
  /** notice posted → 'draining: stopped receiving' (reason spot interruption), by the log's time */
  detectionMs: number | null;
  drainReason: string | null;
  drainDeadlineMatches: boolean;
  inFlightAtNotice: number | null;
  /** outcome lines of the first daemon */
  done: number;
  duplicateOutcomes: number;
  released: number;
  releasedEarly: number;
  otherOutcomes: Record<string, number>;
  /** notice posted → last 'released' outcome line (null: none released) */
  releaseMs: number | null;
  /** last 'released' line relative to the deadline (negative = before it) */
  lastReleaseVsDeadlineMs: number | null;
  exitCode: number | null;
  exitSignal: string | null;
  exitedOnItsOwn: boolean;
  /** notice time − exit (ms); must be > 0 */
  exitBeforeNoticeMs: number | null;
  drainedLine: boolean;
  /** after the exit */
  queueAfter: { visible: number; inFlight: number; delayed: number };
  dlqAfter: number;
  indexedAfter: number;
  backOnQueue: number;
  lost: number;
  /** messages both indexed+INDEXED and on the queue (not lost; the recovery must see them as duplicates) */
  doneAndOnQueue: number;
  /** index operations (bulk items) per phase */
  indexOpsPhase1: number;
  indexOpsRecovery: number;
  /** documents indexed twice in one daemon's life + INDEXED versions indexed again by the recovery */
  duplicates: number;
  /** a released message whose document the recorder had already stored (then re-indexed by the recovery: legitimate) */
  legitimateReindex: number;
  recovery: { ok: boolean; ms: number; outcomes: Record<string, number>; allIndexed: boolean; queueEmpty: boolean } | null;
  violations: string[];
  keys: KeyResult[];
  /** kept when something went wrong */
  evidence: Log[];
}

const isOutcome = (l: Log) => typeof l.outcome === 'string' && typeof l.ms === 'number';
const timeOf = (l: Log) => Date.parse(String(l.time));
const countBy = (xs: string[]) => xs.reduce<Record<string, number>>((m, x) => ((m[x] = (m[x] ?? 0) + 1), m), {});

/** Index operations (index / create / update) per document id in these bulk requests. */
function indexOps(requests: RecordedRequest[]): Map<string, number> {
  const ops = new Map<string, number>();
  for (const write of indexWrites(requests, [])) ops.set(write.id, (ops.get(write.id) ?? 0) + 1);
  return ops;
}

async function stateOf(dynamo: DynamoDBClient, table: string, pk: string): Promise<string | null> {
  const out = await dynamo.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }));
  return out.Item?.status?.S ?? null;
}

/** Every visible message (received with a short visibility, then made visible again), by body key. */
async function drainVisible(sqs: SQSClient, queueUrl: string): Promise<Map<string, number>> {
  const seen = new Map<string, { key: string; handle: string }>();
  for (let empty = 0; empty < 2; ) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 60 }));
    const msgs = out.Messages ?? [];
    if (msgs.length === 0) {
      empty++;
      continue;
    }
    for (const m of msgs) {
      let key = '?';
      try {
        key = String((JSON.parse(m.Body ?? '{}') as { s3Key?: string }).s3Key);
      } catch {
        // counted under '?'
      }
      seen.set(m.MessageId!, { key, handle: m.ReceiptHandle! });
    }
  }
  for (const { handle } of seen.values()) {
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: handle, VisibilityTimeout: 0 }));
  }
  return new Map(Object.entries(countBy([...seen.values()].map((s) => s.key))));
}

async function exitWithin(daemon: SpawnedDaemon, ms: number): Promise<Exit | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([daemon.exited, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

async function runTrial(trial: number, scenario: Scenario, random: () => number, log: (s: string) => void): Promise<TrialResult> {
  const problems: string[] = [];
  const stack: E2eStack = await createE2eStack(`bench-int-${trial}`);
  const imds: ImdsSimulator = await startImdsSimulator();
  const dynamo = testDynamo();
  const daemons: SpawnedDaemon[] = [];
  const noticeAfterLoadMs = Math.round(NOTICE_AFTER_MIN_MS + random() * (NOTICE_AFTER_MAX_MS - NOTICE_AFTER_MIN_MS));
  const stallAfterLoadMs = scenario === 'stall' ? Math.round(random() * noticeAfterLoadMs) : null;
  try {
    const keys = Array.from({ length: OBJECTS }, (_, i) => `trial-${trial}/doc-${String(i).padStart(2, '0')}.txt`);
    for (const key of keys) {
      await putObject(stack.s3, stack.bucket, key, `${key}\n${'spot interruption benchmark text. '.repeat(20)}\n`, 'text/plain');
    }

    // ---- phase 1: loaded daemon, notice at a random moment
    const daemon = spawnDaemon(
      stack.env({
        INGEST_IMDS: 'on', AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url, INGEST_SPOT_SAFETY_MARGIN_SECONDS: String(MARGIN_SECONDS),
        INGEST_SHUTDOWN_GRACE_SECONDS: '300', INGEST_CONCURRENCY: String(CONCURRENCY),
      }),
    );
    daemons.push(daemon);
    let exitAt: number | undefined;
    daemon.child.once('exit', () => (exitAt = Date.now()));
    await daemon.waitForLog((l) => l.msg === 'consuming' && l.imds === true, 'daemon to start with the watcher', 30_000);
    await waitFor(() => imds.count('/latest/meta-data/spot/instance-action') >= 2, { what: 'the watcher polling' });
    stack.recorder.delayResponses(SLOW_MS);
    const byMessageId = new Map<string, string>();
    for (const key of keys) byMessageId.set(await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, key)), key);
    await waitFor(() => stack.recorder.bulkRequests().length > 0, { what: 'the first bulk request', timeoutMs: 30_000, intervalMs: 10 });
    const loadAt = Date.now();
    if (stallAfterLoadMs !== null) {
      await sleep(Math.max(0, loadAt + stallAfterLoadMs - Date.now()));
      stack.recorder.delayResponses(STALL_MS);
    }
    await sleep(Math.max(0, loadAt + noticeAfterLoadMs - Date.now()));
    const noticeTime = imds.interrupt({ inSeconds: NOTICE_IN_SECONDS });
    const noticeSetAt = Date.now();
    const deadline = noticeTime.getTime() - MARGIN_SECONDS * 1000;

    const exit = await exitWithin(daemon, noticeTime.getTime() - Date.now() + 15_000);
    const exitedOnItsOwn = exit !== undefined;
    let finalExit = exit;
    if (!exitedOnItsOwn) {
      problems.push('the daemon did not exit within 15 s after the notice time: SIGKILLed');
      daemon.child.kill('SIGKILL');
      finalExit = await daemon.exited;
    }
    stack.recorder.delayResponses(0);
    const phase1Requests = stack.recorder.requests.length;
    const logs = daemon.logs();
    const drain = logs.find((l) => l.msg === 'draining: stopped receiving');
    const outcomeLines = logs.filter(isOutcome);
    const released = outcomeLines.filter((l) => l.outcome === 'released');
    const lastRelease = released.length > 0 ? Math.max(...released.map(timeOf)) : null;
    const outcomesByKey = new Map<string, string[]>();
    for (const l of outcomeLines) {
      const key = byMessageId.get(String(l.messageId)) ?? `?${String(l.messageId)}`;
      outcomesByKey.set(key, [...(outcomesByKey.get(key) ?? []), String(l.outcome)]);
    }
    const exitCode = finalExit?.code ?? null;
    const exitBeforeNoticeMs = exitAt === undefined ? null : noticeTime.getTime() - exitAt;
    if (drain === undefined) problems.push('no "draining: stopped receiving" line');
    else if (drain.reason !== 'spot interruption') problems.push(`drain reason ${String(drain.reason)}, not "spot interruption"`);
    const drainDeadlineMatches = drain?.deadline === new Date(deadline).toISOString();
    if (drain !== undefined && !drainDeadlineMatches) problems.push(`drain deadline ${String(drain.deadline)} ≠ notice − margin ${new Date(deadline).toISOString()}`);
    if (exitCode !== 0) problems.push(`exit code ${exitCode} (signal ${finalExit?.signal ?? 'none'}); stderr: ${daemon.stderr().slice(-500)}`);
    if (exitBeforeNoticeMs === null || exitBeforeNoticeMs <= 0) problems.push(`exited ${exitBeforeNoticeMs === null ? '?' : -exitBeforeNoticeMs} ms AFTER the notice time`);
    const drainedLine = logs.some((l) => l.msg === 'drained: every received message is done or back on the queue');
    if (exitCode === 0 && !drainedLine) problems.push('exit 0 without the "drained" line');
    if (lastRelease !== null && lastRelease > deadline + 2_000) problems.push(`last release ${lastRelease - deadline} ms after the deadline`);

    // ---- where is every message now?
    const queueAfter = await queueCounts(stack.sqs, stack.queueUrl);
    const dlqAfter = (await queueCounts(stack.sqs, stack.dlqUrl)).total;
    if (queueAfter.inFlight > 0) problems.push(`${queueAfter.inFlight} messages not visible after the exit (released messages must be visible at once)`);
    if (dlqAfter > 0) problems.push(`${dlqAfter} messages on the DLQ`);
    const onQueue = await drainVisible(stack.sqs, stack.queueUrl);
    const docs = stack.recorder.documents(stack.index);
    const states = new Map<string, string | null>();
    for (const key of keys) states.set(key, await stateOf(dynamo, stack.table, `${stack.bucket}/${key}`));
    const opsPhase1 = indexOps(stack.recorder.requests.slice(0, phase1Requests));
    const keyResults: KeyResult[] = keys.map((key) => {
      const state = states.get(key) ?? null;
      const indexed = docs.has(documentId(stack.bucket, key));
      const q = onQueue.get(key) ?? 0;
      const messageId = [...byMessageId].find(([, k]) => k === key)![0];
      return { key, messageId, outcomes: outcomesByKey.get(key) ?? [], state, indexed, onQueue: q, lost: !(state === 'INDEXED' && indexed) && q === 0 };
    });
    const lost = keyResults.filter((k) => k.lost);
    if (lost.length > 0) problems.push(`${lost.length} lost: ${lost.map((k) => `${k.key} (state ${k.state}, indexed ${k.indexed}, outcomes [${k.outcomes.join(',')}])`).join('; ')}`);
    const extraCopies = keyResults.filter((k) => k.onQueue > 1);
    if (extraCopies.length > 0) problems.push(`${extraCopies.length} keys with more than one message on the queue`);
    const strays = [...onQueue.keys()].filter((k) => !keys.includes(k));
    if (strays.length > 0) problems.push(`messages on the queue that this trial did not send: ${strays.join(', ')}`);
    const indexedAfterPhase1 = new Set(keyResults.filter((k) => k.state === 'INDEXED' && k.indexed).map((k) => k.key));

    // ---- phase 2: recovery by a daemon without a notice
    const recStart = Date.now();
    const rec = spawnDaemon(stack.env({ INGEST_IMDS: 'off', INGEST_CONCURRENCY: String(CONCURRENCY) }));
    daemons.push(rec);
    let recoveryOk = true;
    try {
      await rec.waitForLog((l) => l.msg === 'consuming', 'recovery daemon to start', 30_000);
      await waitFor(
        async () => {
          for (const key of keys) {
            if (!stack.recorder.documents(stack.index).has(documentId(stack.bucket, key))) return false;
            if ((await stateOf(dynamo, stack.table, `${stack.bucket}/${key}`)) !== 'INDEXED') return false;
          }
          return (await queueCounts(stack.sqs, stack.queueUrl)).total === 0;
        },
        { what: 'recovery: every object INDEXED and the queue empty', timeoutMs: RECOVERY_TIMEOUT_MS, intervalMs: 200 },
      );
    } catch (err) {
      recoveryOk = false;
      problems.push(`recovery: ${(err as Error).message}`);
    }
    const recExit = await rec.stop('SIGTERM', 30_000).catch(() => undefined);
    if (recExit?.code !== 0) {
      recoveryOk = false;
      problems.push(`recovery daemon exit ${recExit?.code ?? 'timeout'}`);
    }
    const recOutcomes = rec.logs().filter(isOutcome).map((l) => String(l.outcome));
    const finalQueue = await queueCounts(stack.sqs, stack.queueUrl);
    const finalDocs = stack.recorder.documents(stack.index);
    const allIndexed = keys.every((k) => finalDocs.has(documentId(stack.bucket, k)));

    // ---- duplicates
    const opsRecovery = indexOps(stack.recorder.requests.slice(phase1Requests));
    let duplicates = 0;
    let legitimateReindex = 0;
    const dupDetail: string[] = [];
    for (const key of keys) {
      const id = documentId(stack.bucket, key);
      const p1 = opsPhase1.get(id) ?? 0;
      const p2 = opsRecovery.get(id) ?? 0;
      let d = Math.max(0, p1 - 1) + Math.max(0, p2 - 1);
      if (indexedAfterPhase1.has(key) && p2 > 0) d += 1; // an INDEXED version indexed again
      if (d > 0) dupDetail.push(`${key}: ${p1} op(s) by the interrupted daemon, ${p2} by the recovery, state after the interruption ${states.get(key)}`);
      duplicates += d;
      if (!indexedAfterPhase1.has(key) && p1 >= 1 && p2 >= 1) legitimateReindex += 1;
    }
    if (duplicates > 0) problems.push(`${duplicates} duplicate index operations: ${dupDetail.join('; ')}`);
    if (stack.recorder.violations.length > 0) problems.push(`recorder violations: ${stack.recorder.violations.join('; ')}`);

    const counted = countBy(outcomeLines.map((l) => String(l.outcome)));
    const { done = 0, duplicate = 0, released: rel = 0, ...otherOutcomes } = counted;
    const evidence = problems.length > 0
      ? logs.filter((l) => l.msg === 'draining: stopped receiving' || isOutcome(l) || String(l.msg).startsWith('releasing') || String(l.msg).startsWith('drain') || l.level === 'error' || l.level === 50)
      : [];
    return {
      trial, scenario, ok: problems.length === 0, problems, noticeAfterLoadMs, stallAfterLoadMs,
      noticeSetAt: new Date(noticeSetAt).toISOString(), noticeTime: noticeTime.toISOString(), deadline: new Date(deadline).toISOString(),
      detectionMs: drain === undefined ? null : timeOf(drain) - noticeSetAt,
      drainReason: drain === undefined ? null : String(drain.reason), drainDeadlineMatches,
      inFlightAtNotice: typeof drain?.inFlight === 'number' ? drain.inFlight : null,
      done, duplicateOutcomes: duplicate, released: rel,
      releasedEarly: logs.filter((l) => l.msg === 'releasing early: not expected to finish before the drain deadline').length,
      otherOutcomes,
      releaseMs: lastRelease === null ? null : lastRelease - noticeSetAt,
      lastReleaseVsDeadlineMs: lastRelease === null ? null : lastRelease - deadline,
      exitCode, exitSignal: finalExit?.signal ?? null, exitedOnItsOwn, exitBeforeNoticeMs, drainedLine,
      queueAfter: { visible: queueAfter.visible, inFlight: queueAfter.inFlight, delayed: queueAfter.delayed }, dlqAfter,
      indexedAfter: indexedAfterPhase1.size,
      backOnQueue: keyResults.filter((k) => k.onQueue > 0).length,
      lost: lost.length,
      doneAndOnQueue: keyResults.filter((k) => indexedAfterPhase1.has(k.key) && k.onQueue > 0).length,
      indexOpsPhase1: [...opsPhase1.values()].reduce((a, b) => a + b, 0),
      indexOpsRecovery: [...opsRecovery.values()].reduce((a, b) => a + b, 0),
      duplicates, legitimateReindex,
      recovery: { ok: recoveryOk && allIndexed && finalQueue.total === 0, ms: Date.now() - recStart, outcomes: countBy(recOutcomes), allIndexed, queueEmpty: finalQueue.total === 0 },
      violations: [...stack.recorder.violations],
      keys: keyResults,
      evidence,
    };
  } finally {
    for (const d of daemons) {
      if (d.child.exitCode === null && d.child.signalCode === null) {
        log(`  killing a daemon still running (pid ${d.child.pid})`);
        d.child.kill('SIGKILL');
        await d.exited;
      }
    }
    dynamo.destroy();
    await imds.close();
    await stack.close();
  }
}

// ---------------------------------------------------------------- summary and report

function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length) - 1; // nearest rank
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}
function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
const stat = (values: number[]) => ({ n: values.length, median: median(values), p95: percentile(values, 95), max: values.length ? Math.max(...values) : null, min: values.length ? Math.min(...values) : null });
const ms = (x: number | null) => (x === null ? '–' : `${Math.round(x)} ms`);
const s1 = (x: number | null) => (x === null ? '–' : `${(x / 1000).toFixed(1)} s`);

function mdTable(header: string[], rows: string[][], textColumns = 2): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i < textColumns ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

function summarise(trials: TrialResult[]) {
  return {
    trials: trials.length,
    ok: trials.filter((t) => t.ok).length,
    detectionMs: stat(trials.flatMap((t) => (t.detectionMs === null ? [] : [t.detectionMs]))),
    releaseMs: stat(trials.flatMap((t) => (t.releaseMs === null ? [] : [t.releaseMs]))),
    lastReleaseVsDeadlineMs: stat(trials.flatMap((t) => (t.lastReleaseVsDeadlineMs === null ? [] : [t.lastReleaseVsDeadlineMs]))),
    exitBeforeNoticeMs: stat(trials.flatMap((t) => (t.exitBeforeNoticeMs === null ? [] : [t.exitBeforeNoticeMs]))),
    trialsWithReleases: trials.filter((t) => t.released > 0).length,
    released: trials.reduce((a, t) => a + t.released, 0),
    releasedEarly: trials.reduce((a, t) => a + t.releasedEarly, 0),
    done: trials.reduce((a, t) => a + t.done, 0),
    inFlightAtNotice: trials.reduce((a, t) => a + (t.inFlightAtNotice ?? 0), 0),
    lost: trials.reduce((a, t) => a + t.lost, 0),
    duplicates: trials.reduce((a, t) => a + t.duplicates, 0),
    legitimateReindex: trials.reduce((a, t) => a + t.legitimateReindex, 0),
    allExitZeroBeforeDeadline: trials.every((t) => t.exitCode === 0 && t.exitedOnItsOwn && (t.exitBeforeNoticeMs ?? -1) > 0),
    recoveriesOk: trials.filter((t) => t.recovery?.ok).length,
  };
}

function report(o: { startedAt: Date; machine: Record<string, unknown>; settings: Record<string, unknown>; trials: TrialResult[]; summary: ReturnType<typeof summarise>; totalMs: number; seed: number }): string {
  const m = o.machine;
  const s = o.summary;
  const rows = o.trials.map((t) => [
    String(t.trial), t.scenario, s1(t.noticeAfterLoadMs), t.stallAfterLoadMs === null ? '–' : s1(t.stallAfterLoadMs), String(t.inFlightAtNotice ?? '–'),
    ms(t.detectionMs), String(t.done + t.duplicateOutcomes), `${t.released}${t.releasedEarly ? ` (${t.releasedEarly} early)` : ''}`, ms(t.releaseMs),
    t.lastReleaseVsDeadlineMs === null ? '–' : ms(t.lastReleaseVsDeadlineMs), `${t.exitCode ?? t.exitSignal}${t.exitedOnItsOwn ? '' : ' (killed)'}`, s1(t.exitBeforeNoticeMs),
    String(t.indexedAfter), String(t.backOnQueue), String(t.lost), String(t.duplicates), String(t.legitimateReindex), t.recovery?.ok ? 'yes' : 'NO', t.ok ? 'yes' : 'NO',
  ]);
  const failing = o.trials.filter((t) => !t.ok);
  const fmtStat = (x: ReturnType<typeof stat>) => `median ${ms(x.median)}, p95 ${ms(x.p95)}, max ${ms(x.max)} (min ${ms(x.min)}, n = ${x.n})`;
  return `# Spot interruption benchmark

Generated by \`npm run bench:interruption\` (bench/interruption.ts) on ${o.startedAt.toISOString()}; ${o.trials.length} trials, seed ${o.seed}, total ${s1(o.totalMs)}.

- Machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}; 1-min load at the end ${m.loadavg1mAtEnd}
- Servers (as in the tests): fauxqs (SQS + S3) in the bench process, DynamoDB Local (JVM), the OpenSearch recorder and the IMDS simulator (IMDSv2), all on loopback; the daemon is the real \`bin/spot-ingest run\`, spawned, environment only
- Isolation: a fresh queue + DLQ, bucket, DynamoDB table (\`spot-ingest setup --create-table\`), index, recorder, IMDS simulator and data dir per trial

## Settings

- Load: ${OBJECTS} text objects uploaded, one native FILE_UPLOADED message each, sent after the daemon is consuming; INGEST_CONCURRENCY ${CONCURRENCY}
- Notice: \`spot/instance-action\` time = now + ${NOTICE_IN_SECONDS} s (IMDS whole seconds, floored), posted at a uniformly random moment ${NOTICE_AFTER_MIN_MS / 1000}–${NOTICE_AFTER_MAX_MS / 1000} s after the first bulk request reached the recorder
- Daemon: INGEST_IMDS=on, INGEST_SPOT_SAFETY_MARGIN_SECONDS=${MARGIN_SECONDS} (so the drain deadline is ~${NOTICE_IN_SECONDS - MARGIN_SECONDS} s after the notice), INGEST_SHUTDOWN_GRACE_SECONDS=300 (only the notice can end the drain in time), LOG_LEVEL=debug, INGEST_RETRY_BASE_SECONDS=1
- Scenarios (alternating by trial):
  - **steady**: ${SCENARIOS.steady}
  - **stall**: ${SCENARIOS.stall}
- Recovery (after the measurement): the recorder's delay is set to 0 and a second daemon without IMDS processes what is left on the queue; every object must end indexed and INDEXED with the queue empty (timeout ${RECOVERY_TIMEOUT_MS / 1000} s)

## Definitions

- **Detection delay**: bench clock when the notice was posted to the simulator → \`time\` of the daemon's \`draining: stopped receiving\` line (reason must be \`spot interruption\`, deadline must equal notice time − margin). The watcher polls every second, so 0–1 s plus a request is expected.
- **Time to release**: notice posted → \`time\` of the last outcome line with \`outcome: released\` (trials with no release: –). "vs deadline" = that line − (notice time − margin).
- **Exit**: code of the daemon exiting on its own (no signal is sent) and notice time − exit (bench clock at the child's \`exit\` event); must be 0 and > 0 s.
- **Lost**: after the exit, for each of the ${OBJECTS} sent messages: *accounted* if its object is in the index **and** its DynamoDB state is INDEXED, or if its message is visible on the queue (every visible message is received once with a 60 s visibility, matched by body key, then made visible again); anything else is lost. Messages still invisible after the exit, or on the DLQ, are reported as problems too.
- **Duplicates**: from the recorder's \`_bulk\` request bodies, index operations per document id, split into those received while the interrupted daemon ran and those during the recovery. Duplicates = Σ over documents of (ops by the interrupted daemon − 1)⁺ + (ops by the recovery − 1)⁺ + 1 for each document that was already indexed and INDEXED after the interruption but was indexed again by the recovery (a redelivered, already-done version must be a \`duplicate\` outcome, not a re-index). Not counted (legitimate re-index): a document whose index request reached the recorder (the recorder stores a document when it receives the request, even if its answer is delayed) but whose job was released before the answer, so its state stayed non-INDEXED and its message went back on the queue; the recovery indexes it once more ("legit. re-index" column).

## Summary

- Trials: ${s.trials}, passing: ${s.ok}
- Detection delay: ${fmtStat(s.detectionMs)}
- Time to release (trials with a release: ${s.trialsWithReleases}): ${fmtStat(s.releaseMs)}; last release vs the deadline: ${fmtStat(s.lastReleaseVsDeadlineMs)}
- Exit before the notice time: ${fmtStat(s.exitBeforeNoticeMs)}
- Messages in flight at the notice (sum): ${s.inFlightAtNotice}; released ${s.released} (${s.releasedEarly} early by the prediction), done/duplicate before exit ${s.done}
- **Total lost: ${s.lost}**
- **Total duplicates: ${s.duplicates}** (legitimate re-index after release: ${s.legitimateReindex})
- **All exits 0 before the deadline (notice time): ${s.allExitZeroBeforeDeadline ? 'yes' : 'NO'}**
- Recoveries complete (every object INDEXED, queue empty): ${s.recoveriesOk}/${s.trials}

## Trials

Times relative to the notice unless noted; "load → notice" is from the first bulk request.

${mdTable(['#', 'scenario', 'load → notice', 'load → stall', 'in flight at notice', 'detection', 'done', 'released', 'time to release', 'last release vs deadline', 'exit', 'exit before notice time', 'indexed', 'back on queue', 'lost', 'dups', 'legit. re-index', 'recovery', 'ok'], rows)}
${failing.length > 0 ? `\n## Problems\n\n${failing.map((t) => `- trial ${t.trial} (${t.scenario}): ${t.problems.join('; ')}\n${t.evidence.length > 0 ? `\n  Evidence (daemon log lines):\n\n  \`\`\`\n${t.evidence.slice(0, 40).map((l) => `  ${JSON.stringify(l)}`).join('\n')}\n  \`\`\`\n` : ''}`).join('\n')}\n` : '\nNo problems in any trial.\n'}
Raw numbers (per trial and per message): bench/results/interruption.json.
`;
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const { trials: n, seed } = parseArgs(process.argv.slice(2));
  const log = (s: string) => process.stdout.write(`${s}\n`);
  const startedAt = new Date();
  const wall0 = performance.now();
  const random = seededRandom(seed);
  log(`starting fauxqs and DynamoDB Local`);
  await globalSetup();
  const trials: TrialResult[] = [];
  try {
    for (let i = 1; i <= n; i++) {
      const scenario: Scenario = i % 2 === 1 ? 'steady' : 'stall';
      const t0 = performance.now();
      const t = await runTrial(i, scenario, random, log);
      trials.push(t);
      log(
        `trial ${i}/${n} ${scenario}: notice +${s1(t.noticeAfterLoadMs)}, in flight ${t.inFlightAtNotice}, detection ${ms(t.detectionMs)}, ` +
          `done ${t.done}, released ${t.released} (last ${ms(t.releaseMs)} after notice), exit ${t.exitCode} ${s1(t.exitBeforeNoticeMs)} before notice time, ` +
          `lost ${t.lost}, dups ${t.duplicates}, recovery ${t.recovery?.ok ? 'ok' : 'FAILED'} [${s1(performance.now() - t0)}]${t.ok ? '' : `\n  PROBLEMS: ${t.problems.join('; ')}`}`,
      );
    }
  } finally {
    await globalTeardown();
  }
  const summary = summarise(trials);
  const machine = {
    cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    node: process.version, platform: `${platform()} ${release()}`, loadavg1mAtEnd: Number(loadavg()[0]!.toFixed(2)),
  };
  const settings = {
    objects: OBJECTS, concurrency: CONCURRENCY, noticeInSeconds: NOTICE_IN_SECONDS, safetyMarginSeconds: MARGIN_SECONDS,
    noticeAfterLoadMs: [NOTICE_AFTER_MIN_MS, NOTICE_AFTER_MAX_MS], slowMs: SLOW_MS, stallMs: STALL_MS, shutdownGraceSeconds: 300,
    scenarios: SCENARIOS, seed,
  };
  const totalMs = performance.now() - wall0;
  log('');
  log(`detection: median ${ms(summary.detectionMs.median)}, p95 ${ms(summary.detectionMs.p95)}, max ${ms(summary.detectionMs.max)}`);
  log(`release:   median ${ms(summary.releaseMs.median)}, p95 ${ms(summary.releaseMs.p95)}, max ${ms(summary.releaseMs.max)} (${summary.trialsWithReleases} trials released)`);
  log(`lost ${summary.lost}, duplicates ${summary.duplicates}, all exits 0 before the notice time: ${summary.allExitZeroBeforeDeadline ? 'yes' : 'NO'}, trials ok ${summary.ok}/${summary.trials}`);
  log(`total ${s1(totalMs)}`);
  await mkdir(RESULTS, { recursive: true });
  await writeFile(new URL('interruption.md', RESULTS), report({ startedAt, machine, settings, trials, summary, totalMs, seed }));
  await writeFile(new URL('interruption.json', RESULTS), `${JSON.stringify({ date: startedAt.toISOString(), machine, settings, summary, trials, totalMs }, null, 2)}\n`);
  log('wrote bench/results/interruption.md and bench/results/interruption.json');
  if (trials.some((t) => !t.ok)) process.exitCode = 1;
}

runMain(main);
