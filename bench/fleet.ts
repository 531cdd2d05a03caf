/**
 * npm run bench:fleet — 1, 2 and 4 `spot-ingest run` daemons on ONE queue: does a fleet scale?
 *
 * The same real local servers the tests use: fauxqs (SQS + S3, in this process), DynamoDB Local (a
 * JVM) and the OpenSearch recorder (in this process). The daemons are the real `bin/spot-ingest run`,
 * spawned with environment variables only (test/support/daemon.ts), each with its own data dir and
 * instance id, like separate instances: they share the queue, the bucket, the state table and the
 * index, nothing else. Each fleet size gets a fresh queue (+ DLQ), bucket, table, index and
 * recorder (test/support/e2e-stack.ts), so no run sees another's messages.
 *
 * Part io — I/O-bound load: 500 × N small text objects (~1 KB), one native FILE_UPLOADED message
 * each. Latency is added where a real deployment waits on the network: every OpenSearch answer is
 * held 400 ms (the recorder's delayResponses), every S3 request 50 ms (bench/lib/latency-proxy.ts in
 * front of fauxqs, the daemons' AWS_ENDPOINT_URL_S3 only: fauxqs has no latency hook).
 * INGEST_CONCURRENCY 8 per daemon, so one daemon is bound by its slots waiting on I/O (≤ 8 / 0.45 s
 * ≈ 18 files/s, ~35 s per run), not by CPU. All daemons are consuming before the messages are
 * sent (SendMessageBatch, far faster than they are consumed); the clock runs from the first send to
 * the `time` of the last `done` outcome line. Target: files/s(N) ≥ 0.9 × N × files/s(1) for every
 * N > 1, with 0 duplicates (index operations per document id in the recorder's _bulk bodies, as
 * bench/interruption.ts counts them) and 0 lost (every object INDEXED in the state table and in the
 * index, queue and DLQ empty).
 *
 * Part ocr — CPU-bound load: scanned A4 pages (300 dpi PNG, bench/lib/documents.ts as bench/ocr.ts
 * makes them) through the daemons' OCR, INGEST_POOL_SIZE 1 (one OCR thread per daemon) and
 * INGEST_CONCURRENCY 2, INGEST_REUSE=off (the pages cycle over a few images, which reuse would
 * otherwise OCR once). Each daemon is warmed first (a small probe image per slot: its thread,
 * tesseract and the languages load), then the pages are sent and timed the same way. Reports pages/s,
 * pages/s per core in use and pages per CPU-second of the daemons (/proc/<pid>/stat): the figure to
 * size a fleet with. No target: this machine has 2 cores, so beyond 2 OCR threads nothing can grow.
 *
 * Writes bench/results/fleet.md (report) and bench/results/fleet.json (raw numbers). Exits 1 if the
 * I/O-bound target fails, anything is lost or indexed twice (either part), a message ends other
 * than `done`, or a daemon does not exit 0 on SIGTERM.
 *
 *   node bench/fleet.ts [--quick] [--part io,ocr] [--daemons 1,2,4] [--files-per-daemon N] [--pages-per-core N]
 *
 * --quick: 1 and 2 daemons, 120 files per daemon, 3 pages per core (a smoke test, about 1 min here).
 * The full run (1, 2, 4 daemons, 500 files per daemon, 12 pages per core) takes about 5 min on 2 cores.
 */
import { cpus } from 'node:os';
import { fauxqsEndpoint, putObject, testDynamo } from '../test/support/aws.ts';
import type { SpawnedDaemon } from '../test/support/daemon.ts';
import { createE2eStack } from '../test/support/e2e-stack.ts';
import { globalSetup, globalTeardown } from '../test/support/global-setup.ts';
import { INSTANCE_TYPES } from './lib/capacity.ts';
import {
  check, forEachLimit, killLeftovers, measureBatch, settledLines, spread, startFleet, stopFleet, type Check, type DaemonShare, type Spread,
} from './lib/daemon-fleet.ts';
import { greyPng, pageLines, renderScan } from './lib/documents.ts';
import { startLatencyProxy, type LatencyProxy } from './lib/latency-proxy.ts';
import {
  codeRevision, cpuText, f0, f1, f2, f3, log, machine, machineLine, mdTable, pct, secs, type CpuShare, type Machine, writeResults,
} from './lib/report.ts';
import { runMain } from './lib/run-main.ts';

// ---------------------------------------------------------------- settings

const TARGET_EFFICIENCY = 0.9;
const CORES = cpus().length;
const SEED = 20_261_205;
const LINES_PER_PAGE = 28; // as bench/ocr.ts and bench/rates.ts
const PART_NAMES = ['io', 'ocr'] as const;
type Part = (typeof PART_NAMES)[number];

interface Settings {
  quick: boolean;
  parts: Part[];
  io: {
    fleet: number[];
    filesPerDaemon: number;
    concurrency: number;
    indexDelayMs: number;
    s3DelayMs: number;
    bodyBytes: number;
  };
  ocr: {
    fleet: number[];
    /** pages per run = pagesPerCore × the cores the run's OCR threads can use (min(N × pool, cores)) */
    pagesPerCore: number;
    poolSize: number;
    concurrency: number;
    /** different page images (the objects cycle through them; every object is OCRed in full) */
    distinctPages: number;
  };
}

function parseArgs(argv: string[]): Settings {
  const quick = argv.includes('--quick');
  let parts: Part[] = [...PART_NAMES];
  let fleet = quick ? [1, 2] : [1, 2, 4];
  let filesPerDaemon = quick ? 120 : 500;
  let pagesPerCore = quick ? 3 : 12;
  const positive = (arg: string, v: string | undefined) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${arg} needs a positive integer`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') continue;
    if (arg === '--part') {
      parts = String(argv[++i]).split(',') as Part[];
      if (parts.length === 0 || parts.some((p) => !PART_NAMES.includes(p))) throw new Error(`--part takes ${PART_NAMES.join(',')}`);
    } else if (arg === '--daemons') {
      fleet = String(argv[++i]).split(',').map((v) => positive(arg, v));
      if (!fleet.includes(1)) throw new Error('--daemons must include 1 (the baseline of the scaling efficiency)');
      fleet = [...new Set(fleet)].sort((a, b) => a - b);
    } else if (arg === '--files-per-daemon') filesPerDaemon = positive(arg, argv[++i]);
    else if (arg === '--pages-per-core') pagesPerCore = positive(arg, argv[++i]);
    else throw new Error(`unknown argument ${arg} (use --quick, --part io,ocr, --daemons 1,2,4, --files-per-daemon N, --pages-per-core N)`);
  }
  return {
    quick,
    parts,
    io: { fleet, filesPerDaemon, concurrency: 8, indexDelayMs: 400, s3DelayMs: 50, bodyBytes: 1_000 },
    ocr: { fleet, pagesPerCore, poolSize: 1, concurrency: 2, distinctPages: quick ? 2 : 4 },
  };
}

// ---------------------------------------------------------------- part io

interface IoRun {
  daemons: number;
  files: number;
  startupMs: number;
  uploadMs: number;
  sendMs: number;
  wallMs: number;
  filesPerSecond: number;
  /** completions 10 %–90 % */
  steadyFilesPerSecond: number | null;
  /** files/s(N) / (N × files/s(1)); 1 for N = 1 */
  efficiency: number | null;
  /** N × concurrency / (index delay + S3 delay): what the slots allow if nothing but the added latency counted */
  slotCeiling: number;
  jobMs: Spread;
  /** per pipeline step, and 'rest' (the outcome line's ms minus the steps) */
  steps: Record<string, Spread>;
  perDaemon: DaemonShare[];
  daemonCpuSeconds: number | null;
  machineCpu: CpuShare | null;
  s3Requests: number;
  bulkRequests: number;
  check: Check;
  timedOut: string | null;
  ok: boolean;
}

function textBody(key: string, bytes: number): string {
  const line = 'spot-ingest fleet benchmark: a small text file whose download and index wait on the network. ';
  return `${key}\n${line.repeat(Math.ceil(bytes / line.length))}`.slice(0, bytes);
}

async function runIo(n: number, cfg: Settings['io'], s3: LatencyProxy): Promise<Omit<IoRun, 'efficiency'>> {
  const stack = await createE2eStack(`bench-fleet-io${n}`);
  const dynamo = testDynamo();
  const daemons: SpawnedDaemon[] = [];
  try {
    const files = n * cfg.filesPerDaemon;
    const keys = Array.from({ length: files }, (_, i) => `io/doc-${String(i).padStart(5, '0')}.txt`);
    const u0 = performance.now();
    await forEachLimit(keys, 16, (key) => putObject(stack.s3, stack.bucket, key, textBody(key, cfg.bodyBytes), 'text/plain'));
    const uploadMs = performance.now() - u0;
    const startupMs = await startFleet({
      stack, n, label: `fleet-io${n}`,
      env: { INGEST_CONCURRENCY: String(cfg.concurrency), AWS_ENDPOINT_URL_S3: s3.url },
    }, daemons);
    const s3Before = s3.requests();
    const bulkBefore = stack.recorder.bulkRequests().length;
    stack.recorder.delayResponses(cfg.indexDelayMs);
    const latencyS = (cfg.indexDelayMs + cfg.s3DelayMs) / 1000;
    const ideal = files / ((n * cfg.concurrency) / latencyS) * 1000;
    const m = await measureBatch(stack, daemons, keys, Math.max(60_000, ideal * 4), `${n} daemon(s): all ${files} files indexed`);
    stack.recorder.delayResponses(0);
    const s3Requests = s3.requests() - s3Before;
    const bulkRequests = stack.recorder.bulkRequests().length - bulkBefore;
    const exits = await stopFleet(daemons);
    const c = await check(stack, dynamo, keys, settledLines(daemons), exits);
    if (m.timedOut) c.problems.unshift(m.timedOut);
    return {
      daemons: n, files, startupMs, uploadMs, sendMs: m.sendMs, wallMs: m.wallMs,
      filesPerSecond: (m.completed * 1000) / m.wallMs, steadyFilesPerSecond: m.steadyPerSecond,
      slotCeiling: (n * cfg.concurrency) / latencyS,
      jobMs: spread(m.jobMs), steps: m.steps,
      perDaemon: m.shares, daemonCpuSeconds: m.daemonCpuSeconds, machineCpu: m.machineCpu, s3Requests, bulkRequests,
      check: c, timedOut: m.timedOut, ok: c.problems.length === 0,
    };
  } finally {
    await killLeftovers(daemons);
    dynamo.destroy();
    await stack.close();
  }
}

// ---------------------------------------------------------------- part ocr

interface OcrRun {
  daemons: number;
  ocrThreads: number;
  /** min(OCR threads, machine cores) */
  coresInUse: number;
  pages: number;
  startupMs: number;
  warmupMs: number;
  /** warm-up probes each daemon processed (each must have had ≥ 1, or its thread was cold in the batch) */
  warmupPerDaemon: number[];
  sendMs: number;
  wallMs: number;
  pagesPerSecond: number;
  /** pages/s(N) / pages/s(1) */
  speedup: number | null;
  pagesPerSecondPerCoreInUse: number;
  /** Σ CPU seconds of the daemons (all threads) per page, and its inverse */
  daemonCpuSecondsPerPage: number | null;
  pagesPerCpuSecond: number | null;
  /** pages counted in the outcome lines (events' `pages`), and how many were OCR */
  pagesReported: number;
  ocrDocuments: number;
  charactersPerPage: number;
  jobMs: Spread;
  /** per pipeline step, and 'rest' (the outcome line's ms minus the steps) */
  steps: Record<string, Spread>;
  perDaemon: DaemonShare[];
  machineCpu: CpuShare | null;
  check: Check;
  timedOut: string | null;
  ok: boolean;
}

interface PageImages {
  pages: Buffer[];
  probe: Buffer;
  renderMs: number;
}

async function renderPages(distinct: number): Promise<PageImages> {
  const t0 = performance.now();
  const pages: Buffer[] = [];
  for (let i = 0; i < distinct; i++) pages.push(await greyPng(renderScan(pageLines(SEED, i, LINES_PER_PAGE))));
  const probe = await greyPng(renderScan(['起動時間の測定 warm-up probe'], { width: 1400, height: 400 }));
  return { pages, probe, renderMs: performance.now() - t0 };
}

async function runOcr(n: number, cfg: Settings['ocr'], images: PageImages): Promise<Omit<OcrRun, 'speedup'>> {
  const stack = await createE2eStack(`bench-fleet-ocr${n}`);
  const dynamo = testDynamo();
  const daemons: SpawnedDaemon[] = [];
  try {
    const ocrThreads = n * cfg.poolSize;
    const coresInUse = Math.min(ocrThreads, CORES);
    const pages = cfg.pagesPerCore * coresInUse;
    const keys = Array.from({ length: pages }, (_, i) => `ocr/page-${String(i).padStart(4, '0')}.png`);
    // one probe per slot of every daemon: a daemon with free slots receives up to that many, so N × slots probes give each exactly its slots' worth
    const probes = Array.from({ length: n * cfg.concurrency }, (_, i) => `warmup/probe-${String(i).padStart(3, '0')}.png`);
    await forEachLimit(keys.map((key, i) => ({ key, body: images.pages[i % images.pages.length]! })), 8, ({ key, body }) => putObject(stack.s3, stack.bucket, key, body, 'image/png'));
    await forEachLimit(probes, 8, (key) => putObject(stack.s3, stack.bucket, key, images.probe, 'image/png'));
    const startupMs = await startFleet({
      stack, n, label: `fleet-ocr${n}`,
      env: { INGEST_POOL_SIZE: String(cfg.poolSize), INGEST_CONCURRENCY: String(cfg.concurrency), INGEST_REUSE: 'off' },
    }, daemons);
    const w0 = performance.now();
    const warm = await measureBatch(stack, daemons, probes, 180_000, `${n} daemon(s): the warm-up probes`);
    const warmupMs = performance.now() - w0;
    if (warm.timedOut) throw new Error(warm.timedOut);
    const warmupPerDaemon = warm.shares.map((s) => s.done);
    const perCoreSeconds = 2.5; // ~1.9–2.3 s of one core per page here (bench/results/ocr.md, rates.md)
    const m = await measureBatch(stack, daemons, keys, Math.max(120_000, (pages * perCoreSeconds * 1000 * 4) / coresInUse), `${n} daemon(s): all ${pages} pages indexed`);
    const exits = await stopFleet(daemons);
    const c = await check(stack, dynamo, [...keys, ...probes], settledLines(daemons), exits);
    if (m.timedOut) c.problems.unshift(m.timedOut);
    const events = m.batch.flatMap((l) => l.events.filter((e) => typeof e.key === 'string' && keys.includes(e.key) && e.outcome === 'done'));
    const pagesReported = events.reduce((a, e) => a + (typeof e.pages === 'number' ? e.pages : 0), 0);
    const ocrDocuments = events.filter((e) => e.textSource === 'ocr').length;
    const characters = events.reduce((a, e) => a + (typeof e.characters === 'number' ? e.characters : 0), 0);
    if (ocrDocuments !== pages) c.problems.push(`${pages - ocrDocuments} of ${pages} pages were not OCRed (textSource ≠ ocr)`);
    if (warmupPerDaemon.some((w) => w === 0)) c.problems.push(`a daemon got no warm-up probe (${warmupPerDaemon.join(', ')}): its OCR thread started cold during the batch`);
    const pagesPerSecond = (m.completed * 1000) / m.wallMs;
    return {
      daemons: n, ocrThreads, coresInUse, pages, startupMs, warmupMs, warmupPerDaemon, sendMs: m.sendMs, wallMs: m.wallMs,
      pagesPerSecond, pagesPerSecondPerCoreInUse: pagesPerSecond / coresInUse,
      daemonCpuSecondsPerPage: m.daemonCpuSeconds === null ? null : m.daemonCpuSeconds / pages,
      pagesPerCpuSecond: m.daemonCpuSeconds === null || m.daemonCpuSeconds === 0 ? null : pages / m.daemonCpuSeconds,
      pagesReported, ocrDocuments, charactersPerPage: characters / Math.max(1, events.length),
      jobMs: spread(m.jobMs), steps: m.steps,
      perDaemon: m.shares, machineCpu: m.machineCpu, check: c, timedOut: m.timedOut, ok: c.problems.length === 0,
    };
  } finally {
    await killLeftovers(daemons);
    dynamo.destroy();
    await stack.close();
  }
}

// ---------------------------------------------------------------- report

const busyCores = (c: CpuShare | null) => (c === null ? 'n/a' : f2(c.own + c.other));
const msText = (x: number) => `${f0(x)} ms`;

function stepTable(runs: ReadonlyArray<{ daemons: number; steps: Record<string, Spread> }>, names: string[]): string {
  return mdTable(['daemons', ...names], runs.map((r) => [String(r.daemons), ...names.map((n) => (r.steps[n] ? `${f0(r.steps[n].median)} / ${f0(r.steps[n].p90)}` : '–'))]));
}

interface Verdicts {
  ioTarget: boolean | null;
  ioLost: number;
  ioDuplicates: number;
  ocrLost: number;
  ocrDuplicates: number;
  problems: string[];
  pass: boolean;
}

function verdicts(cfg: Settings, io: IoRun[], ocr: OcrRun[]): Verdicts {
  const problems: string[] = [];
  for (const r of io) for (const p of r.check.problems) problems.push(`io, ${r.daemons} daemon(s): ${p}`);
  for (const r of ocr) for (const p of r.check.problems) problems.push(`ocr, ${r.daemons} daemon(s): ${p}`);
  const scaled = io.filter((r) => r.daemons > 1);
  const ioTarget = cfg.parts.includes('io') && scaled.length > 0 ? scaled.every((r) => r.efficiency !== null && r.efficiency >= TARGET_EFFICIENCY) : null;
  const sum = (rs: Array<IoRun | OcrRun>, f: (c: Check) => number) => rs.reduce((a, r) => a + f(r.check), 0);
  const v = {
    ioTarget,
    ioLost: sum(io, (c) => c.lost), ioDuplicates: sum(io, (c) => c.duplicates),
    ocrLost: sum(ocr, (c) => c.lost), ocrDuplicates: sum(ocr, (c) => c.duplicates),
    problems,
  };
  return { ...v, pass: ioTarget !== false && problems.length === 0 };
}

function report(o: {
  startedAt: Date; m: Machine; revision: string; cfg: Settings; io: IoRun[]; ocr: OcrRun[]; v: Verdicts; renderMs: number | null; totalMs: number;
}): string {
  const { cfg, io, ocr, v } = o;
  const p: string[] = [];
  const add = (s = '') => p.push(s);
  const latencyMs = cfg.io.indexDelayMs + cfg.io.s3DelayMs;
  const sizes = [...new Set([...(cfg.parts.includes('io') ? cfg.io.fleet : []), ...(cfg.parts.includes('ocr') ? cfg.ocr.fleet : [])])].sort((x, y) => x - y).map(String);
  add(`# Fleet benchmark: ${sizes.length > 1 ? `${sizes.slice(0, -1).join(', ')} and ${sizes.at(-1)}` : sizes.join('')} daemons on one queue`);
  add();
  add(`Generated by \`npm run bench:fleet\` (bench/fleet.ts${cfg.quick ? ' --quick' : ''}) on ${o.startedAt.toISOString()}; total ${secs(o.totalMs)}.${cfg.quick ? ' **Quick (smoke) run: fewer files and pages, 1 and 2 daemons only.**' : ''}`);
  add();
  add(`- Machine: ${machineLine(o.m)}`);
  add(`- Code: ${o.revision}`);
  add('- Servers (as in the tests): fauxqs (SQS + S3) and the OpenSearch recorder in the bench process, DynamoDB Local (a JVM), all on loopback **on the same machine as the daemons**; each daemon is the real `bin/spot-ingest run`, spawned with environment variables only (test/support/daemon.ts), LOG_LEVEL=info, its own INGEST_DATA_DIR and INGEST_INSTANCE_ID (like separate instances: they share the queue, bucket, state table and index, nothing else)');
  add('- Isolation: a fresh queue + DLQ, bucket, DynamoDB table (`spot-ingest setup --create-table`), index and recorder per fleet size and part (test/support/e2e-stack.ts)');
  add();
  add('## Method');
  add();
  add('### I/O-bound load (target)');
  add();
  add(`- Files: ${cfg.io.filesPerDaemon} per daemon (so every run lasts about as long), text/plain objects of ${cfg.io.bodyBytes} bytes, one native FILE_UPLOADED message each.`);
  add(`- Added latency: **every OpenSearch answer is held ${cfg.io.indexDelayMs} ms** (the recorder's \`delayResponses\`; each \`_bulk\` request the daemon's micro-batcher sends waits that long) and **every S3 request of the daemons ${cfg.io.s3DelayMs} ms** (bench/lib/latency-proxy.ts in front of fauxqs, as the daemons' AWS_ENDPOINT_URL_S3: fauxqs has no latency hook; the GetObject of each download waits that long before it is forwarded). SQS and DynamoDB get no added latency (local, about a millisecond).`);
  add(`- Daemons: INGEST_CONCURRENCY ${cfg.io.concurrency} each, so one daemon has at most ${cfg.io.concurrency} files in flight, each waiting ≥ ${latencyMs} ms on I/O: its ceiling is about ${cfg.io.concurrency} / ${latencyMs / 1000} s = ${f1(cfg.io.concurrency / (latencyMs / 1000))} files/s ("slot ceiling", × N for N daemons), far below what its CPU could do — the load one daemon cannot speed up, which more daemons should.`);
  add('- Clock: all N daemons are started and `consuming` (and the added latency switched on) before the first message is sent; messages go out with SendMessageBatch (10 per call, 8 calls at a time), much faster than they are consumed ("send" column). Wall time = first send → `time` of the last `done` outcome line. files/s = files / wall time; "steady" is the rate between the 10 % and the 90 % completion (without the ramp-up and the last wave).');
  add(`- **Scaling efficiency** = files/s(N) / (N × files/s(1)); **target ≥ ${TARGET_EFFICIENCY}** for every N > 1.`);
  add('- **Duplicates**: index operations (index/create/update items of the recorder\'s `_bulk` bodies, bench/lib/index-writes.ts) per document id over the whole run; every operation beyond the first of a document counts. **Lost**: after the daemons exited (SIGTERM, must exit 0), an object whose state record is not INDEXED or whose document is not in the index; the queue and the DLQ must be empty, and every outcome line must be `done` (a retry, duplicate or dead-letter is reported as a problem).');
  add('- CPU: "daemon CPU / file" is the daemons\' user + system time (/proc/<pid>/stat, all threads) during the batch per file; "machine busy" the cores busy on the whole machine (bench process with fauxqs and the recorder, daemons, DynamoDB Local), from /proc/stat.');
  add();
  add('### CPU-bound load (OCR, no target)');
  add();
  add(`- Pages: synthetic scanned A4 pages, 2480×3508 px greyscale PNG at 300 dpi, ${LINES_PER_PAGE} lines of Japanese with some English (bench/lib/documents.ts, as bench/ocr.ts), ${cfg.ocr.distinctPages} different images cycled over the objects (every object is downloaded, OCRed in full and indexed: the daemons run with INGEST_REUSE=off, since copies of the same bytes would otherwise be indexed from the first one's extraction — bench:dedupe measures that). ${cfg.ocr.pagesPerCore} pages per core the run can use, so each run lasts about as long.`);
  add(`- Daemons: **INGEST_POOL_SIZE ${cfg.ocr.poolSize}** (one OCR worker thread per daemon, so N daemons run N OCR threads) and INGEST_CONCURRENCY ${cfg.ocr.concurrency}; OCR languages jpn+eng, 300 dpi, thumbnails computed (not stored: no thumbnail bucket), the daemon's defaults otherwise; no latency added. The daemon's default pool size is the number of cores, so one daemon per instance uses all of them — one thread per daemon here is what lets 1 → 2 daemons show the per-core scaling on this 2-core machine.`);
  add(`- Warm-up before the clock: N × ${cfg.ocr.concurrency} small probe images (one line of text, 1400×400 px); a daemon receives at most its free slots, so each gets ${cfg.ocr.concurrency} and its thread loads tesseract and the languages (the cold start) outside the measurement. Then the pages are sent and timed as above.`);
  add('- pages/s = pages / wall time. **pages/s per core in use** = pages/s / min(OCR threads, cores). **pages per CPU-second** = pages / the daemons\' CPU seconds during the batch (all their threads: OCR, preprocessing, the main thread\'s download, index and state work) — the most portable of the three: one core of this machine turns out that many pages per second while it works on nothing else.');
  add();

  if (cfg.parts.includes('io')) {
    add('## Results: I/O-bound load');
    add();
    const rows = io.map((r) => [
      String(r.daemons), String(r.files), secs(r.wallMs), f1(r.filesPerSecond), r.steadyFilesPerSecond === null ? '–' : f1(r.steadyFilesPerSecond),
      r.efficiency === null ? '–' : f3(r.efficiency), f1(r.slotCeiling), pct(r.filesPerSecond / r.slotCeiling),
      `${msText(r.jobMs.median)} / ${msText(r.jobMs.p90)}`, r.perDaemon.map((d) => d.done).join(' / '),
      r.daemonCpuSeconds === null ? 'n/a' : `${f1((r.daemonCpuSeconds * 1000) / r.files)} ms`, busyCores(r.machineCpu),
      String(r.check.duplicates), String(r.check.lost),
      r.daemons === 1 ? (r.ok ? 'baseline' : '**FAIL**') : r.ok && r.efficiency !== null && r.efficiency >= TARGET_EFFICIENCY ? 'PASS' : '**FAIL**',
    ]);
    add(mdTable(['daemons', 'files', 'wall', 'files/s', 'steady files/s', 'efficiency', 'slot ceiling files/s', 'of ceiling', 'job median / p90', 'files per daemon', 'daemon CPU / file', 'machine busy cores', 'duplicates', 'lost', `verdict (≥ ${TARGET_EFFICIENCY})`], rows));
    add();
    add(`Where a job's time goes, median / p90 per step (ms, from the outcome lines' \`steps\`; "rest" = the line's ms − the steps: waiting in the daemon, the delete):`);
    add();
    add(stepTable(io, ['claim', 'download', 'detect', 'index', 'record', 'rest']));
    add();
    add(`Per run: ${io.map((r) => `${r.daemons} daemon(s): start-up of the fleet ${secs(r.startupMs)}, upload ${secs(r.uploadMs)}, send ${secs(r.sendMs)}, ${r.bulkRequests} \`_bulk\` requests (${f1(r.files / Math.max(1, r.bulkRequests))} documents each), ${r.s3Requests} S3 requests through the latency proxy, ${r.check.indexOps} index operations, outcomes ${Object.entries(r.check.outcomes).map(([k, c]) => `${k} ${c}`).join(', ')}, exits ${r.check.exitCodes.join(', ')}, CPU own / other / steal ${cpuText(r.machineCpu)}`).join('; ')}.`);
    add();
  }
  if (cfg.parts.includes('ocr')) {
    add('## Results: CPU-bound load (OCR)');
    add();
    const rows = ocr.map((r) => [
      String(r.daemons), String(r.ocrThreads), String(r.pages), secs(r.wallMs), f3(r.pagesPerSecond), r.speedup === null ? '–' : `${f2(r.speedup)}×`,
      String(r.coresInUse), f3(r.pagesPerSecondPerCoreInUse), r.daemonCpuSecondsPerPage === null ? 'n/a' : secs(r.daemonCpuSecondsPerPage * 1000),
      r.pagesPerCpuSecond === null ? 'n/a' : f3(r.pagesPerCpuSecond), busyCores(r.machineCpu), `${secs(r.jobMs.median)} / ${secs(r.jobMs.p90)}`,
      r.perDaemon.map((d) => d.done).join(' / '), String(r.check.duplicates), String(r.check.lost),
    ]);
    add(mdTable(['daemons', 'OCR threads', 'pages', 'wall', 'pages/s', 'vs 1 daemon', 'cores in use', 'pages/s per core in use', 'daemon CPU / page', 'pages per CPU-second', 'machine busy cores', 'job median / p90', 'pages per daemon', 'duplicates', 'lost'], rows));
    add();
    add('Where a job\'s time goes, median / p90 per step (ms; "extract" includes the wait for the daemon\'s OCR thread when both of its slots hold a page, "extract.ocr" is the recognition in the thread, on a core shared with the other threads when there are more threads than cores):');
    add();
    add(stepTable(ocr, ['claim', 'download', 'detect', 'extract', 'extract.ocr', 'index', 'record', 'rest']));
    add();
    add(`Per run: ${ocr.map((r) => `${r.daemons} daemon(s): start-up ${secs(r.startupMs)}, warm-up ${secs(r.warmupMs)} (probes per daemon ${r.warmupPerDaemon.join(' / ')}), send ${secs(r.sendMs)}, ${r.ocrDocuments}/${r.pages} OCRed, ${f0(r.charactersPerPage)} characters per page, exits ${r.check.exitCodes.join(', ')}, CPU own / other / steal ${cpuText(r.machineCpu)}`).join('; ')}.${o.renderMs === null ? '' : ` Rendering the ${cfg.ocr.distinctPages} page images (before any run): ${secs(o.renderMs)}.`}`);
    add();
    add(`**Why OCR does not scale past ${CORES} here**: this machine has ${CORES} cores, and OCR is CPU-bound — a page keeps one core busy for about ${ocr[0]?.daemonCpuSecondsPerPage ? secs(ocr[0].daemonCpuSecondsPerPage * 1000) : '2 s'} and waits on nothing. One daemon with one OCR thread uses one core; ${CORES} daemons use all ${CORES}; more daemons (more threads) on the same ${CORES} cores only take turns, so pages/s stays at what ${CORES} cores give (and the time per page grows). On a fleet of instances each instance brings its own cores, and the daemons share nothing but the queue (the I/O-bound part shows they do not get in each other's way), so the number a user needs to size a fleet is **pages/s per core** — multiplied by the vCPUs of the instance type and the number of instances.`);
    add();
    const perCore = ocr.find((r) => r.daemons === 1)?.pagesPerCpuSecond ?? ocr[0]?.pagesPerCpuSecond ?? null;
    if (perCore !== null && perCore !== undefined) {
      add('### Sizing from the per-core rate');
      add();
      add(`With ${f3(perCore)} pages per CPU-second (1 daemon, one OCR thread, measured above) and one daemon per instance with the default pool (one OCR thread per vCPU), all vCPUs busy with OCR (an upper bound: vCPUs of other types and generations differ per core from this machine's, and a vCPU is a hyper-thread on these families, so measure on the type before relying on it):`);
      add();
      add(mdTable(['instance type', 'vCPUs', 'pages/s per instance', 'pages/hour per instance', 'instances for 100 000 pages/hour'], INSTANCE_TYPES.map((t) => {
        const perSecond = perCore * t.vcpus;
        return [t.name, String(t.vcpus), f2(perSecond), f0(perSecond * 3600), String(Math.ceil(100_000 / (perSecond * 3600)))];
      })));
      add();
    }
  }

  add('## Verdicts');
  add();
  if (cfg.parts.includes('io')) {
    const scaled = io.filter((r) => r.daemons > 1);
    add(`- I/O-bound scaling, files/s(N) ≥ ${TARGET_EFFICIENCY} × N × files/s(1): **${v.ioTarget === null ? 'not judged (no N > 1)' : v.ioTarget ? 'PASS' : 'FAIL'}** — ${scaled.map((r) => `${r.daemons} daemons: ${f1(r.filesPerSecond)} files/s against ${f1(r.daemons * (io[0]?.filesPerSecond ?? Number.NaN))} (efficiency ${r.efficiency === null ? '–' : f3(r.efficiency)})`).join('; ')}`);
    add(`- I/O-bound duplicates: **${v.ioDuplicates}**, lost: **${v.ioLost}**`);
  }
  if (cfg.parts.includes('ocr')) add(`- OCR duplicates: **${v.ocrDuplicates}**, lost: **${v.ocrLost}** (no throughput target: see above)`);
  add(`- Overall: **${v.pass ? 'PASS' : 'FAIL'}**${cfg.quick ? ' (quick run)' : ''}`);
  add();
  if (v.problems.length > 0) {
    add('## Problems');
    add();
    for (const pr of v.problems) add(`- ${pr}`);
    add();
  }
  add('## What this does not measure');
  add();
  add('- Real AWS: the latencies are fixed delays on loopback stand-ins (no jitter, no tail, no throttling); SQS and DynamoDB get none. On AWS, SQS receive/delete, DynamoDB writes and S3 first-byte times add to each job, and a very large fleet meets SQS, DynamoDB and OpenSearch limits (bulk queue rejections, write capacity) that the stand-ins do not have.');
  const ioBusy = io.map((r) => (r.machineCpu === null ? Number.NaN : r.machineCpu.own + r.machineCpu.other)).filter((x) => Number.isFinite(x));
  add(`- Independent machines: all daemons and all stand-ins share this machine's ${CORES} cores ("machine busy cores"${ioBusy.length > 0 ? `; the I/O-bound runs kept at most ${f2(Math.max(...ioBusy))} of them busy` : ''}). A fleet of N instances has N × the CPU, so the contention here (the stand-ins answer a little slower as the load grows: see the claim and record steps) is a handicap real instances do not have; for the OCR part it is the whole reason it stops at ${CORES}.`);
  add('- The OpenSearch side: the recorder holds every answer the same time whatever the request size or the number of clients; a real cluster\'s latency grows with its load. The fleet\'s index throughput is bounded by the cluster, which bench:opensearch looks at.');
  add('- Mixed loads, large files, PDFs with a text layer, Office files, Bedrock embeddings (off here), stored thumbnails and checkpoints (no bucket configured).');
  add('- Fleet dynamics: daemons starting and stopping during the run, scale-in and spot interruptions (bench:interruption, bench:chaos), and the queue-depth based autoscaling.');
  add('- Memory per daemon and how many daemons an instance could hold (one per instance is the intended deployment).');
  if (cfg.quick) add('- This was a quick run: short runs make the ramp-up and the last wave a larger share of the wall time; the full run is the measurement.');
  add();
  add('Raw numbers: bench/results/fleet.json.');
  add();
  return p.join('\n');
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const cfg = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  const wall0 = performance.now();
  const m = machine();
  log(`fleet benchmark${cfg.quick ? ' (quick)' : ''}: parts ${cfg.parts.join(', ')}, daemons ${cfg.io.fleet.join(', ')}, ${cfg.io.filesPerDaemon} files per daemon, ${cfg.ocr.pagesPerCore} pages per core; ${CORES} cores`);
  let images: PageImages | null = null;
  if (cfg.parts.includes('ocr')) {
    log(`rendering ${cfg.ocr.distinctPages} page images`);
    images = await renderPages(cfg.ocr.distinctPages);
  }
  log('starting fauxqs and DynamoDB Local');
  await globalSetup();
  const io: IoRun[] = [];
  const ocr: OcrRun[] = [];
  let s3: LatencyProxy | undefined;
  try {
    if (cfg.parts.includes('io')) {
      s3 = await startLatencyProxy(fauxqsEndpoint(), cfg.io.s3DelayMs);
      for (const n of cfg.io.fleet) {
        const t0 = performance.now();
        const r = await runIo(n, cfg.io, s3);
        const base = io[0]?.daemons === 1 ? io[0].filesPerSecond : n === 1 ? r.filesPerSecond : null;
        const run: IoRun = { ...r, efficiency: base === null ? null : r.filesPerSecond / (n * base) };
        io.push(run);
        log(
          `io ${n} daemon(s): ${run.files} files in ${secs(run.wallMs)} = ${f1(run.filesPerSecond)} files/s (steady ${run.steadyFilesPerSecond === null ? '–' : f1(run.steadyFilesPerSecond)}, ` +
            `slot ceiling ${f1(run.slotCeiling)}), efficiency ${run.efficiency === null ? '–' : f3(run.efficiency)}, per daemon ${run.perDaemon.map((d) => d.done).join('/')}, ` +
            `machine busy ${busyCores(run.machineCpu)} cores, duplicates ${run.check.duplicates}, lost ${run.check.lost} [${secs(performance.now() - t0)}]` +
            `${run.ok ? '' : `\n  PROBLEMS: ${run.check.problems.join('; ')}`}`,
        );
      }
    }
    if (cfg.parts.includes('ocr') && images !== null) {
      for (const n of cfg.ocr.fleet) {
        const t0 = performance.now();
        const r = await runOcr(n, cfg.ocr, images);
        const base = ocr[0]?.daemons === 1 ? ocr[0].pagesPerSecond : n === 1 ? r.pagesPerSecond : null;
        const run: OcrRun = { ...r, speedup: base === null ? null : r.pagesPerSecond / base };
        ocr.push(run);
        log(
          `ocr ${n} daemon(s): ${run.pages} pages in ${secs(run.wallMs)} = ${f3(run.pagesPerSecond)} pages/s (${f3(run.pagesPerSecondPerCoreInUse)} per core in use, ` +
            `${run.pagesPerCpuSecond === null ? 'n/a' : f3(run.pagesPerCpuSecond)} per CPU-second), per daemon ${run.perDaemon.map((d) => d.done).join('/')}, ` +
            `machine busy ${busyCores(run.machineCpu)} cores, duplicates ${run.check.duplicates}, lost ${run.check.lost} [${secs(performance.now() - t0)}]` +
            `${run.ok ? '' : `\n  PROBLEMS: ${run.check.problems.join('; ')}`}`,
        );
      }
    }
  } finally {
    await s3?.close();
    await globalTeardown();
  }
  const v = verdicts(cfg, io, ocr);
  const totalMs = performance.now() - wall0;
  const revision = codeRevision();
  await writeResults('fleet', report({ startedAt, m, revision, cfg, io, ocr, v, renderMs: images?.renderMs ?? null, totalMs }), {
    date: startedAt.toISOString(), revision, quick: cfg.quick, machine: m, settings: cfg, targetEfficiency: TARGET_EFFICIENCY, verdicts: v, io, ocr, totalMs,
  });
  log(`I/O-bound target: ${v.ioTarget === null ? 'not judged' : v.ioTarget ? 'PASS' : 'FAIL'}; duplicates ${v.ioDuplicates + v.ocrDuplicates}, lost ${v.ioLost + v.ocrLost}; overall ${v.pass ? 'PASS' : 'FAIL'}; total ${secs(totalMs)}`);
  log('wrote bench/results/fleet.md and bench/results/fleet.json');
  if (!v.pass) process.exitCode = 1;
}

runMain(main);
