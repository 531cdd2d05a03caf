/** docs/design.md §3 process contract: exit 0 clean, 2 bad configuration or usage, 1 anything else. */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/daemon.ts';

test('a bad variable exits 2 and names it', async () => {
  const r = await runCli(['run'], { INGEST_QUEUE_URL: 'http://127.0.0.1:9/000/q', INGEST_CONCURRENCY: 'many' });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /INGEST_CONCURRENCY: must be a whole number \(got "many"\)/);
});

test('queue mode without its required variables exits 2 naming them', async () => {
  const r = await runCli(['run'], { INGEST_QUEUE_URL: 'http://127.0.0.1:9/000/q', INGEST_STATE_TABLE: '', INGEST_OPENSEARCH_URL: '' });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /INGEST_STATE_TABLE/);
  assert.match(r.stderr, /INGEST_OPENSEARCH_URL/);
});

test('an OCR language whose data is not installed exits 2 naming INGEST_OCR_LANGS and the package, before touching the queue', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'spot-ingest-cli-'));
  try {
    const r = await runCli(['run'], {
      INGEST_QUEUE_URL: 'http://127.0.0.1:9/000/q', INGEST_STATE_TABLE: 't-files', INGEST_OPENSEARCH_URL: 'http://127.0.0.1:9',
      INGEST_OCR_LANGS: 'jpn+xyz', INGEST_DATA_DIR: dataDir, INGEST_IMDS: 'off',
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /INGEST_OCR_LANGS: no OCR data installed for xyz \(install @tesseract\.js-data\/xyz\)/);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('an unknown command is a usage error (exit 2); --help exits 0', async () => {
  const bad = await runCli(['frobnicate'], {});
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown command/);
  const help = await runCli(['--help'], {});
  assert.equal(help.code, 0);
  assert.match(help.stdout, /run/);
  assert.match(help.stdout, /setup/);
});

test('an out-of-range option value is a usage error (exit 2) naming the option, before any work', async () => {
  for (const [args, why] of [
    [['reembed', '--limit', '0'], /--limit <n>' argument '0' is invalid\. must be a whole number ≥ 1/],
    [['reembed', '--limit', '2.5'], /--limit <n>' argument '2\.5' is invalid\. must be a whole number ≥ 1/],
    [['dlq', 'list', '--limit', '10001'], /--limit <n>' argument '10001' is invalid\. must be a whole number from 1 to 10000/],
  ] as const) {
    const r = await runCli([...args], {});
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, why);
  }
});

test('an unreachable dependency at start exits 1 with a clear message, not a hang', async () => {
  const r = await runCli(['run'], {
    INGEST_QUEUE_URL: 'http://127.0.0.1:9/000000000000/q',
    INGEST_STATE_TABLE: 'files',
    INGEST_OPENSEARCH_URL: 'http://127.0.0.1:9',
    INGEST_HTTP_PORT: '0',
    INGEST_DATA_DIR: `/tmp/spot-ingest-cli-${process.pid}`,
  });
  assert.equal(r.code, 1);
  assert.match(r.stdout + r.stderr, /INDEX_UNAVAILABLE|ECONNREFUSED|OpenSearch/);
});
