/**
 * npm run bench:opensearch — bulk indexing throughput of the OpenSearch adapter on the official
 * client (@opensearch-project/opensearch), against the adapter it replaced (plain fetch), in the
 * same run, against the OpenSearch recorder in a process of its own on loopback.
 *
 * Sides:
 *   - fetch: the adapter before the client (bench/lib/fetch-bulk-writer.ts: the same micro-batcher
 *     and per-item mapping over the global fetch);
 *   - client + undici: OpenSearchIndex as shipped (the client with undici-connection.ts);
 *   - client + node:http: OpenSearchIndex with the client's own Connection.
 * Workloads:
 *   - batched: 20,000 documents of ~2 KiB, 200 writers, `_bulk` of up to 100 documents;
 *   - one per request: 4,000 documents, 16 writers, `_bulk` of 1 document (the per-request cost).
 * Each side runs every workload ROUNDS times, the sides interleaved round by round; reported:
 * median documents/s and the client process's CPU ms per 1,000 documents.
 *
 * Writes bench/results/opensearch-bulk.md and bench/results/opensearch-bulk.json.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { OpenSearchIndex } from '../src/adapters/index/opensearch.ts';
import type { IndexDocument } from '../src/core/index-document.ts';
import { makeDoc, uniqueIndex } from '../test/integration/opensearch/fixtures.ts';
import { FetchBulkWriter } from './lib/fetch-bulk-writer.ts';
import { f0, f1, machine, machineLine, mdTable, packageVersion, writeResults } from './lib/report.ts';
import { runMain } from './lib/run-main.ts';
import { seededRandom } from './lib/stats.ts';

const ROUNDS = Number(process.argv.includes('--quick') ? 2 : 5);
const SEED = 20_261_204;
const TIMEOUT_MS = 30_000;

interface Workload {
  name: string;
  docs: number;
  writers: number;
  maxDocs: number;
}

const WORKLOADS: Workload[] = [
  { name: 'batched (100 per _bulk, 200 writers)', docs: 20_000, writers: 200, maxDocs: 100 },
  { name: 'one per request (16 writers)', docs: 4_000, writers: 16, maxDocs: 1 },
];

interface Writer {
  upsert(doc: IndexDocument): Promise<void>;
  close(): Promise<void>;
}

interface Side {
  name: string;
  make(url: string, index: string, maxDocs: number): Writer;
}

const SIDES: Side[] = [
  { name: 'fetch (before the client)', make: (url, index, maxDocs) => new FetchBulkWriter({ url, index, maxDocs, lingerMs: 20, timeoutMs: TIMEOUT_MS }) },
  {
    name: 'client + undici (shipped)',
    make: (url, index, maxDocs) => new OpenSearchIndex({ url, index, batch: { maxDocs }, requestTimeoutMs: TIMEOUT_MS }),
  },
  {
    name: 'client + node:http',
    make: (url, index, maxDocs) => new OpenSearchIndex({ url, index, batch: { maxDocs }, requestTimeoutMs: TIMEOUT_MS, connection: 'http' }),
  },
];

interface Run {
  side: string;
  workload: string;
  round: number;
  ms: number;
  docsPerSecond: number;
  cpuMsPer1000: number;
  failed: number;
}

/** Documents of about 2 KiB: Japanese and English text, seeded so every side writes the same. */
function documents(n: number, tag: string): IndexDocument[] {
  const random = seededRandom(SEED);
  const words = ['請求書', '見積書', '契約', 'invoice', 'quarterly', 'report', '東京都', '支払期日', 'amount', 'delivery'];
  return Array.from({ length: n }, (_, i) => {
    const content = Array.from({ length: 220 }, () => words[Math.floor(random() * words.length)]).join(' ');
    return makeDoc(`${tag}/${i}.txt`, { content });
  });
}

async function startRecorder(): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['bench/lib/recorder-process.ts'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`recorder exited (${code})`)));
  });
  const { url } = JSON.parse(first) as { url: string };
  return {
    url,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end();
      await exited;
    },
  };
}

async function runOnce(url: string, side: Side, workload: Workload, round: number): Promise<Run> {
  const index = uniqueIndex('bench');
  const admin = new OpenSearchIndex({ url, index });
  await admin.ensureIndex();
  const docs = documents(workload.docs, index);
  const writer = side.make(url, index, workload.maxDocs);
  let next = 0;
  let failed = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: workload.writers }, async () => {
      while (next < docs.length) {
        const doc = docs[next++]!;
        await writer.upsert(doc).catch(() => failed++);
      }
    }),
  );
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  await writer.close();
  await admin.deleteIndex(index);
  await admin.close();
  return {
    side: side.name,
    workload: workload.name,
    round,
    ms,
    docsPerSecond: (workload.docs / ms) * 1000,
    cpuMsPer1000: ((used.user + used.system) / 1000 / workload.docs) * 1000,
    failed,
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  const m = machine();
  const recorder = await startRecorder();
  const runs: Run[] = [];
  try {
    // Warm-up: every side once on a small load (JIT, connections), not reported.
    for (const side of SIDES) await runOnce(recorder.url, side, { ...WORKLOADS[0]!, docs: 2_000 }, 0);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const workload of WORKLOADS) {
        // Rotate the order each round so no side always runs first or last.
        for (let k = 0; k < SIDES.length; k++) {
          const side = SIDES[(k + round) % SIDES.length]!;
          const run = await runOnce(recorder.url, side, workload, round);
          runs.push(run);
          console.log(`${workload.name} · ${side.name} · round ${round}: ${f0(run.docsPerSecond)} docs/s, ${f1(run.cpuMsPer1000)} CPU ms/1000, failed ${run.failed}`);
        }
      }
    }
  } finally {
    await recorder.stop();
  }

  const rows: string[][] = [];
  const summary: Array<{ workload: string; side: string; docsPerSecond: number; cpuMsPer1000: number; failed: number; vsFetch: number }> = [];
  for (const workload of WORKLOADS) {
    const of = (side: Side) => runs.filter((r) => r.workload === workload.name && r.side === side.name);
    const baseline = median(of(SIDES[0]!).map((r) => r.docsPerSecond));
    for (const side of SIDES) {
      const mine = of(side);
      const rate = median(mine.map((r) => r.docsPerSecond));
      const cpuMs = median(mine.map((r) => r.cpuMsPer1000));
      const failed = mine.reduce((a, r) => a + r.failed, 0);
      const lo = Math.min(...mine.map((r) => r.docsPerSecond));
      const hi = Math.max(...mine.map((r) => r.docsPerSecond));
      summary.push({ workload: workload.name, side: side.name, docsPerSecond: rate, cpuMsPer1000: cpuMs, failed, vsFetch: rate / baseline });
      rows.push([workload.name, side.name, f0(rate), `${f0(lo)}–${f0(hi)}`, `${(rate / baseline).toFixed(2)}×`, f1(cpuMs), String(failed)]);
    }
  }
  const shipped = summary.filter((s) => s.side === SIDES[1]!.name);
  const verdict = shipped.every((s) => s.vsFetch >= 0.97)
    ? 'The shipped adapter is not slower than the fetch adapter it replaced (within 3 %, the rounds\' own spread) on either workload.'
    : `**The shipped adapter is slower than the fetch adapter on: ${shipped.filter((s) => s.vsFetch < 0.97).map((s) => `${s.workload} (${s.vsFetch.toFixed(2)}×)`).join(', ')}.**`;
  const undiciVsHttp = WORKLOADS.map((w) => {
    const u = summary.find((s) => s.workload === w.name && s.side === SIDES[1]!.name)!;
    const h = summary.find((s) => s.workload === w.name && s.side === SIDES[2]!.name)!;
    return `${w.name}: undici ${(u.docsPerSecond / h.docsPerSecond).toFixed(2)}× the documents/s of node:http`;
  });
  const md = `# OpenSearch bulk indexing: the official client against the fetch adapter

\`npm run bench:opensearch\` — ${new Date().toISOString().slice(0, 10)}

- Machine: ${machineLine(m)}
- @opensearch-project/opensearch ${await packageVersion('@opensearch-project/opensearch')}, undici ${await packageVersion('undici')}
- Server: the OpenSearch recorder (test/support/opensearch-recorder.ts) in its own process on loopback; it parses and checks every document, as the test suite's stand-in for OpenSearch. Loopback answers in well under a millisecond, so this measures the client side's cost per request and per document, not a cluster.
- Documents: ~2 KiB each (Japanese and English words, seeded), written by N concurrent writers each awaiting its \`upsert\`; the adapter's micro-batcher groups them into \`_bulk\` requests (linger 20 ms).
- Rounds: ${ROUNDS} per side and workload after one warm-up each, sides interleaved and rotated every round. Figures are medians (range in the second column).
- CPU: the benchmark process's user + system CPU time (the client side only), per 1,000 documents.

${mdTable(['workload', 'side', 'docs/s (median)', 'range', 'vs fetch', 'CPU ms / 1000 docs', 'failed'], rows, 2)}

${verdict}

Connection: ${undiciVsHttp.join('; ')}. The adapter ships with the undici Connection (src/adapters/index/undici-connection.ts); besides speed, the client's node:http Connection writes \`ignoring error after response\` to stdout with console.log when a socket fails after a response, which would break the daemon's JSON log lines.

## What this does not measure
- A real cluster: OpenSearch's own indexing cost (analysis, refresh, replication) dominates there, so the differences here are an upper bound on what the client can change.
- SigV4 signing (Amazon OpenSearch Service): the signer hashes each body once per request on every side that signs.
`;
  await writeResults('opensearch-bulk', md, { machine: m, rounds: ROUNDS, workloads: WORKLOADS, summary, runs });
  console.log(md);
}

runMain(main);
