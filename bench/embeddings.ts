/**
 * npm run bench:embed — how spot-ingest's Bedrock embedder copes with throttling, against the plain
 * SDK client a hand-rolled worker would use, same run, same corpus, same machine, with the real AWS
 * SDK against the Bedrock stand-in (test/support/bedrock-stand-in.ts, loopback HTTP/1.1, in this
 * process).
 *
 * Sides (a fresh client for every run; the stand-in is reset before every run):
 *   spot-ingest:  createBedrockRuntimeClient (src/adapters/embedder/bedrock-client.ts: adaptive retry
 *                 mode, maxAttempts 5, NodeHttpHandler keep-alive) + BedrockEmbedder.embedText with
 *                 resolveModel('amazon.titan-embed-text-v2:0', 256) — what the daemon builds;
 *   plain SDK:    `new BedrockRuntimeClient({...})` with the SDK defaults (standard retry mode,
 *                 3 attempts) over a default NodeHttpHandler, sending InvokeModel with the same body
 *                 (textRequestBody) and parsing the answer with the same parseEmbeddingResponse;
 *   plain SDK ×5: the same with maxAttempts 5, to separate "more attempts" from "adaptive rate".
 *
 * Corpus: TEXTS short mixed Japanese/English texts (2–4 lines from bench/lib/documents.ts's seeded
 * sentences, each starting with a unique title), embedded CONCURRENCY at a time by workers pulling
 * from one queue. Throttled scenario: the stand-in allows RATE requests/s (token bucket, burst = one
 * second's worth) and answers 429 ThrottlingException to the rest; THROTTLED_ROUNDS rounds, the side
 * order rotated each round. Unthrottled scenario: no limit, UNTHROTTLED_ROUNDS rounds. A text the SDK
 * gives up on is counted as failed and not sent again (in the daemon it would become a message retry).
 *
 * Writes bench/results/embeddings.md (report) and bench/results/embeddings.json (raw numbers).
 */
import { BedrockRuntimeClient, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { parseEmbeddingResponse, textRequestBody } from '../src/adapters/embedder/bedrock-bodies.ts';
import { createBedrockRuntimeClient } from '../src/adapters/embedder/bedrock-client.ts';
import { BedrockEmbedder } from '../src/adapters/embedder/bedrock.ts';
import { resolveModel } from '../src/adapters/embedder/models.ts';
import { prepareText } from '../src/adapters/embedder/prepare-text.ts';
import { isIngestError } from '../src/core/errors.ts';
import { startBedrockStandIn, type BedrockStandIn } from '../test/support/bedrock-stand-in.ts';
import { pageLines } from './lib/documents.ts';
import {
  codeRevision, cpuText, cpuWindow, disturbedNote, f0, f1, f2, log, machine, machineLine, mdTable, median, packageVersion, pct, percentile, secs, textTable,
  writeResults, type CpuShare, type Machine,
} from './lib/report.ts';
import { runMain } from './lib/run-main.ts';
import { seededRandom } from './lib/stats.ts';

const TEXTS = 400;
const CONCURRENCY = 16;
const RATE = 25;
const THROTTLED_ROUNDS = 3;
const UNTHROTTLED_ROUNDS = 5;
const WARMUP_TEXTS = 64;
const SEED = 20_261_125;
const MODEL = resolveModel('amazon.titan-embed-text-v2:0', 256);
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const REGION = 'us-east-1';
/** A run that has not finished by then is aborted (every call still in flight rejects). */
const RUN_TIMEOUT_MS = 120_000;

// ---------------------------------------------------------------- sides

interface Embedding {
  embed(text: string, signal: AbortSignal): Promise<void>;
  /** Throttled attempts the client itself reported (spot-ingest's onThrottle); null when it has no such hook. */
  throttlesSeen(): number | null;
  destroy(): void;
}

interface Side {
  key: string;
  label: string;
  settings: string;
  maxAttempts: number;
  make(url: string): Embedding;
}

const spotIngest: Side = {
  key: 'spot-ingest',
  label: 'spot-ingest BedrockEmbedder',
  settings: 'createBedrockRuntimeClient: retryMode adaptive, maxAttempts 5, NodeHttpHandler (keep-alive, maxSockets 64)',
  maxAttempts: 5,
  make(url) {
    let throttles = 0;
    const client = createBedrockRuntimeClient({
      env: { AWS_ENDPOINT_URL_BEDROCK_RUNTIME: url },
      credentials: CREDENTIALS,
      region: REGION,
      onThrottle: () => (throttles += 1),
    });
    const embedder = new BedrockEmbedder({ client, model: MODEL });
    return {
      embed: async (text, signal) => {
        await embedder.embedText(text, 'document', { signal });
      },
      throttlesSeen: () => throttles,
      destroy: () => client.destroy(),
    };
  },
};

function plainSdk(maxAttempts?: number): Side {
  return {
    key: maxAttempts === undefined ? 'plain-sdk' : `plain-sdk-${maxAttempts}`,
    label: maxAttempts === undefined ? 'plain SDK client (defaults)' : `plain SDK client, maxAttempts ${maxAttempts}`,
    settings: `new BedrockRuntimeClient: retryMode standard (default), maxAttempts ${maxAttempts ?? '3 (default)'}, new NodeHttpHandler() (defaults)`,
    maxAttempts: maxAttempts ?? 3,
    make(url) {
      const client = new BedrockRuntimeClient({
        region: REGION,
        endpoint: url,
        credentials: CREDENTIALS,
        requestHandler: new NodeHttpHandler(),
        ...(maxAttempts === undefined ? {} : { maxAttempts }),
      });
      return {
        embed: async (text, signal) => {
          const command = new InvokeModelCommand({
            modelId: MODEL.id, body: textRequestBody(MODEL, text, 'document'), contentType: 'application/json', accept: 'application/json',
          });
          const output = await client.send(command, { abortSignal: signal });
          parseEmbeddingResponse(MODEL, output.body);
        },
        throttlesSeen: () => null,
        destroy: () => client.destroy(),
      };
    },
  };
}

// ---------------------------------------------------------------- corpus

/** Short mixed texts: a unique title line (社内資料 第N号…) and 1–3 sentences, about one in four English. */
function makeCorpus(n: number): string[] {
  const random = seededRandom(SEED);
  return Array.from({ length: n }, (_, i) => pageLines(SEED, i, 2 + Math.floor(random() * 3)).join('\n'));
}

// ---------------------------------------------------------------- one run

interface Run {
  side: string;
  label: string;
  scenario: 'throttled' | 'unthrottled';
  round: number;
  texts: number;
  wallMs: number;
  /** when 95 % of the texts had their outcome (embedded or given up), ms from the start: wall − this = the tail */
  time95Ms: number;
  embedded: number;
  failed: number;
  /** why texts failed: IngestError code or SDK error name → count */
  failures: Record<string, number>;
  /** requests the stand-in received, and its answers by status */
  requests: number;
  statuses: Record<string, number>;
  throttled: number;
  /** throttled attempts reported by the client's own hook (spot-ingest only) */
  throttlesSeenByClient: number | null;
  requestsPerEmbedded: number;
  /** successes per second of wall time */
  embeddedPerSecond: number;
  /** requests sent per second of wall time */
  requestsPerSecond: number;
  /** per text, from the worker taking it to the answer (queueing inside the SDK, backoff and retries included), ms */
  latency: { p50: number; p95: number; max: number; mean: number };
  /** failed texts: time until the SDK gave up, ms */
  giveUp: { p50: number; max: number } | null;
  /** texts by the number of requests the stand-in saw for them (key "1", "2", …) */
  attemptsPerText: Record<string, number>;
  /** failed texts that got fewer requests than maxAttempts (the SDK's retry quota ran out) */
  failedBeforeMaxAttempts: number;
  /** per second of the run: requests answered 200 and 429 */
  timeline: { ok: number[]; throttled: number[] };
  cpu: CpuShare | null;
  problems: string[];
}

async function runSide(side: Side, scenario: Run['scenario'], round: number, corpus: readonly string[], standIn: BedrockStandIn): Promise<Run> {
  standIn.reset();
  const embedding = side.make(standIn.url);
  const latencies: number[] = [];
  const giveUps: number[] = [];
  const doneAt: number[] = [];
  const failures: Record<string, number> = {};
  const problems: string[] = [];
  let embedded = 0;
  let next = 0;
  const signal = AbortSignal.timeout(RUN_TIMEOUT_MS);
  const cpuMeter = cpuWindow();
  const startedAtEpoch = Date.now();
  if (scenario === 'throttled') standIn.throttle({ ratePerSecond: RATE }); // the bucket starts full: one second's burst
  const t0 = performance.now();
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < corpus.length) {
        const text = corpus[next++]!;
        const t = performance.now();
        try {
          await embedding.embed(text, signal);
          latencies.push(performance.now() - t);
          embedded += 1;
        } catch (err) {
          giveUps.push(performance.now() - t);
          const why = isIngestError(err) ? err.code : err instanceof Error ? err.name : String(err);
          failures[why] = (failures[why] ?? 0) + 1;
        }
        doneAt.push(performance.now() - t0);
      }
    }));
  } finally {
    embedding.destroy();
  }
  const wallMs = performance.now() - t0;
  const cpu = cpuMeter.stop();

  const requests = [...standIn.requests];
  const statuses: Record<string, number> = {};
  for (const [status, count] of Object.entries(standIn.counts())) statuses[status] = count;
  const throttled = statuses['429'] ?? 0;
  const perText = new Map<string, number>();
  for (const r of requests) {
    const key = (r.body as { inputText?: string } | undefined)?.inputText ?? '';
    perText.set(key, (perText.get(key) ?? 0) + 1);
  }
  const attemptsPerText: Record<string, number> = {};
  for (const text of corpus) {
    const k = String(perText.get(text) ?? 0);
    attemptsPerText[k] = (attemptsPerText[k] ?? 0) + 1;
  }
  const failed = corpus.length - embedded;
  // a failed text got 200 never; it got maxAttempts requests unless the retry quota (or an abort) cut it short
  const failedBeforeMaxAttempts = failed === 0 ? 0 : corpus.filter((text) => {
    const n = perText.get(text) ?? 0;
    const ok = requests.some((r) => r.status === 200 && (r.body as { inputText?: string } | undefined)?.inputText === text);
    return !ok && n < side.maxAttempts;
  }).length;
  const seconds = Math.max(1, Math.ceil(wallMs / 1000));
  const timeline = { ok: new Array<number>(seconds).fill(0), throttled: new Array<number>(seconds).fill(0) };
  for (const r of requests) {
    const s = Math.min(seconds - 1, Math.max(0, Math.floor((r.at - startedAtEpoch) / 1000)));
    if (r.status === 200) timeline.ok[s]! += 1;
    else if (r.status === 429) timeline.throttled[s]! += 1;
  }

  const other = Object.entries(statuses).filter(([s]) => s !== '200' && s !== '429');
  if (other.length > 0) problems.push(`unexpected answers from the stand-in: ${other.map(([s, n]) => `${n}× ${s}`).join(', ')}`);
  if (requests.length !== corpus.length && scenario === 'unthrottled') problems.push(`${requests.length} requests for ${corpus.length} texts without throttling`);
  if (scenario === 'unthrottled' && failed > 0) problems.push(`${failed} texts failed without throttling`);
  if (signal.aborted) problems.push(`run aborted after ${RUN_TIMEOUT_MS} ms`);
  if (failures.TimeoutError || failures.AbortError) problems.push('calls were aborted by the run timeout');
  const seen = embedding.throttlesSeen();
  if (seen !== null && seen !== throttled) problems.push(`the client's onThrottle hook saw ${seen} throttled attempts, the stand-in answered ${throttled} 429s`);
  const unknown = [...perText.keys()].filter((k) => !corpus.includes(k));
  if (unknown.length > 0) problems.push(`${unknown.length} requests carried a text not in the corpus (the body differs between sides?)`);

  return {
    side: side.key, label: side.label, scenario, round, texts: corpus.length, wallMs, time95Ms: percentile(doneAt, 95), embedded, failed, failures,
    requests: requests.length, statuses, throttled, throttlesSeenByClient: seen,
    requestsPerEmbedded: embedded > 0 ? requests.length / embedded : Number.NaN,
    embeddedPerSecond: (embedded / wallMs) * 1000,
    requestsPerSecond: (requests.length / wallMs) * 1000,
    latency: {
      p50: percentile(latencies, 50), p95: percentile(latencies, 95), max: percentile(latencies, 100),
      mean: latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length),
    },
    giveUp: giveUps.length > 0 ? { p50: percentile(giveUps, 50), max: percentile(giveUps, 100) } : null,
    attemptsPerText, failedBeforeMaxAttempts, timeline, cpu, problems,
  };
}

// ---------------------------------------------------------------- summaries

interface Summary {
  side: string;
  label: string;
  settings: string;
  scenario: Run['scenario'];
  rounds: number;
  /** medians over the rounds, and [min, max] */
  wallMs: number;
  wallRange: [number, number];
  time95Ms: number;
  embedded: number;
  failed: number;
  failedRange: [number, number];
  requests: number;
  throttled: number;
  throttledRange: [number, number];
  requestsPerEmbedded: number;
  embeddedPerSecond: number;
  latencyP50: number;
  latencyP95: number;
  latencyMean: number;
  latencyMax: number;
  failedBeforeMaxAttempts: number;
}

function summarise(side: Side, runs: Run[]): Summary {
  const range = (xs: number[]): [number, number] => [Math.min(...xs), Math.max(...xs)];
  const of = (f: (r: Run) => number) => runs.map(f);
  return {
    side: side.key, label: side.label, settings: side.settings, scenario: runs[0]!.scenario, rounds: runs.length,
    wallMs: median(of((r) => r.wallMs)), wallRange: range(of((r) => r.wallMs)),
    time95Ms: median(of((r) => r.time95Ms)),
    embedded: median(of((r) => r.embedded)),
    failed: median(of((r) => r.failed)), failedRange: range(of((r) => r.failed)),
    requests: median(of((r) => r.requests)),
    throttled: median(of((r) => r.throttled)), throttledRange: range(of((r) => r.throttled)),
    requestsPerEmbedded: median(of((r) => r.requestsPerEmbedded)),
    embeddedPerSecond: median(of((r) => r.embeddedPerSecond)),
    latencyP50: median(of((r) => r.latency.p50)),
    latencyP95: median(of((r) => r.latency.p95)),
    latencyMean: median(of((r) => r.latency.mean)),
    latencyMax: median(of((r) => r.latency.max)),
    failedBeforeMaxAttempts: median(of((r) => r.failedBeforeMaxAttempts)),
  };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const startedAt = new Date();
  const wall0 = performance.now();
  const m = machine();
  const corpus = makeCorpus(TEXTS);
  const unique = new Set(corpus).size;
  const preparedSame = corpus.every((t) => prepareText(t, MODEL).text === t);
  if (unique !== TEXTS || !preparedSame) throw new Error(`corpus: ${unique} unique texts of ${TEXTS}; prepareText leaves every text unchanged: ${preparedSame}`);
  const chars = corpus.map((t) => t.length);
  const englishLines = corpus.flatMap((t) => t.split('\n').slice(1)).filter((l) => /^[\x20-\x7e]+$/.test(l)).length;
  const bodyLines = corpus.reduce((a, t) => a + t.split('\n').length - 1, 0);

  const sides: Side[] = [spotIngest, plainSdk(), plainSdk(5)];
  const standIn = await startBedrockStandIn();
  const runs: Run[] = [];
  try {
    log(`Bedrock stand-in at ${standIn.url}; corpus ${TEXTS} texts (${f0(median(chars))} characters median), ${CONCURRENCY} in flight`);
    log(`warm-up: ${WARMUP_TEXTS} texts per side, unthrottled (not reported)`);
    for (const side of sides) await runSide(side, 'unthrottled', 0, corpus.slice(0, WARMUP_TEXTS), standIn);

    for (let round = 1; round <= UNTHROTTLED_ROUNDS; round++) {
      for (const side of rotate(sides, round - 1)) {
        const r = await runSide(side, 'unthrottled', round, corpus, standIn);
        log(`unthrottled round ${round}/${UNTHROTTLED_ROUNDS} ${side.label}: ${secs(r.wallMs)}, ${r.embedded} embedded, ${r.requests} requests, p50 ${f1(r.latency.p50)} ms p95 ${f1(r.latency.p95)} ms${r.problems.length > 0 ? `  PROBLEMS: ${r.problems.join('; ')}` : ''}`);
        runs.push(r);
      }
    }
    for (let round = 1; round <= THROTTLED_ROUNDS; round++) {
      for (const side of rotate(sides, round - 1)) {
        const r = await runSide(side, 'throttled', round, corpus, standIn);
        log(`throttled ${RATE}/s round ${round}/${THROTTLED_ROUNDS} ${side.label}: ${secs(r.wallMs)}, ${r.embedded} embedded, ${r.failed} failed, ${r.requests} requests (${r.throttled}× 429), ${f2(r.requestsPerEmbedded)} requests/text, p50 ${secs(r.latency.p50)} p95 ${secs(r.latency.p95)}${r.problems.length > 0 ? `  PROBLEMS: ${r.problems.join('; ')}` : ''}`);
        runs.push(r);
      }
    }
  } finally {
    await standIn.close();
  }

  const pick = (side: Side, scenario: Run['scenario']) => runs.filter((r) => r.side === side.key && r.scenario === scenario);
  const throttled = sides.map((s) => summarise(s, pick(s, 'throttled')));
  const unthrottled = sides.map((s) => summarise(s, pick(s, 'unthrottled')));
  const versions = {
    clientBedrockRuntime: await packageVersion('@aws-sdk/client-bedrock-runtime'),
    smithyCore: await packageVersion('@smithy/core'),
    nodeHttpHandler: await packageVersion('@smithy/node-http-handler'),
  };
  const settings = {
    texts: TEXTS, concurrency: CONCURRENCY, ratePerSecond: RATE, burst: RATE, throttledRounds: THROTTLED_ROUNDS, unthrottledRounds: UNTHROTTLED_ROUNDS,
    warmupTexts: WARMUP_TEXTS, seed: SEED, model: MODEL.id, dimensions: MODEL.dimensions, region: REGION, runTimeoutMs: RUN_TIMEOUT_MS,
    corpus: { charsMedian: median(chars), charsMin: Math.min(...chars), charsMax: Math.max(...chars), englishLines, bodyLines, unique, preparedTextUnchanged: preparedSame },
    sides: sides.map(({ key, label, settings: s, maxAttempts }) => ({ key, label, settings: s, maxAttempts })),
    standIn: 'test/support/bedrock-stand-in.ts in this process (shares the event loop and the CPU with the clients), loopback HTTP/1.1, no added latency',
  };
  const ok = runs.every((r) => r.problems.length === 0);
  const totalMs = performance.now() - wall0;

  log('');
  log(`throttled at ${RATE} requests/s (burst ${RATE}), ${TEXTS} texts, ${CONCURRENCY} in flight; medians over ${THROTTLED_ROUNDS} rounds`);
  log(textTable(['side', 'wall', 'embedded', 'failed', 'requests', '429s', 'req/embedded', 'p50', 'p95'], throttled.map((s) => [
    s.label, secs(s.wallMs), f0(s.embedded), f0(s.failed), f0(s.requests), f0(s.throttled), f2(s.requestsPerEmbedded), secs(s.latencyP50), secs(s.latencyP95),
  ])));
  log('');
  log(`unthrottled, medians over ${UNTHROTTLED_ROUNDS} rounds`);
  log(textTable(['side', 'wall', 'embedded', 'requests', 'p50 ms', 'p95 ms'], unthrottled.map((s) => [
    s.label, secs(s.wallMs), f0(s.embedded), f0(s.requests), f1(s.latencyP50), f1(s.latencyP95),
  ])));
  log('');
  for (const line of conclusions(throttled, unthrottled, runs)) log(`- ${line.replace(/\*\*/g, '')}`);
  log(`total bench time ${secs(totalMs)}`);

  await writeResults('embeddings', report({ startedAt, m, versions, corpus, englishLines, bodyLines, sides, runs, throttled, unthrottled, totalMs }), {
    date: startedAt.toISOString(), machine: m, code: codeRevision(), versions, settings, summaries: { throttled, unthrottled }, runs, ok, totalMs,
  });
  log('wrote bench/results/embeddings.md and bench/results/embeddings.json');
  if (!ok) process.exitCode = 1;
}

function rotate<T>(xs: readonly T[], by: number): T[] {
  return xs.map((_, i) => xs[(i + by) % xs.length]!);
}

// ---------------------------------------------------------------- report

/** The reading of the numbers, derived from them (so it stays true when the numbers change). */
function conclusions(throttled: Summary[], unthrottled: Summary[], runs: Run[]): string[] {
  const [ours, plain, plain5] = throttled as [Summary, Summary, Summary];
  const out: string[] = [];
  const cmp = (a: number, b: number, less: string, more: string, same = 'as') => (a < b ? less : a > b ? more : same);
  const times = (a: number, b: number) => (b === 0 ? '∞' : `${f2(a / b)}×`);
  const ideal = ((TEXTS - RATE) / RATE) * 1000;
  const failedText = (x: Summary) => `${f0(x.failed)} (range ${x.failedRange[0]}–${x.failedRange[1]}${x.failedBeforeMaxAttempts > 0 ? `; ${f0(x.failedBeforeMaxAttempts)} of them before maxAttempts, the retry quota being spent` : ''})`;

  out.push(`**Failed texts** (the SDK gave up; each would fail its file's message in the daemon): spot-ingest ${failedText(ours)}, plain SDK defaults ${failedText(plain)}, plain SDK with 5 attempts ${failedText(plain5)}, of ${TEXTS}.`);
  out.push(`**Requests and 429s**: spot-ingest sent ${f0(ours.requests)} requests (${f2(ours.requestsPerEmbedded)} per embedded text), ${f0(ours.throttled)} of them answered 429; the plain defaults ${f0(plain.requests)} (${f2(plain.requestsPerEmbedded)}), ${f0(plain.throttled)}× 429; standard mode with 5 attempts ${f0(plain5.requests)} (${f2(plain5.requestsPerEmbedded)}), ${f0(plain5.throttled)}× 429. Spot-ingest drew ${times(plain.throttled, ours.throttled)} ${cmp(ours.throttled, plain.throttled, 'fewer', 'more')} 429s than the defaults and ${times(plain5.throttled, ours.throttled)} ${cmp(ours.throttled, plain5.throttled, 'fewer', 'more')} than standard mode with the same attempts${ours.throttled < plain5.throttled && plain5.failed < plain.failed ? `: more attempts alone remove ${plain5.failedRange[1] === 0 ? 'the failures' : `most of the failures (at most ${plain5.failedRange[1]} in a round)`} but not the hammering; the adaptive limiter is what removes the 429s` : ''}.`);
  const tail = (x: Summary) => `${secs(x.wallMs)}, 95 % of the texts done at ${secs(x.time95Ms)}`;
  out.push(`**Wall time** (the stand-in's limit allows no less than ${secs(ideal)}: a burst of ${RATE}, then ${RATE}/s): spot-ingest ${tail(ours)}; standard mode with the same attempts ${tail(plain5)}; the defaults ${tail(plain)}${plain.failed > 0 ? `, early because they drop ${f0(plain.failed)} texts` : ''}. Spot-ingest took ${times(ours.wallMs, plain5.wallMs)} the time of standard mode with the same attempts${plain5.wallMs - plain5.time95Ms > 2 * (ours.wallMs - ours.time95Ms) ? ` — standard mode keeps the stand-in at its limit most of the run, then its last texts sit in long random backoffs (a tail of ${secs(plain5.wallMs - plain5.time95Ms)} after 95 % were done, against ${secs(ours.wallMs - ours.time95Ms)} for spot-ingest)` : ''}. Embedded per second over the run: ${f1(ours.embeddedPerSecond)}, ${f1(plain5.embeddedPerSecond)} and ${f1(plain.embeddedPerSecond)}.`);
  const first = runs.find((r) => r.side === ours.side && r.scenario === 'throttled' && r.round === 1);
  if (first && first.timeline.ok.length > 3) {
    const early = (first.timeline.ok[1] ?? 0) + (first.timeline.ok[2] ?? 0);
    if (early < RATE) {
      out.push(`**Spot-ingest's slow start**: after the first second's 429s the adaptive limiter cut its own rate far below the limit and grew it back over the following seconds: ${early} texts embedded in seconds 2–3 of round 1 where the stand-in would have allowed ${2 * RATE}, about ${secs(((2 * RATE - early) / RATE) * 1000)} lost of the ${secs(first.wallMs - ideal)} that run took above the ideal. (@smithy/core's DefaultRateLimiter cuts to 70 % of the rate it has measured so far; that measurement starts at 0 and is smoothed over half-second buckets, so a throttle early in a client's life cuts deep. The limiter keeps its state per client; the daemon builds one client at start (create-embeddings.ts), while this bench gives every run a fresh one, so every run here pays this start. How a long-lived client fares in a later throttling episode is not measured here.)`);
    }
  }
  out.push(`**Latency per embedded text** (p50 / mean / p95 / max, SDK queueing, backoff and retries included): spot-ingest ${secs(ours.latencyP50)} / ${secs(ours.latencyMean)} / ${secs(ours.latencyP95)} / ${secs(ours.latencyMax)}, plain defaults ${secs(plain.latencyP50)} / ${secs(plain.latencyMean)} / ${secs(plain.latencyP95)} / ${secs(plain.latencyMax)}, plain ×5 ${secs(plain5.latencyP50)} / ${secs(plain5.latencyMean)} / ${secs(plain5.latencyP95)} / ${secs(plain5.latencyMax)}. With ${CONCURRENCY} always in flight the mean time per text is ${CONCURRENCY} ÷ texts finished per second (Little's law), which the limit of ${RATE}/s puts near ${secs((CONCURRENCY / RATE) * 1000)} for a side that embeds every text; what differs is the spread: ${ours.latencyP50 > plain5.latencyP50 ? 'spot-ingest\'s median is higher (every text waits its turn in the client-side limiter), while standard mode answers some texts at once and makes others wait through long random backoffs' : 'spot-ingest\'s median is not higher than standard mode\'s'}; the longest wait for one text was ${secs(ours.latencyMax)} for spot-ingest against ${secs(plain5.latencyMax)} for standard mode with the same attempts (medians of the rounds' maxima).`);
  const [u0, u1, u2] = unthrottled as [Summary, Summary, Summary];
  out.push(`**Unthrottled**: spot-ingest ${secs(u0.wallMs)} (p50 ${f1(u0.latencyP50)} ms, p95 ${f1(u0.latencyP95)} ms), plain defaults ${secs(u1.wallMs)} (${f1(u1.latencyP50)} / ${f1(u1.latencyP95)} ms), plain ×5 ${secs(u2.wallMs)} (${f1(u2.latencyP50)} / ${f1(u2.latencyP95)} ms), ${f0(u0.requests)} / ${f0(u1.requests)} / ${f0(u2.requests)} requests: the adaptive limiter stays off until the first throttling answer${u0.wallMs <= Math.max(u1.wallRange[1], u2.wallRange[1]) ? ', and spot-ingest\'s median lies within the plain clients\' range of wall times' : `, yet spot-ingest's median wall time is above the plain clients' range (${secs(Math.min(u1.wallRange[0], u2.wallRange[0]))}–${secs(Math.max(u1.wallRange[1], u2.wallRange[1]))})`}.`);
  return out;
}

function report(o: {
  startedAt: Date;
  m: Machine;
  versions: Record<string, string>;
  corpus: string[];
  englishLines: number;
  bodyLines: number;
  sides: Side[];
  runs: Run[];
  throttled: Summary[];
  unthrottled: Summary[];
  totalMs: number;
}): string {
  const v = o.versions;
  const chars = o.corpus.map((t) => t.length);
  const problems = o.runs.flatMap((r) => r.problems.map((p) => `- ${r.label}, ${r.scenario} round ${r.round}: ${p}`));
  const range = (r: [number, number], f: (x: number) => string) => (r[0] === r[1] ? f(r[0]) : `${f(r[0])}–${f(r[1])}`);
  const throttledRuns = o.runs.filter((r) => r.scenario === 'throttled');
  const maxAttempts = Math.max(...o.sides.map((s) => s.maxAttempts));
  const attemptCols = Array.from({ length: maxAttempts + 1 }, (_, i) => String(i + 1)).slice(0, maxAttempts);
  const failuresText = (r: Run) => (r.failed === 0 ? '–' : Object.entries(r.failures).map(([k, n]) => `${n}× ${k}`).join(', '));
  const timelineRow = (r: Run) => r.timeline.ok.map((ok, i) => `${ok}/${r.timeline.throttled[i]}`).join(' ');
  return `# Embeddings benchmark: spot-ingest's Bedrock embedder under throttling vs a plain SDK client

Generated by \`npm run bench:embed\` (bench/embeddings.ts) on ${o.startedAt.toISOString()}.

- Machine: ${machineLine(o.m)}
- Code: ${codeRevision()}
- @aws-sdk/client-bedrock-runtime ${v.clientBedrockRuntime}, @smithy/core ${v.smithyCore} (retry strategies), @smithy/node-http-handler ${v.nodeHttpHandler}
- Bedrock: the stand-in (test/support/bedrock-stand-in.ts), started in this process (it shares the event loop and the CPU with the clients), loopback HTTP/1.1, SigV4-signed requests with test credentials, no added service latency

## Method

- Corpus: ${TEXTS} short mixed Japanese/English texts, seeded (seed ${SEED}): a unique title line (社内資料 第N号…) and 1–3 sentences from bench/lib/documents.ts (${o.englishLines} of ${o.bodyLines} sentences English), ${Math.min(...chars)}–${Math.max(...chars)} characters (median ${f0(median(chars))}). Model \`${MODEL.id}\`, ${MODEL.dimensions} dimensions.
- Every run: ${CONCURRENCY} workers take texts from one queue, one call each at a time (${CONCURRENCY} in flight). A fresh client per run; the stand-in is reset before each run. A text the SDK gives up on is counted as failed and not sent again — in the daemon it would fail the file's message, which SQS redelivers after its visibility timeout.
- **Throttled**: the stand-in allows ${RATE} requests/s (token bucket, burst = one second's worth, starting full) and answers the rest 429 ThrottlingException at once; a throttled request takes no token. ${THROTTLED_ROUNDS} rounds, the side order rotated each round. Nothing can finish the ${TEXTS} texts in under ${secs(((TEXTS - RATE) / RATE) * 1000)}.
- **Unthrottled**: no limit; ${UNTHROTTLED_ROUNDS} rounds, rotated. Before everything, a warm-up of ${WARMUP_TEXTS} texts per side (not reported).
- Sides:
${o.sides.map((s) => `  - **${s.label}**: ${s.settings}`).join('\n')}
  - spot-ingest sends through \`BedrockEmbedder.embedText\` (src/adapters/embedder/bedrock.ts) with \`resolveModel('${MODEL.baseId}', ${MODEL.dimensions})\`; the plain clients send \`InvokeModelCommand\` with the same body (\`textRequestBody\`) and parse the answer with the same \`parseEmbeddingResponse\` (src/adapters/embedder/bedrock-bodies.ts). \`prepareText\` leaves every text of this corpus unchanged, so the stand-in receives the same bodies from every side (checked: every request's text is in the corpus).
- Measured per run: wall time (first call to last answer), texts embedded and failed, requests the stand-in received and how many it answered 429, requests per embedded text, latency per embedded text (from the worker taking it to the answer: waiting for the SDK's rate limiter, backoff and retries included), CPU used ("own / other / steal": cores used by this process, by everything else, stolen by the hypervisor). Summaries are medians over the rounds.

## Throttled at ${RATE} requests/s — medians over ${THROTTLED_ROUNDS} rounds

${mdTable(['side', 'wall (range)', '95 % done at', 'embedded', 'failed (range)', 'requests', '429 answers (range)', 'requests per embedded text', 'embedded/s', 'latency p50', 'latency mean', 'latency p95', 'latency max'], o.throttled.map((s) => [
    s.label, `${secs(s.wallMs)} (${range(s.wallRange, secs)})`, secs(s.time95Ms), f0(s.embedded), `${f0(s.failed)} (${range(s.failedRange, f0)})`, f0(s.requests),
    `${f0(s.throttled)} (${range(s.throttledRange, f0)})`, f2(s.requestsPerEmbedded), f1(s.embeddedPerSecond), secs(s.latencyP50), secs(s.latencyMean), secs(s.latencyP95), secs(s.latencyMax),
  ]))}

### Every throttled run

${mdTable(['side', 'round', 'wall', '95 % done at', 'embedded', 'failed', 'why failed', 'failed before max attempts', 'requests', '429s', 'req/embedded', 'req/s sent', 'p50', 'p95', 'max', 'CPU own / other / steal', 'ok'], throttledRuns.map((r) => [
    r.label, String(r.round), secs(r.wallMs), secs(r.time95Ms), String(r.embedded), String(r.failed), failuresText(r), String(r.failedBeforeMaxAttempts), String(r.requests), String(r.throttled),
    f2(r.requestsPerEmbedded), f1(r.requestsPerSecond), secs(r.latency.p50), secs(r.latency.p95), secs(r.latency.max), cpuText(r.cpu), r.problems.length === 0 ? 'yes' : 'NO',
  ]), 2)}

"Failed before max attempts": failed texts that got fewer requests than the side's maxAttempts — the SDK's retry quota ran out (@smithy/core: 500 units per client; a throttled retry takes 5, given back when that retry succeeds; a first-try success adds 1 back, up to 500).

### Requests per text (throttled runs)

How many requests the stand-in received for each text (texts with 0 were never sent: impossible here).

${mdTable(['side', 'round', ...attemptCols.map((c) => `${c} request${c === '1' ? '' : 's'}`)], throttledRuns.map((r) => [
    r.label, String(r.round), ...attemptCols.map((c) => String(r.attemptsPerText[c] ?? 0)),
  ]), 2)}

### Second by second (round 1): answered 200 / answered 429

${throttledRuns.filter((r) => r.round === 1).map((r) => `- ${r.label}: ${timelineRow(r)}`).join('\n')}

## Unthrottled — medians over ${UNTHROTTLED_ROUNDS} rounds

${mdTable(['side', 'wall (range)', 'embedded', 'requests', 'embedded/s', 'latency p50', 'latency p95'], o.unthrottled.map((s) => [
    s.label, `${secs(s.wallMs)} (${range(s.wallRange, secs)})`, f0(s.embedded), f0(s.requests), f0(s.embeddedPerSecond), `${f1(s.latencyP50)} ms`, `${f1(s.latencyP95)} ms`,
  ]))}

${disturbedNote(o.runs.map((r) => ({ what: `${r.label}, ${r.scenario} round ${r.round}`, cpu: r.cpu })), 'The throttled runs are bound by the stand-in\'s rate and the SDK\'s timers, not the CPU; the unthrottled times are the sensitive ones.')}## Results

${conclusions(o.throttled, o.unthrottled, o.runs).map((l) => `- ${l}`).join('\n')}
${problems.length > 0 ? `\n## Problems\n\n${problems.join('\n')}\n` : ''}
## Notes

- The stand-in's limit is a token bucket that a throttled request does not drain, so sending more (and getting more 429s) costs a client nothing here except its own retries; real Bedrock's on-demand quotas are counted per minute (requests and tokens) per account and Region and shared by every instance using the model, so the rate one client may use also depends on the others; here there is one client and a fixed limit.
- The SDK's backoff is random (full jitter) and its adaptive limiter reacts to the timing of answers, so the numbers move from round to round: the ranges above show by how much.
- What the daemon adds on top and this bench leaves out (the embedder alone is measured): a failed text fails the file's message (retried by SQS), and every call goes through the EmbeddingService's circuit breaker (src/adapters/embedder/circuit-breaker.ts), which after 5 consecutive failed calls — throttling the SDK gave up on counts — fails every call fast for INGEST_BEDROCK_CIRCUIT_SECONDS (30 s by default).

Total bench time: ${secs(o.totalMs)}. Raw numbers: bench/results/embeddings.json.
`;
}

runMain(main);
