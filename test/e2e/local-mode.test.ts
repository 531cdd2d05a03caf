/**
 * Local mode (docs/design.md §8) with the spawned daemon: no INGEST_QUEUE_URL, a fresh data dir; every
 * bundled sample goes through the production pipeline to its outcome, nothing listens beyond
 * loopback, and `spot-ingest search` finds Japanese and English words afterwards.
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleNames } from '../../src/local/seed-samples.ts';
import { runCli, spawnDaemon, type SpawnedDaemon } from '../support/daemon.ts';
import { freePort } from '../support/free-port.ts';
import { waitFor } from '../support/wait-for.ts';

const SAMPLES = await sampleNames();

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'spot-ingest-local-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

// local mode: none of the queue-mode variables (the test environment sets AWS ones)
const localEnv = (extra: Record<string, string> = {}) => ({
  INGEST_QUEUE_URL: '', INGEST_STATE_TABLE: '', INGEST_OPENSEARCH_URL: '', AWS_ENDPOINT_URL_SQS: '', AWS_ENDPOINT_URL_S3: '',
  INGEST_DATA_DIR: dataDir, LOG_LEVEL: '', ...extra,
});

const progressLines = (daemon: SpawnedDaemon) => daemon.logs().filter((l) => l.unparsed === true).map((l) => String(l.msg));

/** Waits for a progress line of every bundled sample (the first start seeds them all). */
async function samplesProcessed(daemon: SpawnedDaemon): Promise<void> {
  await waitFor(() => SAMPLES.every((name) => progressLines(daemon).some((line) => line.includes(`samples/${name}`))), {
    what: 'a progress line for every sample', timeoutMs: 30_000,
  });
}

/** Whether the data dir holds the indexed samples (the first test leaves it so). */
let seeded = false;

/** For a test run without the first one: a first start that seeds the samples, then stops. */
async function ensureSeeded(): Promise<void> {
  if (seeded) return;
  const daemon = spawnDaemon(localEnv({ INGEST_HTTP_PORT: '0' }));
  await samplesProcessed(daemon);
  assert.equal((await daemon.stop('SIGTERM', 30_000)).code, 0);
  seeded = true;
}

function listeningAddresses(pid: number): string[] | null {
  try {
    const out = execFileSync('ss', ['-ltnpH'], { encoding: 'utf8' });
    return out.split('\n').filter((l) => l.includes(`pid=${pid},`)).map((l) => l.trim().split(/\s+/)[3] ?? '');
  } catch {
    return null; // no `ss` on this machine
  }
}

test('npm start in a fresh data dir processes every sample, on loopback only, and exits 0 on SIGTERM', async (t) => {
  const port = await freePort();
  const daemon = spawnDaemon(localEnv({ INGEST_HTTP_PORT: String(port) }));
  await samplesProcessed(daemon);
  const lines = progressLines(daemon);
  assert.match(lines[0] ?? '', /local mode — SQS\/S3 emulator on http:\/\/127\.0\.0\.1:\d+/);
  assert.ok(lines.some((l) => /^embeddings: off/.test(l)), 'says once that embeddings are off');
  for (const name of SAMPLES) {
    const line = lines.find((l) => l.includes(`samples/${name}`))!;
    assert.match(line, /^✔ done/, line);
  }
  assert.match(lines.find((l) => l.includes('請求書-2026-11.txt'))!, /text-layer\s+\d+ chars/);
  assert.match(lines.find((l) => l.includes('backup.gz'))!, /none\s+0 chars/);
  assert.match(lines.find((l) => l.includes('請求書-テキスト層.pdf'))!, /text-layer\s+\d+ chars\s+2 pages/);
  assert.match(lines.find((l) => l.includes('請求書-スキャン.pdf'))!, /ocr\s+\d+ chars\s+1 page\s+OCR confidence \d+/);
  assert.match(lines.find((l) => l.includes('領収書-写真.jpg'))!, /ocr\s+\d+ chars/);
  const thumbnails = await readdir(join(dataDir, 'thumbnails'));
  assert.equal(thumbnails.filter((n) => n.endsWith('.webp')).length, SAMPLES.filter((n) => /\.(pdf|jpg)$/.test(n)).length, `a thumbnail file per PDF and image: ${thumbnails.join(' ')}`);

  const addresses = listeningAddresses(daemon.child.pid!);
  if (addresses === null) console.log('`ss` is not installed: loopback-only check skipped');
  else {
    assert.ok(addresses.length >= 2, `the emulator and the HTTP endpoints listen: ${addresses.join(' ')}`);
    for (const a of addresses) assert.match(a, /^(127\.0\.0\.1|\[::1\]):\d+$/, `listens on ${a}`);
  }
  assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200);
  const info = JSON.parse(await readFile(join(dataDir, 'local-stack.json'), 'utf8')) as { pid: number; endpoint: string; queueUrl: string };
  assert.equal(info.pid, daemon.child.pid, 'the running daemon publishes its embedded stack for other commands');
  assert.match(info.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal((await daemon.stop('SIGTERM', 30_000)).code, 0);
  assert.equal(existsSync(join(dataDir, 'local-stack.json')), false, 'and removes it on exit');
  seeded = true;
});

test('spot-ingest search finds Japanese and English words in the local index, from text files, a PDF and a scan', async () => {
  await ensureSeeded();
  const ja = await runCli(['search', '請求金額'], localEnv());
  assert.equal(ja.code, 0, ja.stderr);
  assert.match(ja.stdout, /1\. 請求書-2026-11\.txt/);
  assert.match(ja.stdout, /«請求金額»/);
  const euc = await runCli(['search', '中断対策'], localEnv());
  assert.match(euc.stdout, /議事録-定例会議\.txt/, 'found in the EUC-JP file');
  const en = await runCli(['search', 'interruptions', '--json'], localEnv());
  const hits = JSON.parse(en.stdout) as Array<{ file_name: string }>;
  assert.equal(hits[0]?.file_name, 'spot-interruptions.md');
  const pdf = await runCli(['search', 'Scanned invoices', '--json'], localEnv());
  assert.equal((JSON.parse(pdf.stdout) as Array<{ file_name: string }>)[0]?.file_name, 'quarterly-report.pdf', 'an English word from the PDF sample');
  const scan = await runCli(['search', '経理部'], localEnv());
  assert.match(scan.stdout, /請求書-スキャン\.pdf/, 'a Japanese word OCRed from the scanned sample');
  const none = await runCli(['search', 'zzzyyyxxx'], localEnv());
  assert.equal(none.code, 0);
  assert.match(none.stdout, /no documents match/);
});

test('a second start keeps the index and does not seed the samples again', async () => {
  await ensureSeeded();
  const daemon = spawnDaemon(localEnv({ INGEST_HTTP_PORT: '0' }));
  await daemon.waitForLog((l) => l.unparsed === true && String(l.msg).startsWith('samples already seeded'), 'the already-seeded notice');
  assert.equal((await daemon.stop('SIGTERM', 30_000)).code, 0);
  const again = await runCli(['search', '在庫'], localEnv());
  assert.match(again.stdout, /在庫一覧\.csv/);
});
