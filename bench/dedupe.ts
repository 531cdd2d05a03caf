/**
 * npm run bench:dedupe — "copies cost nothing": files/h and Bedrock calls of the real daemon on a
 * corpus where 40 % of the files are byte-identical copies of others under other keys, with content
 * reuse (INGEST_REUSE=on) against without (INGEST_REUSE=off), same run, same corpus, same machine.
 *
 * Corpus: the pipeline benchmark's mix (bench/lib/pipeline-corpus.ts, 20 files: born-digital,
 * mixed and scanned PDFs, a photo, a TIFF, a PNG, DOCX/XLSX/PPTX, text in several encodings) six
 * times as the originals — set 1 is the pipeline corpus itself; sets 2–6 have other text in the
 * 13 generated files (another seed) and the 7 fixtures made different bytes their readers ignore
 * (trailing bytes, a PNG tEXt chunk, a ZIP comment: the same cost, not copies) — 120 originals under
 * fs/<department>/<year>/<name>, plus 80 byte-identical copies under other keys (another folder,
 * sometimes another name, always the same extension): 200 files, 40 % copies. Every file of the mix
 * gets 4 copies, of 4 of its 6 variants drawn with a seeded random, so the copies follow the corpus
 * mix exactly (with one set, 20 originals + 13 copies, the copied files are drawn within each kind).
 * Why 200 files: files/h is a rate, and a batch's ramp-up and its last file's tail (a scan OCRed on
 * one thread while the other has nothing left) are a fixed cost that weighs more the shorter the
 * batch; at 100 files (--sets 3, ~20–30 s a run) they were a tenth of the wall time and the ratio
 * wandered between 1.43× and 1.55× from run to run on this machine; at 200 files it held at 1.58×.
 * The messages go out in one seeded shuffled order (copies interleaved with the originals, as a
 * migration of a file server produces them), the same order in every run.
 *
 * Each run: a fresh stack (test/support/e2e-stack.ts: queue + DLQ, bucket, state table, index,
 * OpenSearch recorder; plus a thumbnail bucket, which also holds checkpoints and the content records
 * too large for a state-table item), a fresh Bedrock stand-in (test/support/bedrock-stand-in.ts,
 * every answer held 200 ms (--bedrock-delay-ms), about what a real InvokeModel call takes) and one
 * real `bin/spot-ingest run` daemon (bench/lib/daemon-fleet.ts) with INGEST_CONCURRENCY 4,
 * INGEST_POOL_SIZE 2, Titan text v2 and Titan multimodal embeddings (1024 dimensions). Three runs a
 * round: every file with INGEST_REUSE=off, every file with INGEST_REUSE=on (nothing else differs),
 * and a reference, the originals only (INGEST_REUSE=on): the time the corpus would take if copies
 * cost nothing, so the report can tell a corpus whose copies weigh little from copies that still
 * cost. The objects are uploaded, the daemon is started and warmed with one small distinct image per
 * slot (its OCR threads load tesseract and the languages), and the clock runs from the first send to
 * the `time` of the last `done` outcome line. The order of the three runs rotates from round to
 * round; each side's median is used.
 *
 * Reported per run: files/h, Bedrock calls by model and input tokens (counted at the stand-in), PDF
 * and image pages read by OCR and from text layers (the daemon's /metrics), the events indexed from
 * an earlier extraction with the pages and tokens they saved (outcome lines' `reused`), daemon CPU.
 * Target: files/h with reuse ≥ 1.5 × without, with identical documents apart from key-specific fields:
 * every field but id, bucket, key, file_name, original_path, modified_at, indexed_at, thumbnail_key,
 * etag and extension (and the thumbnail's bytes) must be equal for the same key across runs and
 * between a copy and its original within a run; 0 mismatches. Also 0 lost (every key INDEXED and in
 * the index, queue and DLQ empty), 0 duplicates, every message `done`, the daemon exits 0 on SIGTERM.
 *
 * Writes bench/results/dedupe.md (report) and bench/results/dedupe.json (raw numbers); exits 1 when
 * the target or a check fails (a --quick run judges only the checks).
 *
 *   node bench/dedupe.ts [--quick] [--sets N] [--rounds N] [--bedrock-delay-ms N]
 *
 * --sets N: N variants of the mix as originals (default 6); --rounds N: rounds of three runs
 * (default 3). --quick: one set, 10 of its files (the same kind shares) + 7 copies, one round (a
 * smoke run, ~40 s, whose ratio is not judged). The full run (200 files, 3 rounds = 9 daemon runs) takes about 9 min on 2 cores.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { crc32 } from 'node:zlib';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { documentId } from '../src/adapters/index/document-id.ts';
import { createBucket, putObject, testDynamo } from '../test/support/aws.ts';
import { countTokens, startBedrockStandIn, type BedrockStandIn } from '../test/support/bedrock-stand-in.ts';
import type { SpawnedDaemon } from '../test/support/daemon.ts';
import { createE2eStack, type E2eStack } from '../test/support/e2e-stack.ts';
import { freePort } from '../test/support/free-port.ts';
import { globalSetup, globalTeardown } from '../test/support/global-setup.ts';
import { readMetric } from '../test/support/metrics.ts';
import {
  check, forEachLimit, killLeftovers, measureBatch, settledLines, startFleet, stopFleet, type Check, type EventSummary,
} from './lib/daemon-fleet.ts';
import { greyPng, renderScan } from './lib/documents.ts';
import { makeCorpus, PIPELINE_CORPUS_SEED, type PipelineCorpusFile, type PipelineCorpusKind } from './lib/pipeline-corpus.ts';
import {
  codeRevision, cpuText, f0, f1, f2, log, machine, machineLine, mdTable, median, pct, secs, textTable, type CpuShare, type Machine, writeResults,
} from './lib/report.ts';
import { runMain } from './lib/run-main.ts';
import { seededRandom } from './lib/stats.ts';

// ---------------------------------------------------------------- settings

const TARGET_RATIO = 1.5;
const COPY_SHARE = 0.4;
const SEED = 20_261_206;
const CONCURRENCY = 4;
const POOL_SIZE = 2;
const TEXT_MODEL = 'amazon.titan-embed-text-v2:0';
const IMAGE_MODEL = 'amazon.titan-embed-image-v1';
const DIMENSIONS = 1024;
const KINDS: readonly PipelineCorpusKind[] = ['born-digital-pdf', 'mixed-pdf', 'scanned-pdf', 'image', 'office', 'text'];
/** Fields that differ between copies by nature (where the file is, when it was written and indexed). */
const KEY_SPECIFIC = ['id', 'bucket', 'key', 'file_name', 'original_path', 'modified_at', 'indexed_at', 'thumbnail_key', 'etag', 'extension'];
/** The fields the comparison is about (reported even when they never differ); any other field found is compared too. */
const COMPARED = [
  'content', 'page_count', 'text_source', 'ocr_confidence', 'warnings', 'encoding', 'sha256', 'size', 'content_type',
  'text_embedding', 'image_embedding', 'embedding_pending', 'text_embedding_truncated', 'width', 'height', 'taken_at',
];
/** A pseudo-field: the stored thumbnail's bytes (sha256), compared like the document's fields. */
const THUMBNAIL_BYTES = 'thumbnail bytes';
/** off / on: every file, INGEST_REUSE off / on; originals: the originals only, INGEST_REUSE on (what "copies cost nothing" would take) */
type Mode = 'off' | 'on' | 'originals';
/** The order of the runs in round 1, 2, 3, … (then again): each side first, second and last in turn. */
const ROTATION: ReadonlyArray<readonly Mode[]> = [['off', 'on', 'originals'], ['on', 'originals', 'off'], ['originals', 'off', 'on']];
const modeLabel = (mode: Mode) => (mode === 'originals' ? 'originals only' : `INGEST_REUSE=${mode}`);

interface Settings {
  quick: boolean;
  /** variants of the pipeline corpus taken as originals (set 1 is the pipeline corpus itself) */
  sets: number;
  /** --quick: only this many of the 20 files of each set (the kinds' shares kept); 20 otherwise */
  perSet: number;
  rounds: number;
  bedrockDelayMs: number;
}

function parseArgs(argv: string[]): Settings {
  const quick = argv.includes('--quick');
  const cfg: Settings = { quick, sets: quick ? 1 : 6, perSet: quick ? 10 : 20, rounds: quick ? 1 : 3, bedrockDelayMs: 200 };
  const count = (arg: string, v: string | undefined, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${arg} needs an integer ≥ ${min}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') continue;
    if (arg === '--sets') cfg.sets = count(arg, argv[++i], 1);
    else if (arg === '--rounds') cfg.rounds = count(arg, argv[++i], 1);
    else if (arg === '--bedrock-delay-ms') cfg.bedrockDelayMs = count(arg, argv[++i], 0);
    else throw new Error(`unknown argument ${arg} (use --quick, --sets N, --rounds N, --bedrock-delay-ms N)`);
  }
  return cfg;
}

// ---------------------------------------------------------------- corpus

interface DedupeFile {
  key: string;
  /** the pipeline corpus file this object is (a variant of) */
  source: string;
  /** which variant of the pipeline corpus (1 = the pipeline corpus itself) */
  set: number;
  kind: PipelineCorpusKind;
  what: string;
  bytes: number;
  /** the key of the original, for a copy; null for an original */
  copyOf: string | null;
}

interface DedupeCorpus {
  files: DedupeFile[];
  /** the keys in the order their messages are sent */
  order: string[];
  body: Map<string, Buffer>;
  /** generation time of the pipeline corpora */
  makeMs: number;
}

/** `total` split over the groups in proportion to their sizes (largest remainder; ties: the larger group, then the kind order). */
function apportion(sizes: ReadonlyMap<PipelineCorpusKind, number>, total: number): Map<PipelineCorpusKind, number> {
  const sum = [...sizes.values()].reduce((a, b) => a + b, 0);
  const exact = [...sizes].map(([kind, n]) => ({ kind, n, q: (total * n) / sum }));
  const out = new Map(exact.map((e) => [e.kind, Math.floor(e.q)]));
  let left = total - [...out.values()].reduce((a, b) => a + b, 0);
  const byRemainder = [...exact].sort((a, b) => b.q - Math.floor(b.q) - (a.q - Math.floor(a.q)) || b.n - a.n || KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind));
  for (const e of byRemainder) {
    if (left === 0) break;
    out.set(e.kind, out.get(e.kind)! + 1);
    left--;
  }
  return out;
}

/** `count` of the items, drawn without replacement. */
function draw<T>(items: readonly T[], count: number, random: () => number): T[] {
  const pool = [...items];
  const out: T[] = [];
  while (out.length < count && pool.length > 0) out.push(pool.splice(Math.floor(random() * pool.length), 1)[0]!);
  return out;
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  return items.map((item) => ({ item, k: random() })).sort((a, b) => a.k - b.k).map(({ item }) => item);
}

/** Per kind: how many of the items belong to it. */
function kindSizes(items: ReadonlyArray<{ kind: PipelineCorpusKind }>): Map<PipelineCorpusKind, number> {
  return new Map(KINDS.map((k) => [k, items.filter((i) => i.kind === k).length] as const));
}

/**
 * Set 2, 3, … of a fixture (the generated files of those sets have their own text): the same file
 * made different bytes in a way its readers ignore — a PDF comment or trailing bytes after the
 * end of a PDF, JPEG or TIFF, a tEXt chunk in a PNG, a ZIP comment in an Office file. It costs what
 * the fixture costs, and is not a copy of it.
 */
function fixtureVariant(name: string, bytes: Buffer, set: number): Buffer {
  if (set === 1) return bytes;
  const tag = `spot-ingest bench:dedupe, set ${set}`;
  if (/\.(pdf)$/.test(name)) return Buffer.concat([bytes, Buffer.from(`\n% ${tag}\n`)]);
  if (/\.(jpg|tiff)$/.test(name)) return Buffer.concat([bytes, Buffer.from(tag)]);
  if (name.endsWith('.png')) {
    const data = Buffer.concat([Buffer.from('tEXt'), Buffer.from(`Comment\0${tag}`, 'latin1')]);
    const chunk = Buffer.alloc(data.length + 8);
    chunk.writeUInt32BE(data.length - 4, 0);
    data.copy(chunk, 4);
    chunk.writeUInt32BE(crc32(data), data.length + 4);
    const iend = bytes.length - 12; // the last chunk: IEND, no data
    if (bytes.toString('latin1', iend + 4, iend + 8) !== 'IEND') throw new Error(`${name}: no IEND chunk at the end`);
    return Buffer.concat([bytes.subarray(0, iend), chunk, bytes.subarray(iend)]);
  }
  if (/\.(docx|xlsx|pptx)$/.test(name)) {
    const eocd = bytes.length - 22; // end of central directory record, no comment yet
    if (bytes.readUInt32LE(eocd) !== 0x06054b50 || bytes.readUInt16LE(eocd + 20) !== 0) throw new Error(`${name}: no comment-less end of central directory`);
    const out = Buffer.concat([bytes, Buffer.from(tag)]);
    out.writeUInt16LE(Buffer.byteLength(tag), eocd + 20);
    return out;
  }
  throw new Error(`${name}: no variant for this kind of fixture`);
}

/** The pipeline corpus's fixtures (test/fixtures/documents/files), the files whose sets 2, 3, … are variants of the same bytes. */
const FIXTURE_NAMES = /^(scanned-ja\.pdf|photo-exif-rotated\.jpg|multipage\.tiff|no-density\.png|sample\.(docx|xlsx|pptx))$/;

const DEPARTMENTS = ['soumu', 'eigyou', 'keiri', 'jinji', 'kaihatsu'];
const COPY_PLACES = ['archive/2024', 'backup/fs-old', 'users/tanaka/Desktop', 'shared/projects/q3', 'users/suzuki/Documents'];

/** A copy's key: another folder, and now and then the name a copy gets on a desktop; the extension stays. */
function copyKey(original: string, n: number, random: () => number): string {
  const name = original.slice(original.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  const [stem, ext] = [name.slice(0, dot), name.slice(dot)];
  const place = COPY_PLACES[Math.floor(random() * COPY_PLACES.length)]!;
  const renamed = [name, `${stem} (1)${ext}`, `${stem}_copy${ext}`, `コピー ～ ${name}`][Math.floor(random() * 4)]!;
  return `${place}/${String(n).padStart(2, '0')}/${renamed}`;
}

/**
 * The originals: `sets` variants of the pipeline corpus (set 1 is that corpus; the others have other
 * text in their generated files and fixtures made different bytes), or with --quick a part of set 1
 * with the same kind shares. The copies: as many as make them the share of all files nearest to
 * COPY_SHARE, spread as evenly as possible over the pipeline corpus's files — with 6 sets (the default) each of
 * the 20 files gets exactly 4 copies (of 4 of its 6 variants, drawn), so the copies follow the corpus
 * mix exactly; what is left over goes to files drawn within each kind, each kind getting its share.
 */
async function makeDedupeCorpus(dir: string, cfg: Settings): Promise<DedupeCorpus> {
  const t0 = performance.now();
  const random = seededRandom(SEED);
  const body = new Map<string, Buffer>();
  const originals: DedupeFile[] = [];
  for (let set = 1; set <= cfg.sets; set++) {
    const setDir = join(dir, `set-${set}`);
    await mkdir(setDir);
    const all = await makeCorpus(setDir, PIPELINE_CORPUS_SEED + (set - 1) * 10_000);
    const perKind = apportion(kindSizes(all), Math.min(cfg.perSet, all.length));
    const keep = new Set(KINDS.flatMap((k) => draw(all.filter((f) => f.kind === k), perKind.get(k)!, random)));
    for (const f of all.filter((x) => keep.has(x))) {
      const key = `fs/${DEPARTMENTS[Math.floor(random() * DEPARTMENTS.length)]!}/${2022 + set}/${f.name}`;
      const bytes = f.origin === 'fixture' ? fixtureVariant(f.name, await readFile(f.path), set) : await readFile(f.path);
      body.set(key, bytes);
      originals.push({ key, source: f.name, set, kind: f.kind, what: f.what, bytes: bytes.length, copyOf: null });
    }
  }
  const makeMs = performance.now() - t0;
  const copies = Math.round((COPY_SHARE * originals.length) / (1 - COPY_SHARE));
  const sources = [...new Set(originals.map((f) => f.source))].map((source) => ({ source, kind: originals.find((f) => f.source === source)!.kind }));
  const each = Math.floor(copies / sources.length);
  const extraPerKind = apportion(kindSizes(sources), copies - each * sources.length);
  const extra = new Set(KINDS.flatMap((k) => draw(sources.filter((x) => x.kind === k), extraPerKind.get(k)!, random)).map((x) => x.source));
  const files = [...originals];
  let n = 0;
  for (const { source } of sources) {
    const variants = originals.filter((f) => f.source === source);
    const count = each + (extra.has(source) ? 1 : 0);
    // distinct variants first; more copies than variants (more than 2 of 3) would copy some twice
    const picked = Array.from({ length: Math.ceil(count / variants.length) }, () => draw(variants, variants.length, random)).flat().slice(0, count);
    for (const original of picked) {
      const key = copyKey(original.key, ++n, random);
      body.set(key, body.get(original.key)!);
      files.push({ ...original, key, copyOf: original.key });
    }
  }
  return { files, order: shuffle(files.map((f) => f.key), random), body, makeMs };
}

// ---------------------------------------------------------------- one run

type Doc = Record<string, unknown>;

interface ReusedSummary {
  from: string;
  savedPages: number;
  savedBedrockTokens: number;
}

interface Run {
  round: number;
  mode: Mode;
  /** the keys sent, in order */
  keys: string[];
  files: number;
  startupMs: number;
  uploadMs: number;
  warmupMs: number;
  sendMs: number;
  wallMs: number;
  filesPerHour: number;
  bedrock: {
    /** every call the stand-in received during the batch, by model */
    calls: Record<string, number>;
    textCalls: number;
    imageCalls: number;
    /** input tokens, as the stand-in counts them (its countTokens over what was sent) */
    inputTokens: number;
    /** answers other than 200 */
    errors: number;
  };
  /** PDF / image pages by source during the batch (the daemon's spot_ingest_pages_total) */
  pages: Record<string, number>;
  /** from the outcome lines' `reused` */
  reused: { events: number; savedPages: number; savedBedrockTokens: number };
  /** the daemon's reuse counters during the batch (/metrics) */
  reuseMetrics: { documents: number; savedPages: number; savedBedrockTokens: number };
  /** Σ over the batch's events of each pipeline step (seconds of a slot) */
  stepSeconds: Record<string, number>;
  /** per key: the ms of its `done` outcome line (receive → settled, waits in the daemon included) */
  jobMs: Record<string, number>;
  daemonCpuSeconds: number | null;
  machineCpu: CpuShare | null;
  check: Check;
  timedOut: string | null;
  ok: boolean;
  /** final document of every key, and the sha256 of its stored thumbnail */
  docs: Map<string, Doc>;
  thumbnails: Map<string, string | null>;
}

const models = (url: string): Record<string, string> => ({
  AWS_ENDPOINT_URL_BEDROCK_RUNTIME: url,
  INGEST_TEXT_EMBEDDING_MODEL: TEXT_MODEL,
  INGEST_TEXT_EMBEDDING_DIMENSIONS: String(DIMENSIONS),
  INGEST_IMAGE_EMBEDDING_MODEL: IMAGE_MODEL,
  INGEST_IMAGE_EMBEDDING_DIMENSIONS: String(DIMENSIONS),
});

/** The daemon's counters this bench reports (/metrics, test/support/metrics.ts). */
const COUNTERS: Record<string, [name: string, labels?: string]> = {
  ocr: ['spot_ingest_pages_total', 'source="ocr"'],
  'text-layer': ['spot_ingest_pages_total', 'source="text-layer"'],
  blank: ['spot_ingest_pages_total', 'source="blank"'],
  failed: ['spot_ingest_pages_total', 'source="failed"'],
  reusedDocuments: ['spot_ingest_reused_documents_total'],
  savedPages: ['spot_ingest_reuse_saved_pages_total'],
  savedBedrockTokens: ['spot_ingest_reuse_saved_bedrock_tokens_total'],
};

async function counters(port: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [what, [name, labels]] of Object.entries(COUNTERS)) out[what] = await readMetric(port, name, labels);
  return out;
}

function bedrockUse(standIn: BedrockStandIn, from: number): Run['bedrock'] {
  const calls: Record<string, number> = {};
  let inputTokens = 0;
  let errors = 0;
  for (const r of standIn.requests.slice(from)) {
    calls[r.model] = (calls[r.model] ?? 0) + 1;
    if (r.status !== 200) errors++;
    const text = (r.body as { inputText?: unknown } | undefined)?.inputText;
    if (r.status === 200 && typeof text === 'string') inputTokens += countTokens(text);
  }
  return { calls, textCalls: calls[TEXT_MODEL] ?? 0, imageCalls: calls[IMAGE_MODEL] ?? 0, inputTokens, errors };
}

async function sha256Of(stack: E2eStack, bucket: string, key: string): Promise<string> {
  const out = await stack.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return createHash('sha256').update(await out.Body!.transformToByteArray()).digest('hex');
}

async function runOnce(round: number, mode: Mode, cfg: Settings, corpus: DedupeCorpus, probes: ReadonlyMap<string, Buffer>): Promise<Run> {
  const keys = mode === 'originals' ? corpus.order.filter((k) => corpus.files.some((f) => f.key === k && f.copyOf === null)) : corpus.order;
  const standIn = await startBedrockStandIn();
  standIn.delay(cfg.bedrockDelayMs);
  let stack: E2eStack | undefined;
  const dynamo = testDynamo();
  const daemons: SpawnedDaemon[] = [];
  try {
    stack = await createE2eStack(`bench-dedupe-${mode}`, { env: models(standIn.url) });
    const thumbnails = `${stack.bucket}-thumbs`;
    await createBucket(stack.s3, thumbnails);
    const u0 = performance.now();
    const s = stack;
    await forEachLimit([...keys, ...probes.keys()], 8, (key) => putObject(s.s3, s.bucket, key, corpus.body.get(key) ?? probes.get(key)!));
    const uploadMs = performance.now() - u0;
    const port = await freePort();
    const startupMs = await startFleet({
      stack, n: 1, label: `dedupe-r${round}-${mode}`,
      env: {
        INGEST_REUSE: mode === 'off' ? 'off' : 'on', INGEST_CONCURRENCY: String(CONCURRENCY), INGEST_POOL_SIZE: String(POOL_SIZE),
        INGEST_THUMBNAIL_BUCKET: thumbnails, INGEST_HTTP_PORT: String(port),
      },
    }, daemons);
    const w0 = performance.now();
    const warm = await measureBatch(stack, daemons, [...probes.keys()], 180_000, `round ${round}, ${modeLabel(mode)}: the warm-up probes`);
    if (warm.timedOut) throw new Error(warm.timedOut);
    const warmupMs = performance.now() - w0;

    const before = await counters(port);
    const calls0 = standIn.requests.length;
    const m = await measureBatch(stack, daemons, keys, 600_000, `round ${round}, ${modeLabel(mode)}: all ${keys.length} files indexed`);
    { const last = Math.max(...m.batch.map((l) => l.at)); const t0 = last - m.wallMs;
      console.error(`TAIL ${mode}: ` + [...m.batch].sort((a, b) => a.at - b.at).slice(-8).map((l) => `${l.events.map((e) => e.key).join()} done@${((l.at - t0) / 1000).toFixed(1)} took ${(l.ms / 1000).toFixed(1)} ${JSON.stringify(l.events[0]?.steps)}`).join('\n  ')); }
    const after = await counters(port);
    const grew = (what: string) => after[what]! - before[what]!;
    const bedrock = bedrockUse(standIn, calls0);

    const wanted = new Set(keys);
    const events = m.batch.flatMap((l) => l.events.filter((e) => typeof e.key === 'string' && wanted.has(e.key) && e.outcome === 'done')) as Array<EventSummary & { reused?: ReusedSummary }>;
    const jobMs: Record<string, number> = {};
    for (const l of m.batch) for (const e of l.events) if (typeof e.key === 'string' && wanted.has(e.key) && e.outcome === 'done') jobMs[e.key] = l.ms;
    const reusedEvents = events.filter((e) => e.reused !== undefined);
    const stepSeconds: Record<string, number> = {};
    for (const e of events) for (const [step, ms] of Object.entries(e.steps ?? {})) if (typeof ms === 'number') stepSeconds[step] = (stepSeconds[step] ?? 0) + ms / 1000;

    const index = stack.recorder.documents(stack.index);
    const docs = new Map<string, Doc>();
    const thumbs = new Map<string, string | null>();
    for (const key of keys) {
      const doc = index.get(documentId(stack.bucket, key));
      if (doc === undefined) continue;
      docs.set(key, structuredClone(doc));
      thumbs.set(key, typeof doc.thumbnail_key === 'string' ? await sha256Of(stack, thumbnails, doc.thumbnail_key).catch(() => 'missing') : null);
    }

    const exits = await stopFleet(daemons);
    const c = await check(stack, dynamo, [...keys, ...probes.keys()], settledLines(daemons), exits);
    if (m.timedOut) c.problems.unshift(m.timedOut);
    if (bedrock.errors > 0) c.problems.push(`${bedrock.errors} Bedrock calls answered with an error`);
    if (mode === 'off' && reusedEvents.length > 0) c.problems.push(`${reusedEvents.length} events reused with INGEST_REUSE=off`);
    return {
      round, mode, keys, files: keys.length, startupMs, uploadMs, warmupMs, sendMs: m.sendMs, wallMs: m.wallMs,
      filesPerHour: (m.completed / m.wallMs) * 3_600_000,
      bedrock,
      pages: Object.fromEntries(['ocr', 'text-layer', 'blank', 'failed'].map((source) => [source, grew(source)])),
      reused: {
        events: reusedEvents.length,
        savedPages: reusedEvents.reduce((a, e) => a + e.reused!.savedPages, 0),
        savedBedrockTokens: reusedEvents.reduce((a, e) => a + e.reused!.savedBedrockTokens, 0),
      },
      reuseMetrics: {
        documents: grew('reusedDocuments'),
        savedPages: grew('savedPages'),
        savedBedrockTokens: grew('savedBedrockTokens'),
      },
      stepSeconds, jobMs, daemonCpuSeconds: m.daemonCpuSeconds, machineCpu: m.machineCpu,
      check: c, timedOut: m.timedOut, ok: c.problems.length === 0, docs, thumbnails: thumbs,
    };
  } finally {
    await killLeftovers(daemons);
    dynamo.destroy();
    await stack?.close();
    await standIn.close();
  }
}

// ---------------------------------------------------------------- documents compared

interface Comparison {
  what: string;
  /** counted towards the verdict (every comparison is) */
  pairs: number;
  /** field → documents that differ in it */
  mismatches: Record<string, number>;
  /** the first few, for the report */
  examples: string[];
}

/** Compares the documents of each pair field by field (all fields but the key-specific ones, and the thumbnail's bytes). */
function compare(what: string, pairs: ReadonlyArray<{ label: string; a: Run; aKey: string; b: Run; bKey: string }>, alsoIgnored: readonly string[] = []): Comparison {
  const mismatches: Record<string, number> = Object.fromEntries([...COMPARED, THUMBNAIL_BYTES].map((f) => [f, 0]));
  const examples: string[] = [];
  const miss = (field: string, label: string) => {
    mismatches[field] = (mismatches[field] ?? 0) + 1;
    if (examples.length < 10) examples.push(`${label}: ${field}`);
  };
  for (const { label, a, aKey, b, bKey } of pairs) {
    const x = a.docs.get(aKey);
    const y = b.docs.get(bKey);
    if (x === undefined || y === undefined) {
      miss('(document missing)', label);
      continue;
    }
    const fields = new Set([...Object.keys(x), ...Object.keys(y)].filter((f) => !KEY_SPECIFIC.includes(f) && !alsoIgnored.includes(f)));
    for (const field of fields) if (!isDeepStrictEqual(x[field], y[field])) miss(field, label);
    if (a.thumbnails.get(aKey) !== b.thumbnails.get(bKey)) miss(THUMBNAIL_BYTES, label);
  }
  return { what, pairs: pairs.length, mismatches, examples };
}

function comparisons(runs: readonly Run[], corpus: DedupeCorpus): Comparison[] {
  const reference = runs.find((r) => r.mode === 'off')!;
  const name = (r: Run) => `round ${r.round} ${modeLabel(r.mode)}`;
  const sameKey = (r: Run) => r.keys.map((key) => ({ label: `${key} (${name(r)} vs ${name(reference)})`, a: r, aKey: key, b: reference, bKey: key }));
  const copies = (r: Run) => corpus.files.filter((f) => f.copyOf !== null).map((f) => ({ label: `${f.key} vs ${f.copyOf} (${name(r)})`, a: r, aKey: f.key, b: r, bKey: f.copyOf! }));
  const on = runs.filter((r) => r.mode === 'on');
  const off = runs.filter((r) => r.mode === 'off');
  // the fixtures' variants must read as the fixture does (else they would not cost what it costs)
  const fixtures = corpus.files.filter((f) => f.copyOf === null && f.set === 1);
  const variants = corpus.files.filter((f) => f.copyOf === null && f.set > 1 && fixtures.some((x) => x.source === f.source) && FIXTURE_NAMES.test(f.source));
  const fixtureOf = (f: DedupeFile) => fixtures.find((x) => x.source === f.source)!.key;
  return [
    compare(`reuse on vs reuse off (round ${reference.round}), same key`, on.flatMap(sameKey)),
    compare('copy vs its original, reuse on', on.flatMap(copies)),
    compare(`control: reuse off (other rounds) vs reuse off (round ${reference.round}), same key`, off.filter((r) => r !== reference).flatMap(sameKey)),
    compare('control: copy vs its original, reuse off', off.flatMap(copies)),
    compare(`control: originals only vs reuse off (round ${reference.round}), same key`, runs.filter((r) => r.mode === 'originals').flatMap(sameKey)),
    compare(`control: fixture of set 2, 3, … vs set 1's, reuse off (round ${reference.round}), sha256 and size aside`, variants.map((f) => ({
      label: `${f.key} vs ${fixtureOf(f)} (${name(reference)})`, a: reference, aKey: f.key, b: reference, bKey: fixtureOf(f),
    })), ['sha256', 'size']),
  ];
}

// ---------------------------------------------------------------- verdict and report

interface Side {
  mode: Mode;
  runs: number;
  filesPerHour: number;
  wallMs: number;
  textCalls: number;
  imageCalls: number;
  inputTokens: number;
  ocrPages: number;
  textLayerPages: number;
  reusedEvents: number;
  savedPages: number;
  savedBedrockTokens: number;
  daemonCpuSeconds: number | null;
}

function side(runs: readonly Run[], mode: Mode): Side {
  const rs = runs.filter((r) => r.mode === mode);
  const med = (f: (r: Run) => number) => median(rs.map(f));
  const cpu = rs.map((r) => r.daemonCpuSeconds).filter((x): x is number => x !== null);
  return {
    mode, runs: rs.length, filesPerHour: med((r) => r.filesPerHour), wallMs: med((r) => r.wallMs),
    textCalls: med((r) => r.bedrock.textCalls), imageCalls: med((r) => r.bedrock.imageCalls), inputTokens: med((r) => r.bedrock.inputTokens),
    ocrPages: med((r) => r.pages.ocr ?? 0), textLayerPages: med((r) => r.pages['text-layer'] ?? 0),
    reusedEvents: med((r) => r.reused.events), savedPages: med((r) => r.reused.savedPages), savedBedrockTokens: med((r) => r.reused.savedBedrockTokens),
    daemonCpuSeconds: cpu.length === rs.length ? median(cpu) : null,
  };
}

interface Verdict {
  ratio: number;
  target: boolean;
  mismatches: number;
  lost: number;
  duplicates: number;
  problems: string[];
  /** INGEST_REUSE=on reused at least one event */
  reuseSeen: boolean;
  /** files/h(on) / files/h(off) within each round */
  perRound: number[];
  /** wall(off) / wall(originals only): the ratio if the copies cost nothing at all */
  idealRatio: number;
  /** wall(on) − wall(originals only): what the copies still cost, all of them together */
  copiesCostMs: number;
  pass: boolean;
}

function verdict(runs: readonly Run[], off: Side, on: Side, originals: Side, compared: readonly Comparison[], quick: boolean): Verdict {
  const problems = runs.flatMap((r) => r.check.problems.map((p) => `round ${r.round}, ${modeLabel(r.mode)}: ${p}`));
  const mismatches = compared.reduce((a, c) => a + Object.values(c.mismatches).reduce((x, y) => x + y, 0), 0);
  if (mismatches > 0) problems.push(`${mismatches} field mismatches between documents that must be identical (see "Documents compared")`);
  const ratio = on.filesPerHour / off.filesPerHour;
  const target = ratio >= TARGET_RATIO;
  return {
    ratio, target, mismatches, problems,
    lost: runs.reduce((a, r) => a + r.check.lost, 0), duplicates: runs.reduce((a, r) => a + r.check.duplicates, 0),
    reuseSeen: runs.some((r) => r.mode === 'on' && r.reused.events > 0),
    perRound: [...new Set(runs.map((r) => r.round))].map((round) => {
      const fph = (mode: Mode) => runs.find((r) => r.round === round && r.mode === mode)?.filesPerHour ?? Number.NaN;
      return fph('on') / fph('off');
    }),
    idealRatio: off.wallMs / originals.wallMs, copiesCostMs: on.wallMs - originals.wallMs,
    // a quick run is a smoke run: too short for its ratio to mean anything, so only its checks count
    pass: (target || quick) && problems.length === 0,
  };
}

const busy = (c: CpuShare | null) => (c === null ? 'n/a' : f2(c.own + c.other));
/** Cores used during the batch by neither the bench process nor the daemon (DynamoDB Local, anything else on the machine); null when unknown. */
const elsewhere = (r: Run): number | null => (r.machineCpu === null || r.daemonCpuSeconds === null ? null : Math.max(0, r.machineCpu.other - r.daemonCpuSeconds / (r.wallMs / 1000)));
const DISTURBED = 0.5;
const STEPS = ['download', 'detect', 'reuse', 'extract', 'embed', 'thumbnail', 'index', 'record'];

function report(o: {
  startedAt: Date; m: Machine; revision: string; cfg: Settings; corpus: DedupeCorpus; runs: Run[]; off: Side; on: Side; originalsOnly: Side; compared: Comparison[]; v: Verdict; totalMs: number;
}): string {
  const { cfg, corpus, runs, off, on, originalsOnly, compared, v } = o;
  const p: string[] = [];
  const add = (s = '') => p.push(s);
  const originals = corpus.files.filter((f) => f.copyOf === null);
  const copies = corpus.files.filter((f) => f.copyOf !== null);
  const share = copies.length / corpus.files.length;
  add('# Dedupe benchmark: copies cost nothing (INGEST_REUSE on against off)');
  add();
  add(`Generated by \`npm run bench:dedupe\` (bench/dedupe.ts${cfg.quick ? ' --quick' : ''}) on ${o.startedAt.toISOString()}; total ${secs(o.totalMs)}.${cfg.quick ? ' **Quick (smoke) run: a smaller corpus, one round.**' : ''}`);
  add();
  add(`- Machine: ${machineLine(o.m)}`);
  add(`- Code: ${o.revision}`);
  add(`- Reuse in effect: **${v.reuseSeen ? 'yes' : 'no'}** — ${v.reuseSeen ? `with INGEST_REUSE=on the daemon indexed ${on.reusedEvents} of ${copies.length} copies from an earlier extraction (median over the runs)` : 'no event was indexed from an earlier extraction with INGEST_REUSE=on: the daemon of this revision ignores the switch, so both sides did the same work and the ratio is about 1'}.`);
  add('- Servers (as in the tests): fauxqs (SQS + S3) and the OpenSearch recorder and the Bedrock stand-in in the bench process, DynamoDB Local (a JVM), all on loopback on the same machine as the daemon, which is the real `bin/spot-ingest run` spawned with environment variables only.');
  add();
  add('## Method');
  add();
  const perSource = new Map<string, number>();
  for (const f of copies) perSource.set(f.source, (perSource.get(f.source) ?? 0) + 1);
  const even = new Set(perSource.values()).size === 1 && perSource.size === new Set(originals.map((f) => f.source)).size;
  add(`- **Corpus**: the pipeline benchmark's mix (bench/lib/pipeline-corpus.ts: ${cfg.perSet < 20 ? `${cfg.perSet} of its 20 files, each kind keeping its share` : 'its 20 files'})${cfg.sets > 1 ? `, ${cfg.sets} times: set 1 is the pipeline corpus itself, sets 2–${cfg.sets} the same 20 files with other text in the generated ones (another seed of the same generator) and the 7 fixtures made different bytes their readers ignore (trailing bytes after a PDF, JPEG or TIFF, a tEXt chunk in the PNG, a ZIP comment in the Office files: the same cost, not copies)` : ''} — ${originals.length} originals under \`fs/<department>/<year of the set>/<name>\` — plus **${copies.length} byte-identical copies** under other keys (another folder such as archive/2024/ or users/tanaka/Desktop/, sometimes another name such as "<name> (1)", "<name>_copy" or "コピー ～ <name>", always the same extension): ${corpus.files.length} files, **${pct(share)} copies**${Math.abs(share - COPY_SHARE) > 1e-9 ? ` (the share nearest to ${pct(COPY_SHARE)} these originals allow)` : ''}. ${even ? `Every file of the mix has ${[...perSource.values()][0]} ${[...perSource.values()][0] === 1 ? 'copy (of one' : `copies (of ${[...perSource.values()][0]} distinct`} of its ${cfg.sets} variants, drawn with a seeded random, seed ${SEED}), so the copies follow the corpus mix exactly.` : `The copies are spread as evenly as the numbers allow over the mix's files; the files that get one more are drawn with a seeded random (seed ${SEED}) within each kind, each kind getting its share, so the copies follow the corpus mix by kind (table below) — but not by cost within a kind.`} All ${corpus.files.length} messages go out in one seeded shuffled order, copies interleaved with the originals (a copy may come before its original), the same order in every run.`);
  add(`- **Runs**: each on a fresh stack (queue + DLQ, bucket, state table created by \`spot-ingest setup\`, index with 1024-dimension vector fields, OpenSearch recorder: test/support/e2e-stack.ts), a thumbnail bucket (INGEST_THUMBNAIL_BUCKET: the thumbnails, the checkpoints and the content records too large for a state-table item), a fresh Bedrock stand-in and one fresh daemon. Three kinds of run: **INGEST_REUSE=off** and **INGEST_REUSE=on** with all ${corpus.files.length} files, and a reference, **originals only**: the ${originals.length} originals' messages alone with INGEST_REUSE=on — the time the whole corpus would take if the copies cost nothing. The daemon: INGEST_CONCURRENCY ${CONCURRENCY}, INGEST_POOL_SIZE ${POOL_SIZE} (this machine's cores), ${TEXT_MODEL} and ${IMAGE_MODEL} at ${DIMENSIONS} dimensions, LOG_LEVEL info, the defaults otherwise (OCR jpn+eng at 300 dpi, thumbnails 256 px); **the off and on runs differ in INGEST_REUSE only**.`);
  add(`- **Bedrock**: the stand-in (test/support/bedrock-stand-in.ts) speaks Bedrock's wire protocol and **holds every answer ${cfg.bedrockDelayMs} ms** (about what an InvokeModel embedding call takes from EC2); calls are counted there, by model, with the input tokens it bills (its countTokens over the text sent: one per CJK character plus one per four other characters). A text file or a PDF costs one text-model call; an image one text-model call for its OCR text and one image-model call.`);
  add(`- **Clock**: all objects are uploaded, the daemon is started and \`consuming\`, then warmed with ${CONCURRENCY} small distinct images (one per slot: its OCR threads load tesseract and the languages, off the clock); the clock runs from the first SendMessageBatch to the \`time\` of the last \`done\` outcome line. files/h = files / wall × 3600 s. ${cfg.rounds} round(s), the order of the three runs rotating (${Array.from({ length: cfg.rounds }, (_, i) => ROTATION[i % ROTATION.length]!.join('→')).join(', ')}); each side's **median** is used.`);
  add('- **Pages**: PDF and image pages the daemon read by OCR or from a text layer during the batch (its /metrics `spot_ingest_pages_total` by source). **Reused**: events whose outcome line carries `reused` (indexed from an earlier extraction of the same bytes), with the pages and Bedrock tokens they report saved; the daemon\'s `spot_ingest_reused_documents_total` and `spot_ingest_reuse_saved_*` counters are in the JSON.');
  add(`- **Documents compared**: the final document of every key (the recorder's index) compared field by field, all fields but the key-specific ones (${KEY_SPECIFIC.join(', ')}), plus the stored thumbnail's bytes: (1) every reuse-on run against the first reuse-off run, same key; (2) in every reuse-on run, each copy against its original; and as controls (the extraction itself must be deterministic for (1) to mean anything) (3) the other reuse-off runs against the first, (4) copies against originals in reuse-off runs, (5) the originals-only runs against the first reuse-off run${cfg.sets > 1 ? ', (6) each fixture of sets 2, 3, … against set 1\'s in the first reuse-off run, sha256 and size aside (the variants must read exactly as the fixture does)' : ''}. Target: 0 mismatches in all.`);
  add(`- **Checks** per run (bench/lib/daemon-fleet.ts, as bench:fleet): 0 lost (every key INDEXED in the state table and in the index; queue and DLQ empty), 0 duplicates (index operations per document beyond the first), every outcome \`done\`, exit 0 on SIGTERM, no Bedrock errors, no reuse with INGEST_REUSE=off.`);
  add(`- **Target**: files/h with reuse ≥ ${TARGET_RATIO} × files/h without, with 0 mismatches and every check passed.`);
  add();
  add(`## Corpus (${corpus.files.length} files: ${originals.length} originals + ${copies.length} copies)`);
  add();
  add(mdTable(['kind', 'copies of (×: copies of that file of the mix)', 'originals', 'copies'], KINDS.map((k) => {
    const cs = copies.filter((f) => f.kind === k);
    const counts = new Map<string, number>();
    for (const f of cs) counts.set(f.source, (counts.get(f.source) ?? 0) + 1);
    return [k, [...counts].map(([source, c]) => `${source} ×${c}`).join(', ') || '–', String(originals.filter((f) => f.kind === k).length), String(cs.length)];
  }), 2));
  add();
  add('<details><summary>Every key, in the order sent</summary>');
  add();
  const fileOf = new Map(corpus.files.map((f) => [f.key, f]));
  add(mdTable(['#', 'key', 'bytes of', 'what', 'set', 'KiB'], corpus.order.map((key, i) => {
    const f = fileOf.get(key)!;
    return [String(i + 1), `\`${key}\``, f.copyOf === null ? 'original' : `copy of \`${f.copyOf}\``, f.what, String(f.set), f0(f.bytes / 1024)];
  }), 4));
  add();
  add('</details>');
  add();
  add('## Results');
  add();
  add(mdTable(['side', 'runs', 'files', 'files/h (median)', 'wall (median)', 'Bedrock calls: text / image', 'Bedrock input tokens', 'OCR pages', 'text-layer pages', 'events reused', 'pages saved', 'tokens saved', 'daemon CPU (median)'],
    [off, on, originalsOnly].map((s) => [
      s.mode === 'originals' ? 'reference: originals only (INGEST_REUSE=on)' : `INGEST_REUSE=${s.mode}`, String(s.runs), String(s.mode === 'originals' ? originals.length : corpus.files.length),
      f0(s.filesPerHour), secs(s.wallMs), `${f0(s.textCalls)} / ${f0(s.imageCalls)}`, f0(s.inputTokens), f0(s.ocrPages), f0(s.textLayerPages),
      f0(s.reusedEvents), f0(s.savedPages), f0(s.savedBedrockTokens), s.daemonCpuSeconds === null ? 'n/a' : secs(s.daemonCpuSeconds * 1000),
    ])));
  add();
  add(`**files/h with reuse / without: ${f2(v.ratio)}×** (target ≥ ${TARGET_RATIO}×: **${v.target ? 'PASS' : 'FAIL'}**; the medians; round by round ${v.perRound.map((x) => `${f2(x)}×`).join(', ')}); Bedrock calls ${f0(on.textCalls + on.imageCalls)} against ${f0(off.textCalls + off.imageCalls)} (${pct((on.textCalls + on.imageCalls) / Math.max(1, off.textCalls + off.imageCalls))}), OCR pages ${f0(on.ocrPages)} against ${f0(off.ocrPages)}.`);
  add();
  const cpu = (x: number | null) => (x === null ? 'n/a' : secs(x * 1000));
  const cpuSaved = off.daemonCpuSeconds !== null && on.daemonCpuSeconds !== null ? 1 - on.daemonCpuSeconds / off.daemonCpuSeconds : null;
  const copyWork = off.daemonCpuSeconds !== null && originalsOnly.daemonCpuSeconds !== null ? 1 - originalsOnly.daemonCpuSeconds / off.daemonCpuSeconds : null;
  add(`**What "copies cost nothing" would give on this corpus**: the reference run sends the ${originals.length} originals only (same daemon settings, INGEST_REUSE=on; every lookup misses), taking ${secs(originalsOnly.wallMs)} (median). Were the ${copies.length} copies free, the ${corpus.files.length} files would take that long: ${secs(off.wallMs)} / ${secs(originalsOnly.wallMs)} = **${f2(v.idealRatio)}×** is the most reuse can reach here${v.idealRatio < TARGET_RATIO ? ` — below the ${TARGET_RATIO}× target: the copies drawn weigh less than ${pct(1 - 1 / TARGET_RATIO)} of the work` : ''}. With reuse the ${corpus.files.length} files took ${secs(on.wallMs)}: the copies still cost ${secs(v.copiesCostMs)} of wall time in all (${secs(v.copiesCostMs / Math.max(1, copies.length))} per copy), and the ratio reached ${pct((v.ratio - 1) / Math.max(1e-9, v.idealRatio - 1))} of the way from 1× to the ideal. Daemon CPU per batch: ${cpu(off.daemonCpuSeconds)} without reuse, ${cpu(on.daemonCpuSeconds)} with (${cpuSaved === null ? 'n/a' : pct(cpuSaved)} saved), ${cpu(originalsOnly.daemonCpuSeconds)} for the originals alone: the copies were ${copyWork === null ? 'n/a' : pct(copyWork)} of the daemon's work without reuse, for ${pct(share)} of the files. The wall-time ideal is below 1 / (1 − ${copyWork === null ? 'work share' : f2(copyWork)}) = ${copyWork === null ? 'n/a' : `${f2(1 / (1 - copyWork))}×`} because part of a batch's wall time does not shrink with its work: the ramp-up, the 200 ms Bedrock waits of the last jobs and the last files' tail, when fewer jobs than OCR threads are left.`);
  add();
  add('Every run:');
  add();
  add(mdTable(['round', 'run', 'files', 'wall', 'files/h', 'Bedrock calls text / image', 'input tokens', 'OCR pages', 'text-layer pages', 'reused (lines / metric)', 'pages saved', 'tokens saved', 'daemon CPU', 'machine busy cores', 'CPU bench / others / steal', 'cores used elsewhere', 'lost', 'dupl.', 'ok'],
    runs.map((r) => [
      String(r.round), modeLabel(r.mode), String(r.files), secs(r.wallMs), f0(r.filesPerHour), `${r.bedrock.textCalls} / ${r.bedrock.imageCalls}`, String(r.bedrock.inputTokens),
      String(r.pages.ocr ?? 0), String(r.pages['text-layer'] ?? 0), `${r.reused.events} / ${r.reuseMetrics.documents}`, String(r.reused.savedPages), String(r.reused.savedBedrockTokens),
      r.daemonCpuSeconds === null ? 'n/a' : `${f1(r.daemonCpuSeconds)} s`, busy(r.machineCpu), cpuText(r.machineCpu), elsewhere(r) === null ? 'n/a' : f2(elsewhere(r)!), String(r.check.lost), String(r.check.duplicates), r.ok ? 'yes' : '**NO**',
    ]), 2));
  add();
  add('"CPU bench / others / steal": cores used during the batch by the bench process (fauxqs, the recorder, the stand-in), by all other processes (the daemon among them) and taken by the hypervisor; "cores used elsewhere" = others − the daemon\'s own CPU (/proc/<pid>/stat): DynamoDB Local and anything else running on the machine.');
  add();
  const disturbed = runs.filter((r) => (elsewhere(r) ?? 0) > DISTURBED);
  if (disturbed.length > 0) {
    add(`**Disturbed runs**: more than ${DISTURBED} cores went to other work during ${disturbed.map((r) => `round ${r.round} ${modeLabel(r.mode)} (${f2(elsewhere(r)!)})`).join(', ')}; their files/h are lower than on a quiet machine.`);
    add();
  }
  add('Where the slots\' time went (Σ over the batch\'s events of each pipeline step, seconds, median of the runs; "reuse" is the content lookup, and the wait for a copy in flight):');
  add();
  add(mdTable(['side', ...STEPS], [off, on, originalsOnly].map((s) => [
    modeLabel(s.mode), ...STEPS.map((step) => {
      const xs = runs.filter((r) => r.mode === s.mode).map((r) => r.stepSeconds[step] ?? 0);
      return f1(median(xs));
    }),
  ])));
  add();
  add(`Per run: ${runs.map((r) => `round ${r.round} ${modeLabel(r.mode)}: start-up ${secs(r.startupMs)}, upload ${secs(r.uploadMs)}, warm-up ${secs(r.warmupMs)}, send ${secs(r.sendMs)}, Bedrock calls by model ${JSON.stringify(r.bedrock.calls)}, exits ${r.check.exitCodes.join(', ')}`).join('; ')}.`);
  add();
  add('## Documents compared');
  add();
  const fields = [...new Set(compared.flatMap((c) => Object.keys(c.mismatches)))];
  add(mdTable(['field', ...compared.map((c) => `${c.what} (${c.pairs} pairs)`)], fields.map((f) => [f, ...compared.map((c) => String(c.mismatches[f] ?? 0))])));
  add();
  const examples = compared.flatMap((c) => c.examples);
  add(examples.length === 0 ? `0 mismatches: ${compared.reduce((a, c) => a + c.pairs, 0)} document pairs identical in every field but the key-specific ones.` : `Mismatches (first ones): ${examples.slice(0, 10).join('; ')}.`);
  const withText = runs.flatMap((r) => [...r.docs.values()]).filter((d) => Array.isArray(d.text_embedding)).length;
  const withImage = runs.flatMap((r) => [...r.docs.values()]).filter((d) => Array.isArray(d.image_embedding)).length;
  add();
  add(`(Over all runs, ${withText} documents carried a text vector and ${withImage} an image vector, so the vectors were compared too.)`);
  add();
  add('## Verdict');
  add();
  add(`- files/h with reuse ≥ ${TARGET_RATIO} × without: **${cfg.quick ? 'not judged (quick run)' : v.target ? 'PASS' : 'FAIL'}** (${f0(on.filesPerHour)} against ${f0(off.filesPerHour)} files/h, ${f2(v.ratio)}×; round by round ${v.perRound.map((x) => `${f2(x)}×`).join(', ')}; at most ${f2(v.idealRatio)}× if the copies cost nothing)`);
  add(`- Documents identical apart from key-specific fields: **${v.mismatches === 0 ? 'PASS' : 'FAIL'}** (${v.mismatches} mismatches)`);
  add(`- Lost: **${v.lost}**, duplicates: **${v.duplicates}**; every message done and clean exits: **${runs.every((r) => r.ok) ? 'yes' : 'no'}**`);
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
  add(`- The gain depends on the share of copies and on what is copied: a copy saves what its original cost (OCR above all, then the Bedrock calls and the text extraction), and still costs its download, hashing, type detection, the content lookup, the thumbnail upload, the index write and the state record. With ${pct(share)} copies, if a copy cost nothing and the copies cost on average what the originals do, the ratio would be 1 / (1 − ${f2(share)}) = ${f2(1 / (1 - share))}×; copies of scanned documents save more, copies of text files less.`);
  add('- One daemon: copies in flight on different daemons may both extract (the content record\'s first writer wins and both index its result), so a fleet saves a little less than one daemon when copies arrive together.');
  add('- Real AWS latencies for S3, DynamoDB and OpenSearch (loopback stand-ins here, no added latency); Bedrock is a fixed delay without throttling. Real latency on the per-file steps a copy still does would lower the ratio; slower or throttled Bedrock calls would raise it.');
  add(`- A steady state: the batch is ${corpus.files.length} files (${secs(off.wallMs)} without reuse), so the ramp-up and the last files' tail, when fewer jobs than slots are left, are part of the wall time of every run, which pulls the ratio towards 1; in a long migration they are negligible. The originals-only reference has the same tail. This is why the default corpus is 6 sets (200 files): at 3 sets (100 files, \`--sets 3\`) the full runs on this machine gave 1.43–1.55× from run to run.`);
  add();
  add('Raw numbers: bench/results/dedupe.json.');
  add();
  return p.join('\n');
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const cfg = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  const wall0 = performance.now();
  const m = machine();
  const dir = await mkdtemp(join(tmpdir(), 'spot-ingest-bench-dedupe-'));
  const runs: Run[] = [];
  try {
    await mkdir(join(dir, 'corpus'));
    const corpus = await makeDedupeCorpus(join(dir, 'corpus'), cfg);
    const copies = corpus.files.filter((f) => f.copyOf !== null).length;
    log(`dedupe benchmark${cfg.quick ? ' (quick)' : ''}: ${corpus.files.length} files (${corpus.files.length - copies} originals + ${copies} copies, ${pct(copies / corpus.files.length)}), ` +
      `${(corpus.files.reduce((a, f) => a + f.bytes, 0) / 2 ** 20).toFixed(1)} MiB, pipeline corpus made in ${secs(corpus.makeMs)}; ${cfg.rounds} round(s), Bedrock stand-in ${cfg.bedrockDelayMs} ms per call`);
    const probes = new Map<string, Buffer>();
    for (let i = 0; i < CONCURRENCY; i++) probes.set(`warmup/probe-${i}.png`, await greyPng(renderScan([`起動時間の測定 warm-up probe ${i + 1}`], { width: 1400, height: 400 })));
    log('starting fauxqs and DynamoDB Local');
    await globalSetup();
    try {
      for (let round = 1; round <= cfg.rounds; round++) {
        const order = ROTATION[(round - 1) % ROTATION.length]!;
        for (const mode of order) {
          const t0 = performance.now();
          const r = await runOnce(round, mode, cfg, corpus, probes);
          runs.push(r);
          log(`round ${round}, ${modeLabel(mode)}: ${r.files} files in ${secs(r.wallMs)} = ${f0(r.filesPerHour)} files/h; Bedrock text ${r.bedrock.textCalls} / image ${r.bedrock.imageCalls} calls, ` +
            `${r.bedrock.inputTokens} tokens; OCR pages ${r.pages.ocr ?? 0}; reused ${r.reused.events} (saved ${r.reused.savedPages} pages, ${r.reused.savedBedrockTokens} tokens); ` +
            `lost ${r.check.lost}, duplicates ${r.check.duplicates} [${secs(performance.now() - t0)}]${r.ok ? '' : `\n  PROBLEMS: ${r.check.problems.join('; ')}`}`);
        }
      }
    } finally {
      await globalTeardown();
    }
    const off = side(runs, 'off');
    const on = side(runs, 'on');
    const originals = side(runs, 'originals');
    const compared = comparisons(runs, corpus);
    const v = verdict(runs, off, on, originals, compared, cfg.quick);
    const totalMs = performance.now() - wall0;
    const revision = codeRevision();
    log('');
    log(textTable(['side', 'wall', 'files/h', 'Bedrock text', 'image', 'tokens', 'OCR pages', 'reused'], [off, on, originals].map((s) => [
      modeLabel(s.mode), secs(s.wallMs), f0(s.filesPerHour), f0(s.textCalls), f0(s.imageCalls), f0(s.inputTokens), f0(s.ocrPages), f0(s.reusedEvents),
    ])));
    log('');
    for (const c of compared) log(`${c.what}: ${c.pairs} pairs, ${Object.values(c.mismatches).reduce((a, b) => a + b, 0)} mismatches${c.examples.length > 0 ? ` (${c.examples.slice(0, 3).join('; ')})` : ''}`);
    await writeResults('dedupe', report({ startedAt, m, revision, cfg, corpus, runs, off, on, originalsOnly: originals, compared, v, totalMs }), {
      date: startedAt.toISOString(), revision, quick: cfg.quick, machine: m,
      settings: { ...cfg, seed: SEED, pipelineCorpusSeed: PIPELINE_CORPUS_SEED, copyShare: COPY_SHARE, concurrency: CONCURRENCY, poolSize: POOL_SIZE, textModel: TEXT_MODEL, imageModel: IMAGE_MODEL, dimensions: DIMENSIONS },
      targetRatio: TARGET_RATIO, keySpecificFields: KEY_SPECIFIC,
      corpus: { files: corpus.files, order: corpus.order },
      sides: { off, on, originals }, verdict: v, comparisons: compared,
      runs: runs.map(({ docs: _docs, thumbnails: _thumbnails, ...r }) => r),
      totalMs,
    });
    log(`files/h with reuse / without: ${f2(v.ratio)}× (round by round ${v.perRound.map((x) => `${f2(x)}×`).join(', ')}; target ≥ ${TARGET_RATIO}×: ${cfg.quick ? 'not judged (quick run)' : v.target ? 'PASS' : 'FAIL'}; if copies cost nothing: ${f2(v.idealRatio)}×); mismatches ${v.mismatches}, lost ${v.lost}, duplicates ${v.duplicates}; reuse in effect: ${v.reuseSeen ? 'yes' : 'no'}; overall ${v.pass ? 'PASS' : 'FAIL'}; total ${secs(totalMs)}`);
    log('wrote bench/results/dedupe.md and bench/results/dedupe.json');
    if (!v.pass) process.exitCode = 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

runMain(main);
