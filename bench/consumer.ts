/**
 * npm run bench:consumer — our slot-aware Consumer against the npm `sqs-consumer` library, same
 * machine, same run, against the fauxqs SQS emulator in this process on loopback.
 *
 *   (a) drain: 10,000 no-op messages already on a fresh queue; messages/s until all are deleted.
 *   (b) slots: 1,000 messages whose work takes a seeded random 0–200 ms, 8 slots; total time and
 *       average messages in flight (exact time integral, cross-checked by a 10 ms sampler);
 *       slot utilisation = average in flight / 8. Target for ours: >= 97 %.
 *
 * Writes bench/results/consumer.md (report) and bench/results/consumer.json (raw numbers).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem, release, platform, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { queueCounts } from '../test/support/aws.ts';
import { createQueue, sendAll, sqsClient, startEmulator } from './lib/sqs.ts';
import { ours, sqsConsumer, type Side } from './lib/sides.ts';
import { InFlightGauge, seededRandom, startSampler } from './lib/stats.ts';
import { runMain } from './lib/run-main.ts';

const DRAIN_MESSAGES = 10_000;
const DRAIN_CAPACITY = 32;
const SLOT_MESSAGES = 1_000;
const SLOTS = 8;
const MAX_WORK_MS = 200;
const SEED = 20_240_917;
const WAIT_TIME_SECONDS = 1;
const VISIBILITY_TIMEOUT_SECONDS = 120;
const WARMUP_MESSAGES = 1_000;
const DRAIN_ROUNDS = 3;
const SCENARIO_TIMEOUT_MS = 90_000;
const TARGET_UTILISATION = 0.97;
const RESULTS = new URL('./results/', import.meta.url);

interface Work {
  bodies: string[];
  run: (body: string) => Promise<void>;
  /** Sum of the planned work (ms): with N slots the run cannot take less than this / N. */
  plannedMs: number;
}

const noopWork = (n: number, tag: string): Work => ({
  bodies: Array.from({ length: n }, (_, i) => JSON.stringify({ tag, i })),
  run: async () => {},
  plannedMs: 0,
});

/** The same seeded delays for every side: message i always sleeps the same ms. */
function randomWork(n: number): Work {
  const random = seededRandom(SEED);
  const delays = Array.from({ length: n }, () => Math.floor(random() * (MAX_WORK_MS + 1)));
  return {
    bodies: delays.map((ms, i) => JSON.stringify({ i, ms })),
    run: async (body) => {
      const { ms } = JSON.parse(body) as { ms: number };
      await sleep(ms);
    },
    plannedMs: delays.reduce((a, b) => a + b, 0),
  };
}

interface RunResult {
  side: string;
  label: string;
  settings: string;
  slots: number;
  messages: number;
  ok: boolean;
  problems: string[];
  /** consumer start → last delete confirmed */
  durationMs: number;
  messagesPerSecond: number;
  deliveries: number;
  deleted: number;
  errors: number;
  /** time-weighted mean of messages whose work is running */
  avgWorkInFlight: number;
  /** the same from the 10 ms sampler */
  avgWorkInFlightSampled: number;
  samples: number;
  /** time-weighted mean of messages started but not yet deleted (slot held through the delete) */
  avgHeld: number;
  /** mean of the consumer's own in-flight count, 10 ms sampler */
  avgConsumerInFlightSampled: number;
  peakWorkInFlight: number;
  utilisation: number;
  utilisationSampled: number;
  /** sum of work actually done / slots: the lower bound on durationMs */
  idealMs: number;
  workMs: number;
  stopMs: number;
  queueLeft: { visible: number; inFlight: number; delayed: number };
}

interface DrainResult {
  side: string;
  label: string;
  settings: string;
  slots: number;
  messages: number;
  ok: boolean;
  /** median over the rounds */
  durationMs: number;
  messagesPerSecond: number;
  minMessagesPerSecond: number;
  maxMessagesPerSecond: number;
  runs: RunResult[];
}

function summariseDrain(runs: RunResult[]): DrainResult {
  const first = runs[0]!;
  const rates = runs.map((r) => r.messagesPerSecond).sort((a, b) => a - b);
  const durations = runs.map((r) => r.durationMs).sort((a, b) => a - b);
  return {
    side: first.side,
    label: first.label,
    settings: first.settings,
    slots: first.slots,
    messages: first.messages,
    ok: runs.every((r) => r.ok),
    durationMs: median(durations),
    messagesPerSecond: median(rates),
    minMessagesPerSecond: rates[0]!,
    maxMessagesPerSecond: rates.at(-1)!,
    runs,
  };
}

function median(sorted: number[]): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function runSide(side: Side, work: Work, endpoint: string, admin: SQSClient, name: string): Promise<RunResult> {
  const queueUrl = await createQueue(admin, name);
  await sendAll(admin, queueUrl, work.bodies);
  const before = await queueCounts(admin, queueUrl);
  const problems: string[] = [];
  if (before.visible !== work.bodies.length) problems.push(`queue held ${before.visible} visible messages before the start, not ${work.bodies.length}`);

  const n = work.bodies.length;
  const sqs = sqsClient(endpoint);
  const working = new InFlightGauge();
  const held = new InFlightGauge();
  let deliveries = 0;
  let deleted = 0;
  let workMs = 0;
  let allDeleted!: () => void;
  const done = new Promise<void>((resolve) => (allDeleted = resolve));

  let running: ReturnType<Side['start']> | undefined;
  const sampleWork = startSampler(() => working.count);
  const sampleConsumer = startSampler(() => running?.inFlight() ?? 0);
  const t0 = performance.now();
  working.reset(t0);
  held.reset(t0);
  running = side.start({
    sqs,
    queueUrl,
    waitTimeSeconds: WAIT_TIME_SECONDS,
    visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
    work: async (body) => {
      deliveries += 1;
      held.inc();
      working.inc();
      const started = performance.now();
      try {
        await work.run(body);
      } finally {
        workMs += performance.now() - started;
        working.dec();
      }
    },
    onDeleted: () => {
      deleted += 1;
      held.dec();
      if (deleted >= n) allDeleted();
    },
  });

  let timer: NodeJS.Timeout | undefined;
  const finished = await Promise.race([
    done.then(() => true),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), SCENARIO_TIMEOUT_MS))),
  ]).finally(() => clearTimeout(timer));
  const t1 = performance.now();
  const durationMs = t1 - t0;
  const avgWorkInFlight = working.average(durationMs, t1);
  const avgHeld = held.average(durationMs, t1);
  const ws = sampleWork.stop();
  const cs = sampleConsumer.stop();
  if (!finished) problems.push(`timed out after ${SCENARIO_TIMEOUT_MS} ms with ${deleted}/${n} deleted`);

  const s0 = performance.now();
  await running.stop();
  const stopMs = performance.now() - s0;
  sqs.destroy();

  const queueLeft = await queueCounts(admin, queueUrl);
  if (queueLeft.total > 0) problems.push(`queue not empty after the run: ${JSON.stringify(queueLeft)}`);
  if (deliveries !== n) problems.push(`${deliveries} deliveries for ${n} messages`);
  const errors = running.errors();
  if (errors > 0) problems.push(`${errors} errors reported by the consumer`);

  return {
    side: side.key,
    label: side.label,
    settings: side.settings,
    slots: side.slots,
    messages: n,
    ok: problems.length === 0,
    problems,
    durationMs,
    messagesPerSecond: (deleted / durationMs) * 1000,
    deliveries,
    deleted,
    errors,
    avgWorkInFlight,
    avgWorkInFlightSampled: ws.mean,
    samples: ws.samples,
    avgHeld,
    avgConsumerInFlightSampled: cs.mean,
    peakWorkInFlight: working.peak,
    utilisation: avgWorkInFlight / side.slots,
    utilisationSampled: ws.mean / side.slots,
    idealMs: workMs / side.slots,
    workMs,
    stopMs,
    queueLeft,
  };
}

/** The installed version (the package's exports hide its package.json from import). */
async function packageVersion(name: string): Promise<string> {
  try {
    const text = await readFile(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8');
    return (JSON.parse(text) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

// ---------------------------------------------------------------- formatting

const f0 = (x: number) => x.toFixed(0);
const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The first `textColumns` columns are left-aligned, the rest (numbers) right-aligned. */
function mdTable(header: string[], rows: string[][], textColumns = 2): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i < textColumns ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

const drainHeader = ['side', 'slots', 'time (median)', 'msg/s (median)', 'msg/s min–max', 'ok'];
const drainRow = (r: DrainResult) => [
  r.label, String(r.slots), secs(r.durationMs), f0(r.messagesPerSecond), `${f0(r.minMessagesPerSecond)}–${f0(r.maxMessagesPerSecond)}`, r.ok ? 'yes' : 'NO',
];
const slotHeader = ['side', 'slots', 'time', 'ideal', 'msg/s', 'avg busy', 'busy (10ms)', 'utilisation', 'avg held', 'ok'];
const slotRow = (r: RunResult) => [
  r.label, String(r.slots), secs(r.durationMs), secs(r.idealMs), f1(r.messagesPerSecond), f2(r.avgWorkInFlight),
  f2(r.avgWorkInFlightSampled), pct(r.utilisation), f2(r.avgHeld), r.ok ? 'yes' : 'NO',
];

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const startedAt = new Date();
  const wall0 = performance.now();
  const emulator = await startEmulator();
  const admin = sqsClient(emulator.endpoint);
  const log = (s: string) => process.stdout.write(`${s}\n`);
  try {
    const mine = ours(DRAIN_CAPACITY);
    const theirs = sqsConsumer({ batchSize: 10 });
    const drainSides: Side[] = [
      mine,
      theirs,
      sqsConsumer({ batchSize: 8, instances: DRAIN_CAPACITY / 8 }),
      sqsConsumer({ batchSize: 8, instances: DRAIN_CAPACITY / 8, batchHandler: true }),
    ];
    const slotSides: Side[] = [
      ours(SLOTS),
      sqsConsumer({ batchSize: SLOTS }),
      sqsConsumer({ batchSize: 1, instances: SLOTS }),
      ours(SLOTS, { lingerMs: 0 }),
    ];

    log(`fauxqs at ${emulator.endpoint}; warming up (${WARMUP_MESSAGES} no-op messages per side, not reported)`);
    for (const side of [mine, theirs]) await runSide(side, noopWork(WARMUP_MESSAGES, 'warmup'), emulator.endpoint, admin, `warmup-${side.key}`);

    // Drains are short (seconds): several rounds, the side order rotating, and the median reported.
    const drainRuns = new Map<Side, RunResult[]>(drainSides.map((side) => [side, []]));
    for (let round = 0; round < DRAIN_ROUNDS; round++) {
      const order = drainSides.map((_, i) => drainSides[(i + round) % drainSides.length]!);
      for (const side of order) {
        const r = await runSide(side, noopWork(DRAIN_MESSAGES, 'drain'), emulator.endpoint, admin, `drain-${round}-${side.key}`);
        log(`(a) round ${round + 1}/${DRAIN_ROUNDS} drain ${DRAIN_MESSAGES}: ${side.label} [${side.settings}]: ${secs(r.durationMs)}, ${f0(r.messagesPerSecond)} msg/s${r.ok ? '' : `  PROBLEMS: ${r.problems.join('; ')}`}`);
        drainRuns.get(side)!.push(r);
      }
    }
    const drain: DrainResult[] = drainSides.map((side) => summariseDrain(drainRuns.get(side)!));

    const work = randomWork(SLOT_MESSAGES);
    const slots: RunResult[] = [];
    for (const side of slotSides) {
      log(`(b) ${SLOT_MESSAGES} messages × random 0–${MAX_WORK_MS} ms, ${side.slots} slots: ${side.label} [${side.settings}]`);
      const r = await runSide(side, work, emulator.endpoint, admin, `slots-${side.key}`);
      log(`    ${secs(r.durationMs)}, avg busy ${f2(r.avgWorkInFlight)} of ${r.slots} (${pct(r.utilisation)})${r.ok ? '' : `  PROBLEMS: ${r.problems.join('; ')}`}`);
      slots.push(r);
    }

    const oursSlots = slots[0]!;
    const targetMet = oursSlots.ok && oursSlots.utilisation >= TARGET_UTILISATION;
    const machine = {
      cores: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
      node: process.version,
      platform: `${platform()} ${release()}`,
      loadavg1mAtEnd: Number(loadavg()[0]!.toFixed(2)),
    };
    const settings = {
      emulator: 'fauxqs (in this process, same event loop as the consumers), loopback HTTP',
      waitTimeSeconds: WAIT_TIME_SECONDS,
      visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
      drain: { messages: DRAIN_MESSAGES, oursCapacity: DRAIN_CAPACITY },
      slots: { messages: SLOT_MESSAGES, slots: SLOTS, workMs: `uniform integer 0–${MAX_WORK_MS}`, seed: SEED, plannedWorkMs: work.plannedMs },
      warmupMessagesPerSide: WARMUP_MESSAGES,
      target: TARGET_UTILISATION,
      sqsConsumerVersion: await packageVersion('sqs-consumer'),
    };
    const totalMs = performance.now() - wall0;

    log('');
    log(`(a) drain: ${DRAIN_MESSAGES} no-op messages, fresh queue per side`);
    log(textTable(drainHeader, drain.map(drainRow)));
    log('');
    log(`(b) ${SLOT_MESSAGES} messages, work random 0–${MAX_WORK_MS} ms (seed ${SEED}), ${SLOTS} slots`);
    log(textTable(slotHeader, slots.map(slotRow)));
    log('');
    log(`target: ours keeps >= ${pct(TARGET_UTILISATION)} of ${SLOTS} slots busy -> ${targetMet ? 'MET' : 'NOT MET'} (${pct(oursSlots.utilisation)})`);
    log(`total bench time ${secs(totalMs)}`);

    const md = report({ startedAt, machine, settings, drain, slots, targetMet, totalMs });
    await mkdir(RESULTS, { recursive: true });
    await writeFile(new URL('consumer.md', RESULTS), md);
    await writeFile(
      new URL('consumer.json', RESULTS),
      `${JSON.stringify({ date: startedAt.toISOString(), machine, settings, drain, slots, target: { utilisation: TARGET_UTILISATION, met: targetMet }, totalMs }, null, 2)}\n`,
    );
    log('wrote bench/results/consumer.md and bench/results/consumer.json');
    if (![...drain, ...slots].every((r) => r.ok)) process.exitCode = 1;
  } finally {
    admin.destroy();
    await emulator.stop();
  }
}

function report(o: {
  startedAt: Date;
  machine: Record<string, unknown>;
  settings: { sqsConsumerVersion: string; slots: { plannedWorkMs: number } };
  drain: DrainResult[];
  slots: RunResult[];
  targetMet: boolean;
  totalMs: number;
}): string {
  const m = o.machine;
  const ours = o.slots[0]!;
  const theirs = o.slots[1]!;
  const lingerZero = o.slots.find((r) => r.side.endsWith('-linger0'));
  const problems = [...o.drain.flatMap((d) => d.runs), ...o.slots].filter((r) => !r.ok);
  return `# Consumer benchmark: spot-ingest Consumer vs sqs-consumer

Generated by \`npm run bench:consumer\` (bench/consumer.ts) on ${o.startedAt.toISOString()}.

- Machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}; 1-min load at the end ${m.loadavg1mAtEnd}
- Emulator: fauxqs, started in this process (it shares the event loop and the CPU with the consumers), loopback HTTP
- Both sides: WaitTimeSeconds ${WAIT_TIME_SECONDS}, VisibilityTimeout ${VISIBILITY_TIMEOUT_SECONDS} s, a fresh queue each, filled with SendMessageBatch before the clock starts, a fresh SQSClient each
- sqs-consumer ${o.settings.sqsConsumerVersion}: it has no concurrency option; one instance runs a received batch with \`Promise.all\` and polls again only when the whole batch is done. The rows with several instances run that many consumers on the same queue (the usual way to scale it).
- Warm-up: ${WARMUP_MESSAGES} no-op messages through each library before measuring (not reported)
- Time = consumer start until the last delete is confirmed by SQS (stopping afterwards is not counted)

## (a) Drain rate — ${DRAIN_MESSAGES.toLocaleString('en')} no-op messages

${DRAIN_ROUNDS} rounds per side (side order rotated each round, a fresh queue every time); median time and rate, and the range of the rates.

${mdTable(['side', 'settings', 'slots', 'time (median)', 'messages/s (median)', 'messages/s min–max', 'ok'], o.drain.map((r) => [r.label, r.settings, String(r.slots), secs(r.durationMs), f0(r.messagesPerSecond), `${f0(r.minMessagesPerSecond)}–${f0(r.maxMessagesPerSecond)}`, r.ok ? 'yes' : 'NO']))}

## (b) Slot utilisation — ${SLOT_MESSAGES.toLocaleString('en')} messages, work random 0–${MAX_WORK_MS} ms, ${SLOTS} slots

Same seeded delays for every side (seed ${SEED}, ${secs(o.settings.slots.plannedWorkMs)} of work in all, so at least ${secs(o.settings.slots.plannedWorkMs / SLOTS)} with ${SLOTS} slots).
"Busy" = messages whose work is running, time-weighted over the run (exact integral; the 10 ms sampler is shown as a cross-check).
"Held" = messages started and not yet deleted (a slot that is held through the delete call).
Utilisation = average busy / slots.

${mdTable(['side', 'settings', 'time', 'ideal (measured work / slots)', 'avg busy', 'busy, 10 ms samples', 'utilisation', 'avg held', 'peak busy', 'ok'], o.slots.map((r) => [r.label, r.settings, secs(r.durationMs), secs(r.idealMs), f2(r.avgWorkInFlight), f2(r.avgWorkInFlightSampled), pct(r.utilisation), f2(r.avgHeld), String(r.peakWorkInFlight), r.ok ? 'yes' : 'NO']))}

## Target

Ours keeps ≥ ${pct(TARGET_UTILISATION)} of ${SLOTS} slots busy: **${o.targetMet ? 'met' : 'not met'}** — ${f2(ours.avgWorkInFlight)} of ${SLOTS} busy (${pct(ours.utilisation)}), against ${f2(theirs.avgWorkInFlight)} (${pct(theirs.utilisation)}) for sqs-consumer with batchSize ${SLOTS}; ${secs(ours.durationMs)} against ${secs(theirs.durationMs)}.

Where ours loses slot time (capacity ${SLOTS}, daemon settings): ${f2(ours.avgHeld - ours.avgWorkInFlight)} slots on average are taken by messages whose work is finished but whose delete is not yet confirmed (the slot is freed only after the batched DeleteMessageBatch, which lingers up to 20 ms for company), and ${f2(SLOTS - ours.avgHeld)} are empty (waiting for ReceiveMessage, plus the start and the tail of the run).${
    lingerZero === undefined ? '' : ` With the Acknowledger's lingerMs at 0 (a diagnostic row, not the daemon's setting) ours keeps ${f2(lingerZero.avgWorkInFlight)} busy (${pct(lingerZero.utilisation)}) in ${secs(lingerZero.durationMs)}.`
  }
${problems.length > 0 ? `\n## Problems\n\n${problems.map((r) => `- ${r.label} (${r.side}): ${r.problems.join('; ')}`).join('\n')}\n` : ''}
Total bench time: ${secs(o.totalMs)}. Raw numbers: bench/results/consumer.json.
`;
}

runMain(main);
