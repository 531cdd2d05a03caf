/** `spot-ingest doctor` against the real local servers: passes when all is in place, names the fix otherwise. */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/daemon.ts';
import { createE2eStack, type E2eStack } from '../support/e2e-stack.ts';
import { startBedrockStandIn } from '../support/bedrock-stand-in.ts';

let stack: E2eStack;
beforeAll(async () => {
  stack = await createE2eStack('doctor');
});
afterAll(() => stack.close());

test('every check passes against a set-up stack', async () => {
  const r = await runCli(['doctor'], stack.env());
  assert.equal(r.code, 0, r.stdout + r.stderr);
  for (const name of ['data directory', 'OCR language data', 'OCR engine', 'queue', 'dead-letter queue', 'state table', 'OpenSearch index']) {
    assert.match(r.stdout, new RegExp(`PASS\\s+${name}`));
  }
  assert.match(r.stdout, /from the RedrivePolicy/);
  assert.match(r.stdout, /transient failures are dead-lettered on receive 5 \(maxReceiveCount\), by the daemon, with their reason/);
  assert.match(r.stdout, /all \d+ checks passed/);
});

test('a missing index and table fail with their fixes, and the exit code is 1', async () => {
  const r = await runCli(['doctor', '--json'], stack.env({ INGEST_OPENSEARCH_INDEX: 'not-created', INGEST_STATE_TABLE: 'no-such-table' }));
  assert.equal(r.code, 1);
  const results = JSON.parse(r.stdout) as Array<{ name: string; ok: boolean; fix?: string }>;
  const byName = new Map(results.map((x) => [x.name, x]));
  assert.equal(byName.get('OpenSearch index')?.ok, false);
  assert.match(byName.get('OpenSearch index')?.fix ?? '', /spot-ingest setup/);
  assert.equal(byName.get('state table')?.ok, false);
  assert.match(byName.get('state table')?.fix ?? '', /--create-table/);
  assert.equal(byName.get('queue')?.ok, true);
});

test('an OCR language without installed data fails with the package to install', async () => {
  const r = await runCli(['doctor', '--json'], stack.env({ INGEST_OCR_LANGS: 'jpn+xyz' }));
  assert.equal(r.code, 1);
  const data = (JSON.parse(r.stdout) as Array<{ name: string; ok: boolean; detail: string; fix?: string }>).find((x) => x.name === 'OCR language data');
  assert.equal(data?.ok, false);
  assert.match(data?.detail ?? '', /@tesseract\.js-data\/xyz/);
});

test('IMDS: off skips the check, on fails when nothing answers, auto passes off EC2', async () => {
  const unreachable = { AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9' };
  const on = await runCli(['doctor', '--json'], stack.env({ INGEST_IMDS: 'on', ...unreachable }));
  const onResult = (JSON.parse(on.stdout) as Array<{ name: string; ok: boolean; fix?: string }>).find((r) => r.name.startsWith('instance metadata'));
  assert.equal(onResult?.ok, false);
  assert.match(onResult?.fix ?? '', /INGEST_IMDS=off/);
  assert.equal(on.code, 1);
  const auto = await runCli(['doctor'], stack.env({ INGEST_IMDS: 'auto', ...unreachable }));
  assert.match(auto.stdout, /PASS\s+instance metadata \(IMDSv2\)\s+.*not on EC2/);
  const off = await runCli(['doctor'], stack.env({ INGEST_IMDS: 'off' }));
  assert.doesNotMatch(off.stdout, /instance metadata/);
});

test('local mode needs nothing but a writable data dir', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'doctor-local-'));
  try {
    const r = await runCli(['doctor'], { INGEST_QUEUE_URL: '', INGEST_DATA_DIR: dataDir });
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /PASS\s+mode\s+local mode/);
    assert.match(r.stdout, /PASS\s+SQLite full-text search/);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('with Bedrock: each model is invoked once, and the index vector dimensions are checked against the models', async (t) => {
  const bedrock = await startBedrockStandIn();
  t.onTestFinished(() => bedrock.close());
  const models = {
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: bedrock.url,
    INGEST_TEXT_EMBEDDING_MODEL: 'cohere.embed-multilingual-v3',
    INGEST_IMAGE_EMBEDDING_MODEL: 'amazon.titan-embed-image-v1', INGEST_IMAGE_EMBEDDING_DIMENSIONS: '384',
  };
  const embedded = await createE2eStack('doctor-embed', { env: models });
  t.onTestFinished(() => embedded.close());
  const json = async (env: Record<string, string>) => {
    const r = await runCli(['doctor', '--json'], embedded.env(env));
    return { code: r.code, byName: new Map((JSON.parse(r.stdout) as Array<{ name: string; ok: boolean; detail: string; fix?: string }>).map((x) => [x.name, x])) };
  };

  const ok = await json({});
  assert.equal(ok.code, 0);
  assert.match(ok.byName.get('Bedrock embeddings')!.detail, /cohere\.embed-multilingual-v3 answered 1024 dims; amazon\.titan-embed-image-v1 answered 384 dims/);
  assert.match(ok.byName.get('OpenSearch index')!.detail, new RegExp(`is alias → ${embedded.index}-v1; vectors: text 1024, image 384`));

  const mismatch = await json({ INGEST_IMAGE_EMBEDDING_DIMENSIONS: '256' });
  assert.equal(mismatch.code, 1);
  assert.match(mismatch.byName.get('OpenSearch index')!.detail, /image_embedding has 384 dimensions in the index, but .* makes 256/);
  assert.match(mismatch.byName.get('OpenSearch index')!.fix ?? '', /setup --roll --reindex/);

  bedrock.fail({ status: 403 });
  const denied = await json({});
  assert.equal(denied.byName.get('Bedrock embeddings')!.ok, false);
  assert.match(denied.byName.get('Bedrock embeddings')!.detail, /access to Bedrock model cohere\.embed-multilingual-v3 was denied/);
  assert.match(denied.byName.get('Bedrock embeddings')!.fix ?? '', /bedrock:InvokeModel/);
});
