/**
 * Local mode with Bedrock (issue 4): when a model and credentials are configured (here: the
 * Bedrock stand-in), `npm start` embeds the samples into the local index and `spot-ingest search`
 * is hybrid; with no credentials it says once, clearly, that embeddings are off.
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBedrockStandIn, type BedrockStandIn } from '../support/bedrock-stand-in.ts';
import { SAMPLES_DIR as SAMPLES, sampleNames } from '../../src/local/seed-samples.ts';
import { runCli, spawnDaemon } from '../support/daemon.ts';
import { freePort } from '../support/free-port.ts';
import { waitFor } from '../support/wait-for.ts';

let bedrock: BedrockStandIn;
let dataDir: string;
beforeAll(async () => {
  bedrock = await startBedrockStandIn();
  dataDir = await mkdtemp(join(tmpdir(), 'spot-ingest-local-embed-'));
});
afterAll(async () => {
  await bedrock.close();
  await rm(dataDir, { recursive: true, force: true });
});

const localEnv = (extra: Record<string, string> = {}) => ({
  INGEST_QUEUE_URL: '', INGEST_STATE_TABLE: '', INGEST_OPENSEARCH_URL: '', AWS_ENDPOINT_URL_SQS: '', AWS_ENDPOINT_URL_S3: '',
  INGEST_DATA_DIR: dataDir, LOG_LEVEL: '',
  AWS_ENDPOINT_URL_BEDROCK_RUNTIME: bedrock.url,
  INGEST_TEXT_EMBEDDING_MODEL: 'cohere.embed-multilingual-v3',
  INGEST_IMAGE_EMBEDDING_MODEL: 'amazon.titan-embed-image-v1', INGEST_IMAGE_EMBEDDING_DIMENSIONS: '256',
  ...extra,
});

test('local mode with Bedrock configured: samples get vectors, search is hybrid', async () => {
  const daemon = spawnDaemon(localEnv({ INGEST_HTTP_PORT: String(await freePort()) }));
  try {
    const progress = () => daemon.logs().filter((l) => l.unparsed === true).map((l) => String(l.msg));
    // every sample, not just the two looked at: a later one's Bedrock calls would land in the copy's window below
    const names = await sampleNames();
    await waitFor(() => names.every((name) => progress().some((l) => l.includes(`samples/${name}`))), {
      what: 'every sample processed', timeoutMs: 90_000,
    });
    const said = progress().filter((l) => l.startsWith('embeddings:'));
    assert.equal(said.length, 1, 'says once what embeddings do');
    assert.match(said[0]!, /^embeddings: on — Bedrock in us-east-1: text cohere\.embed-multilingual-v3 \(1024\), image amazon\.titan-embed-image-v1 \(256\)/);
    const photoLine = progress().find((l) => l.includes('領収書-写真.jpg'))!;
    assert.match(photoLine, /^✔ done/, photoLine);

    const db = new DatabaseSync(join(dataDir, 'spot-ingest.db'), { readOnly: true });
    try {
      const rows = db.prepare(`SELECT file_name, json_array_length(doc, '$.text_embedding') AS t, json_array_length(doc, '$.image_embedding') AS i FROM documents`).all() as Array<{ file_name: string; t: number | null; i: number | null }>;
      const photo = rows.find((r) => r.file_name === '領収書-写真.jpg')!;
      assert.equal(photo.i, 256, 'the photo has an image vector');
      const pdf = rows.find((r) => r.file_name === '請求書-テキスト層.pdf')!;
      assert.equal(pdf.t, 1024, 'the PDF has a Cohere text vector');
    } finally {
      db.close();
    }
    assert.ok(bedrock.requests.some((q) => (q.body as { input_type?: string }).input_type === 'search_document'), 'documents are embedded as search_document');

    const before = bedrock.requests.length;
    const search = await runCli(['search', '請求書', '--json'], localEnv());
    assert.equal(search.code, 0, search.stderr);
    const hits = JSON.parse(search.stdout) as Array<{ file_name: string }>;
    assert.ok(hits.some((h) => h.file_name.startsWith('請求書')), search.stdout);
    const queries = bedrock.requests.slice(before);
    assert.ok(queries.some((q) => (q.body as { input_type?: string }).input_type === 'search_query'), 'the query was embedded as search_query');
    assert.ok(!queries.some((q) => q.model === 'amazon.titan-embed-image-v1'), 'a Japanese query is not sent to the English-only image model');

    // a copy of a sample photo sent under another key is indexed from the sample's extraction: no OCR, no Bedrock call
    const beforeCopy = bedrock.requests.length;
    const sent = await runCli(['send', join(SAMPLES, '領収書-写真.jpg'), '--prefix', 'copies/2026/'], localEnv());
    assert.equal(sent.code, 0, sent.stderr);
    await waitFor(() => progress().some((l) => l.includes('copies/2026/領収書-写真.jpg')), { what: 'the copy processed', timeoutMs: 30_000 });
    const copyLine = progress().find((l) => l.includes('copies/2026/領収書-写真.jpg'))!;
    assert.match(copyLine, /^✔ done .* reused from s3:\/\/spot-ingest-local\/\S*領収書-写真\.jpg \(saved 1 page, \d+ Bedrock tokens\)/, copyLine);
    assert.equal(bedrock.requests.length, beforeCopy, 'no Bedrock call for the copy');
  } finally {
    const exit = await daemon.stop('SIGTERM');
    assert.equal(exit.code, 0, daemon.stderr());
  }
});

test('local mode without AWS credentials: embeddings are off, and doctor says why', async () => {
  const home = await mkdtemp(join(tmpdir(), 'spot-ingest-home-'));
  try {
    const doctor = await runCli(['doctor', '--json'], localEnv({
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: '', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', HOME: home,
      INGEST_TEXT_EMBEDDING_MODEL: '', INGEST_IMAGE_EMBEDDING_MODEL: '',
    }));
    const results = JSON.parse(doctor.stdout) as Array<{ name: string; ok: boolean; detail: string }>;
    const bedrockCheck = results.find((r) => r.name === 'Bedrock embeddings')!;
    assert.equal(bedrockCheck.ok, true);
    assert.match(bedrockCheck.detail, /^embeddings: off \(no AWS credentials found/);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test('local mode with credentials but no Bedrock access: embeddings are switched off once, not retried per sample; doctor fails with the fix', async () => {
  bedrock.fail({ status: 403 });
  try {
    const doctor = await runCli(['doctor', '--json'], localEnv());
    const results = JSON.parse(doctor.stdout) as Array<{ name: string; ok: boolean; detail: string; fix?: string }>;
    const check = results.find((r) => r.name === 'Bedrock embeddings')!;
    assert.equal(check.ok, false);
    assert.match(check.detail, /^embeddings: off \(Bedrock did not answer: EMBEDDING_ACCESS_DENIED/);
    assert.match(check.fix ?? '', /bedrock:InvokeModel/);
    assert.equal(doctor.code, 1);
  } finally {
    bedrock.reset();
  }
});
