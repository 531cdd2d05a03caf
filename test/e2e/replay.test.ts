/**
 * `spot-ingest replay` with the spawned CLI: fixture bodies in several formats against a directory
 * standing for the bucket — UTF-8 and Shift_JIS Japanese text, a gzip (metadata-only), a missing
 * file (stale) and a body that is not JSON (dead-letter) — as a table, as JSON, and the exit code.
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Encoding from 'encoding-japanese';
import { runCli } from '../support/daemon.ts';

const UTF8_TEXT = '請求書\n請求金額：12,000円（税込）\nお支払期限：2026年12月末日\n';
const SJIS_TEXT = '議事録\nスポットインスタンスの中断通知は二分前に届く。\n';
const sjis = (text: string) => Uint8Array.from(Encoding.convert(Encoding.stringToCode(text), { to: 'SJIS', from: 'UNICODE', type: 'array' }));

let dir: string;
let files: string;
let fixtures: string;
/** fixture file → what replay must report for it */
const expected: Record<string, { key: string; outcome: string; textSource?: string; code?: string; characters?: number }> = {
  '01-utf8.json': { key: '経理/請求書 2026-11.txt', outcome: 'done', textSource: 'text-layer', characters: UTF8_TEXT.length },
  '02-sjis-s3.json': { key: '経理/議事録 SJIS.txt', outcome: 'done', textSource: 'text-layer', characters: SJIS_TEXT.length },
  '03-gzip-eventbridge.json': { key: 'backups/logs 2026.gz', outcome: 'done', textSource: 'none', characters: 0 },
  '04-missing.json': { key: '消えた/nothing.txt', outcome: 'stale', code: 'OBJECT_NOT_FOUND' },
  '05-invalid.json': { key: '', outcome: 'dead-letter', code: 'MESSAGE_INVALID_JSON' },
};

const env = (extra: Record<string, string> = {}) => ({ INGEST_QUEUE_URL: '', INGEST_OPENSEARCH_URL: '', LOG_LEVEL: '', INGEST_DATA_DIR: join(dir, 'local-data'), ...extra });

async function put(path: string, data: Uint8Array | string) {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, data);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spot-ingest-replay-'));
  files = join(dir, 'files');
  fixtures = join(dir, 'fixtures');
  // bucket "uploads" has its own subdirectory; the other objects sit at the root (bucket ignored)
  await put(join(files, 'uploads', '経理', '請求書 2026-11.txt'), UTF8_TEXT);
  await put(join(files, '経理', '議事録 SJIS.txt'), sjis(SJIS_TEXT));
  await put(join(files, 'backups', 'logs 2026.gz'), gzipSync(Buffer.from('not indexed: an archive\n'.repeat(50))));
  await mkdir(fixtures);
  await writeFile(join(fixtures, '01-utf8.json'), JSON.stringify({
    eventType: 'FILE_UPLOADED', s3Bucket: 'uploads', s3Key: '経理/請求書 2026-11.txt', timestamp: '2026-11-20T10:00:00+09:00',
  }));
  await writeFile(join(fixtures, '02-sjis-s3.json'), JSON.stringify({
    Records: [{
      eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', eventTime: '2026-11-20T01:00:00.000Z',
      s3: { bucket: { name: 'uploads' }, object: { key: encodeURIComponent('経理/議事録 SJIS.txt').replaceAll('%2F', '/').replaceAll('%20', '+'), size: 60, sequencer: '0A' } },
    }],
  }));
  await writeFile(join(fixtures, '03-gzip-eventbridge.json'), JSON.stringify({
    version: '0', 'detail-type': 'Object Created', source: 'aws.s3', time: '2026-11-20T01:00:00Z',
    detail: { bucket: { name: 'archive' }, object: { key: 'backups/logs 2026.gz', size: 100 } },
  }));
  await writeFile(join(fixtures, '04-missing.json'), JSON.stringify({ eventType: 'FILE_UPLOADED', s3Bucket: 'uploads', s3Key: '消えた/nothing.txt' }));
  await writeFile(join(fixtures, '05-invalid.json'), '{"eventType": "FILE_UPLOADED", "s3Bucket": ');
  await writeFile(join(fixtures, 'README.txt'), 'not a fixture: ignored (not *.json)');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

test('a directory of fixtures: the table lists every message with its outcome, and a dead letter makes exit 1', async () => {
  const r = await runCli(['replay', fixtures, '--files', files], env());
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.doesNotMatch(r.stderr, /replay \[/, 'no progress bar when stderr is not a TTY');
  const lines = r.stdout.split('\n');
  assert.match(lines[0] ?? '', /^MESSAGE\s+FILE\/KEY\s+OUTCOME\s+SOURCE\s+CHARS\s+PAGES\s+MS PER STEP\s+CODE$/);
  for (const [name, want] of Object.entries(expected)) {
    const row = lines.find((l) => l.startsWith(`${name} `));
    assert.ok(row, `a row for ${name} in:\n${r.stdout}`);
    if (want.key) assert.ok(row.includes(want.key), row);
    assert.match(row, new RegExp(`\\s${want.outcome}\\s`), row);
    if (want.textSource) assert.match(row, new RegExp(`\\s${want.textSource}\\s+${want.characters}\\s+—\\s+claim \\d+, download \\d+, detect \\d+, reuse \\d+, extract \\d+, index \\d+, record \\d+`), row);
    if (want.code) assert.match(row, new RegExp(`${want.code}$`), row);
  }
  assert.ok(!lines.some((l) => l.startsWith('README.txt')), 'only *.json files are fixtures');
  assert.match(r.stdout, /5 messages from .*: 3 done, 1 stale, 1 dead-letter/);
  assert.match(r.stdout, /dead-letter 05-invalid\.json: MESSAGE_INVALID_JSON: .*not valid JSON/);
  // a throw-away database: the local-mode data dir was not touched
  assert.equal(existsSync(join(dir, 'local-data')), false);
});

test('--json prints the same results, machine-readable', async () => {
  const r = await runCli(['replay', fixtures, '--files', files, '--json'], env());
  assert.equal(r.code, 1, r.stderr);
  const report = JSON.parse(r.stdout) as {
    exitCode: number; files: string; database: string | null;
    counts: Record<string, number>;
    messages: Array<{
      messageId: string; outcome: string; error: { code: string; message: string } | null;
      events: Array<{ bucket: string; key: string; outcome: string; code: string | null; textSource: string | null; characters: number | null; pages: number | null; steps: Record<string, number> }>;
    }>;
  };
  assert.equal(report.exitCode, 1);
  assert.equal(report.files, files);
  assert.equal(report.database, null);
  assert.deepEqual(report.counts, { done: 3, stale: 1, 'dead-letter': 1 });
  assert.deepEqual(report.messages.map((m) => m.messageId), Object.keys(expected));
  for (const m of report.messages) {
    const want = expected[m.messageId]!;
    assert.equal(m.outcome, want.outcome, m.messageId);
    if (want.outcome === 'dead-letter') {
      assert.equal(m.error?.code, want.code);
      assert.deepEqual(m.events, []);
      continue;
    }
    assert.equal(m.events.length, 1);
    const e = m.events[0]!;
    assert.equal(e.key, want.key);
    assert.equal(e.outcome, want.outcome);
    if (want.textSource) {
      assert.equal(e.textSource, want.textSource);
      assert.equal(e.characters, want.characters);
      assert.equal(e.pages, null);
      assert.deepEqual(Object.keys(e.steps), ['claim', 'download', 'detect', 'reuse', 'extract', 'index', 'record']);
    }
    if (want.code) assert.equal(e.code, want.code);
  }
  assert.equal(report.messages[0]!.events[0]!.bucket, 'uploads');
  assert.equal(report.messages[2]!.events[0]!.bucket, 'archive');
});

test('without the bad body every message settles and the exit code is 0; --data-dir keeps a searchable index', async () => {
  const good = Object.keys(expected).filter((n) => n !== '05-invalid.json').map((n) => join(fixtures, n));
  const dataDir = join(dir, 'kept');
  const r = await runCli(['replay', ...good, '--files', files, '--data-dir', dataDir], env());
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /4 messages from .*: 3 done, 1 stale/);
  assert.match(r.stdout, /state and index kept in .*kept\/spot-ingest\.db/);
  const search = await runCli(['search', '中断通知', '--json'], env({ INGEST_DATA_DIR: dataDir }));
  assert.equal(search.code, 0, search.stderr);
  const hits = JSON.parse(search.stdout) as Array<{ key: string }>;
  assert.deepEqual(hits.map((h) => h.key), ['経理/議事録 SJIS.txt']);
  // replayed again into the same database: nothing is redone
  const again = await runCli(['replay', ...good, '--files', files, '--data-dir', dataDir, '--json'], env());
  assert.equal(again.code, 0, again.stderr);
  const outcomes = (JSON.parse(again.stdout) as { messages: Array<{ outcome: string }> }).messages.map((m) => m.outcome);
  assert.deepEqual(outcomes, ['duplicate', 'duplicate', 'duplicate', 'stale']);
});

test('an array of bodies in one file, an s3:TestEvent, and a key escaping the directory', async () => {
  const path = join(dir, 'batch.json');
  await writeFile(path, JSON.stringify([
    { Service: 'Amazon S3', Event: 's3:TestEvent', Time: '2026-11-20T01:00:00.000Z', Bucket: 'uploads', RequestId: 'R', HostId: 'H' },
    { eventType: 'FILE_UPLOADED', s3Bucket: 'uploads', s3Key: '../../etc/passwd' },
    { eventType: 'FILE_UPLOADED', s3Bucket: 'uploads', s3Key: '経理/請求書 2026-11.txt' },
  ]));
  const r = await runCli(['replay', path, '--files', files, '--json'], env());
  assert.equal(r.code, 1, r.stderr);
  const report = JSON.parse(r.stdout) as { messages: Array<{ messageId: string; outcome: string; error: { code: string } | null }> };
  assert.deepEqual(report.messages.map((m) => [m.messageId, m.outcome, m.error?.code ?? null]), [
    ['batch.json#0', 'done', null],
    ['batch.json#1', 'dead-letter', 'OBJECT_KEY_UNSAFE'],
    ['batch.json#2', 'done', null],
  ]);
});

test('copies under other keys are indexed from the first one’s extraction, and the table says so', async () => {
  await put(join(files, 'uploads', '2025', '請求書.txt'), UTF8_TEXT);
  await put(join(files, 'uploads', 'archive', '請求書 copy.txt'), UTF8_TEXT);
  const path = join(dir, 'copies.json');
  await writeFile(path, JSON.stringify(['経理/請求書 2026-11.txt', '2025/請求書.txt', 'archive/請求書 copy.txt'].map((key) => ({ eventType: 'FILE_UPLOADED', s3Bucket: 'uploads', s3Key: key }))));
  const table = await runCli(['replay', path, '--files', files], env());
  assert.equal(table.code, 0, table.stdout + table.stderr);
  assert.match(table.stdout, /2025\/請求書\.txt\s+done \(reused\)/);
  assert.match(table.stdout, /archive\/請求書 copy\.txt\s+done \(reused\)/);
  assert.doesNotMatch(table.stdout, /2026-11\.txt\s+done \(reused\)/, 'the first one was extracted');
  assert.match(table.stdout, /2 documents reused from an earlier extraction of the same bytes/);
  assert.match(table.stdout, /2025\/請求書\.txt ← s3:\/\/uploads\/経理\/請求書 2026-11\.txt/);
  const json = await runCli(['replay', path, '--files', files, '--json'], env());
  const events = (JSON.parse(json.stdout) as { messages: Array<{ events: Array<{ key: string; characters: number; steps: Record<string, number>; reused: { from: string } | null }> }> }).messages.map((m) => m.events[0]!);
  assert.deepEqual(events.map((e) => e.reused?.from ?? null), [null, 's3://uploads/経理/請求書 2026-11.txt', 's3://uploads/経理/請求書 2026-11.txt']);
  assert.deepEqual(events.map((e) => e.characters), [UTF8_TEXT.length, UTF8_TEXT.length, UTF8_TEXT.length]);
  assert.equal(events[1]!.steps.extract, undefined, 'no extraction for a reused copy');
  // INGEST_REUSE=off: every copy is extracted
  const off = await runCli(['replay', path, '--files', files, '--json'], env({ INGEST_REUSE: 'off' }));
  const offEvents = (JSON.parse(off.stdout) as { messages: Array<{ events: Array<{ reused: unknown; steps: Record<string, number> }> }> }).messages.map((m) => m.events[0]!);
  assert.deepEqual(offEvents.map((e) => e.reused), [null, null, null]);
  assert.ok(offEvents.every((e) => e.steps.extract !== undefined));
});

test('bad usage exits 2 with the reason', async () => {
  const noFiles = await runCli(['replay', fixtures, '--files', join(dir, 'no-such-dir')], env());
  assert.equal(noFiles.code, 2);
  assert.match(noFiles.stderr, /--files .*no-such-dir: no such directory/);
  const noFixture = await runCli(['replay', join(dir, 'nope.json'), '--files', files], env());
  assert.equal(noFixture.code, 2);
  assert.match(noFixture.stderr, /no such fixture file or directory/);
  const help = await runCli(['replay', '--help'], env());
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Exit status: 0 when every message ended done, duplicate or stale; 1 when any was dead-lettered,/);
});
