/**
 * The spawned daemon with Bedrock embeddings against the Bedrock stand-in
 * (AWS_ENDPOINT_URL_BEDROCK_RUNTIME): vectors of the configured dimension reach the index, a
 * throttling storm slows it down without dead letters, an outage opens the circuit (messages are
 * retried, /readyz says why) and closes again, the daily budget stops embedding and
 * `spot-ingest reembed` fills the vectors in afterwards, and a dimension mismatch with the index or
 * an unknown model stops the start.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { documentId } from '../../src/adapters/index/document-id.ts';
import { putObject, queueCounts, send } from '../support/aws.ts';
import { titanModelsAt, useBedrockStandIn } from '../support/bedrock-suite.ts';
import { runCli, spawnDaemon, type SpawnedDaemon } from '../support/daemon.ts';
import { FIXTURES } from '../support/documents.ts';
import { createE2eStack, stopDaemonAndClose, type E2eStack } from '../support/e2e-stack.ts';
import { nativeEvent } from '../support/events.ts';
import { freePort } from '../support/free-port.ts';
import { waitFor } from '../support/wait-for.ts';
import { readMetric } from '../support/metrics.ts';

const standIn = useBedrockStandIn();
const MODELS = () => titanModelsAt(standIn().url);

interface Running {
  stack: E2eStack;
  daemon: SpawnedDaemon;
  port: number;
}

async function start(prefix: string, extra: Record<string, string> = {}, maxReceiveCount = 20): Promise<Running> {
  const stack = await createE2eStack(prefix, { maxReceiveCount, env: MODELS() });
  const port = await freePort();
  const daemon = spawnDaemon(stack.env({ INGEST_HTTP_PORT: String(port), ...extra }));
  await daemon.waitForLog((l) => l.msg === 'consuming', 'daemon to start consuming');
  return { stack, daemon, port };
}

const docOf = (r: Running, key: string) => r.stack.recorder.documents(r.stack.index).get(documentId(r.stack.bucket, key));

const metric = (r: Running, name: string, labels = '') => readMetric(r.port, name, labels);

async function uploadTexts(r: Running, prefix: string, texts: string[]): Promise<string[]> {
  const keys: string[] = [];
  for (const [i, text] of texts.entries()) {
    const key = `${prefix}/note-${i}.txt`;
    await putObject(r.stack.s3, r.stack.bucket, key, text);
    await send(r.stack.sqs, r.stack.queueUrl, nativeEvent(r.stack.bucket, key));
    keys.push(key);
  }
  return keys;
}

const TEXTS = ['請求書の合計金額は四万八千六百円です', 'The quarterly report shows revenue growth', '東京都千代田区の会議室を予約しました'];

test('vectors of the configured dimension reach the index, for text and for images; /metrics counts tokens, images and cost', async () => {
  const r = await start('e2e-embed');
  try {
    const keys = await uploadTexts(r, 'notes', TEXTS);
    const photo = 'photos/receipt.jpg';
    await putObject(r.stack.s3, r.stack.bucket, photo, await readFile(join(FIXTURES, 'photo-exif-rotated.jpg')));
    await send(r.stack.sqs, r.stack.queueUrl, nativeEvent(r.stack.bucket, photo));
    // a million characters of Japanese: far over Titan's 8192 tokens
    const [huge] = await uploadTexts(r, 'huge', ['会議の議事録です。'.repeat(111_112)]);
    const [empty] = await uploadTexts(r, 'empty', ['']);
    await waitFor(() => [...keys, photo, huge!, empty!].every((k) => docOf(r, k) !== undefined), { timeoutMs: 90_000, what: 'every document indexed' });

    const big = docOf(r, huge!)!;
    assert.equal((big.text_embedding as number[]).length, 256);
    assert.equal(big.text_embedding_truncated, true);
    assert.ok((big.warnings as string[]).some((w) => /^EMBEDDING_TEXT_TRUNCATED: .* of 1000008 characters/.test(w)), String(big.warnings));
    assert.ok((big.content as string).length === 1_000_008, 'the whole text is still indexed');
    const blank = docOf(r, empty!)!;
    assert.equal(blank.text_embedding, undefined, 'empty text gets no vector');
    assert.ok(!standIn().requests.some((q) => (q.body as { inputText?: string }).inputText === ''), 'and no call');
    assert.equal(standIn().counts()[400] ?? 0, 0, 'nothing sent was over a limit');

    for (const key of keys) {
      const doc = docOf(r, key)!;
      assert.deepEqual(doc.warnings, [], key);
      assert.equal((doc.text_embedding as number[]).length, 256, key);
      assert.equal(doc.embedding_pending, false);
      assert.equal(doc.text_embedding_truncated, false);
      assert.equal(doc.image_embedding, undefined, 'text files get no image vector');
    }
    const image = docOf(r, photo)!;
    assert.equal((image.image_embedding as number[]).length, 256);
    const imageCall = standIn().requests.find((q) => q.model === 'amazon.titan-embed-image-v1' && (q.body as { inputImage?: string }).inputImage !== undefined);
    assert.ok(imageCall, 'the photo was sent to the image model');
    // similar texts, similar vectors: the stand-in hashes words, so two different notes differ
    assert.notDeepEqual(docOf(r, keys[0]!)!.text_embedding, docOf(r, keys[1]!)!.text_embedding);

    assert.ok((await metric(r, 'spot_ingest_bedrock_input_tokens_total', 'amazon.titan-embed-text-v2:0')) > 0);
    assert.equal(await metric(r, 'spot_ingest_bedrock_images_total', 'amazon.titan-embed-image-v1'), 1);
    assert.ok((await metric(r, 'spot_ingest_bedrock_estimated_cost_usd_total')) > 0);
    assert.ok((await metric(r, 'spot_ingest_step_duration_seconds_count', 'step="embed"')) >= 5);

    // hybrid search through the CLI: the text match and the k-NN on the query's vector, fused
    const search = await runCli(['search', '請求書', '--json'], r.stack.env());
    assert.equal(search.code, 0, search.stderr);
    const hits = JSON.parse(search.stdout) as Array<{ key: string }>;
    assert.equal(hits[0]?.key, keys[0]);
    const msearch = r.stack.recorder.requests.find((q) => q.path.endsWith('/_msearch'));
    assert.ok(msearch && msearch.body.includes('"knn"'), 'the search sent a k-NN query with the text query');
  } finally {
    await stopDaemonAndClose(r.stack, r.daemon);
  }
});

test('a throttling storm slows the daemon down without dead letters', async () => {
  const r = await start('e2e-throttle', { INGEST_CONCURRENCY: '6' });
  try {
    standIn().throttle({ ratePerSecond: 2 });
    const texts = Array.from({ length: 12 }, (_, i) => `throttled document number ${i} about invoices and receipts`);
    const keys = await uploadTexts(r, 'storm', texts);
    await waitFor(() => keys.every((k) => docOf(r, k) !== undefined), { timeoutMs: 150_000, what: 'every document indexed through the storm' });
    for (const key of keys) assert.equal((docOf(r, key)!.text_embedding as number[]).length, 256, key);
    assert.ok((standIn().counts()[429] ?? 0) > 0, 'the stand-in did throttle');
    assert.ok((await metric(r, 'spot_ingest_bedrock_throttled_attempts_total')) > 0, 'throttled attempts are counted');
    assert.equal((await queueCounts(r.stack.sqs, r.stack.dlqUrl)).total, 0, 'nothing was dead-lettered');
    assert.equal(await metric(r, 'spot_ingest_messages_total', 'outcome="dead-letter"'), 0);
  } finally {
    await stopDaemonAndClose(r.stack, r.daemon);
  }
});

test('a Bedrock outage opens the circuit: messages are retried, not dead-lettered, receiving pauses, /readyz says why; recovery indexes them', async () => {
  const r = await start('e2e-outage', { INGEST_BEDROCK_CIRCUIT_SECONDS: '2', INGEST_CONCURRENCY: '6' });
  try {
    standIn().fail({ status: 503 });
    const keys = await uploadTexts(r, 'outage', Array.from({ length: 6 }, (_, i) => `outage document ${i}`));
    const readyz = async () => {
      const res = await fetch(`http://127.0.0.1:${r.port}/readyz`);
      return { status: res.status, body: (await res.json()) as { reasons: string[] } };
    };
    const notReady = await waitFor(async () => {
      const answer = await readyz();
      return answer.status === 503 ? answer.body : undefined;
    }, { timeoutMs: 60_000, what: '/readyz to report the open circuit' });
    assert.match(notReady.reasons.join(' '), /bedrock circuit open \(.*Bedrock/);
    // while it is open the daemon stops receiving: messages wait in the queue, their receive counts unused
    const paused = await r.daemon.waitForLog((l) => l.msg === 'receiving paused', 'receiving to pause', 30_000);
    assert.match(String(paused.reason), /bedrock circuit open/);
    // a retry is counted once it is settled (visibility changed), which may come after the pause
    await waitFor(async () => (await metric(r, 'spot_ingest_messages_total', 'outcome="retry"')) > 0, { timeoutMs: 30_000, what: 'failed messages retried' });
    assert.equal(keys.filter((k) => docOf(r, k) !== undefined).length, 0, 'nothing is indexed without its vectors during an outage');

    standIn().reset();
    await waitFor(() => keys.every((k) => docOf(r, k) !== undefined), { timeoutMs: 90_000, what: 'every document indexed after the outage' });
    await waitFor(async () => (await readyz()).status === 200, { timeoutMs: 10_000, what: '/readyz ready again' });
    assert.ok(r.daemon.logs().some((l) => l.msg === 'receiving resumed'));
    assert.equal((await queueCounts(r.stack.sqs, r.stack.dlqUrl)).total, 0, 'nothing was dead-lettered');
  } finally {
    await stopDaemonAndClose(r.stack, r.daemon);
  }
});

test('the daily budget stops embedding (documents indexed, marked embedding_pending); reembed fills the vectors in', async () => {
  // one short note costs ~2e-7 USD at Titan text v2's price: the first one spends the budget
  const r = await start('e2e-budget', { INGEST_BEDROCK_DAILY_BUDGET_USD: '0.00000001', INGEST_CONCURRENCY: '1' });
  try {
    const [first] = await uploadTexts(r, 'first', ['the first note is embedded before the budget runs out']);
    await waitFor(() => docOf(r, first!) !== undefined, { timeoutMs: 60_000, what: 'the first document' });
    assert.equal(docOf(r, first!)!.embedding_pending, false);

    const later = await uploadTexts(r, 'later', TEXTS);
    const photo = 'later/receipt.jpg';
    await putObject(r.stack.s3, r.stack.bucket, photo, await readFile(join(FIXTURES, 'photo-exif-rotated.jpg')));
    await send(r.stack.sqs, r.stack.queueUrl, nativeEvent(r.stack.bucket, photo));
    const pending = [...later, photo];
    await waitFor(() => pending.every((k) => docOf(r, k) !== undefined), { timeoutMs: 90_000, what: 'the later documents' });
    const calls = standIn().requests.length;
    for (const key of pending) {
      const doc = docOf(r, key)!;
      assert.equal(doc.embedding_pending, true, key);
      assert.equal(doc.text_embedding, undefined);
      assert.ok((doc.warnings as string[]).some((w) => w.startsWith('EMBEDDING_DEFERRED')), key);
    }
    assert.equal(await metric(r, 'spot_ingest_embeddings_deferred_total'), pending.length);
    assert.ok((await metric(r, 'spot_ingest_bedrock_budget_spent_usd')) >= 0.00000001);

    // reembed without a cap: every pending document gets its vectors, the photo its image vector
    const reembed = await runCli(['reembed'], r.stack.env({ INGEST_BEDROCK_DAILY_BUDGET_USD: '' }));
    assert.equal(reembed.code, 0, reembed.stdout + reembed.stderr);
    assert.match(reembed.stdout, new RegExp(`${pending.length} embedded, 0 failed`));
    await waitFor(() => pending.every((k) => docOf(r, k)!.embedding_pending === false), { timeoutMs: 10_000, what: 'reembedded documents' });
    for (const key of later) assert.equal((docOf(r, key)!.text_embedding as number[]).length, 256);
    assert.equal((docOf(r, photo)!.image_embedding as number[]).length, 256);
    assert.ok(!(docOf(r, photo)!.warnings as string[]).some((w) => w.startsWith('EMBEDDING_DEFERRED')));
    assert.ok(standIn().requests.length > calls);
  } finally {
    await stopDaemonAndClose(r.stack, r.daemon);
  }
});

test('the daemon refuses an index whose vector dimension differs from the model, and an unknown model, at start', async () => {
  const stack = await createE2eStack('e2e-dims', { env: MODELS() });
  try {
    const mismatch = await runCli(['run'], stack.env({ INGEST_TEXT_EMBEDDING_DIMENSIONS: '512' }));
    assert.equal(mismatch.code, 1, mismatch.stderr);
    assert.match(mismatch.stderr, /text_embedding has 256 dimensions in the index, but INGEST_TEXT_EMBEDDING_MODEL=amazon\.titan-embed-text-v2:0 makes 512/);
    assert.match(mismatch.stderr, /setup --roll --reindex/);

    const unknown = await runCli(['run'], stack.env({ INGEST_TEXT_EMBEDDING_MODEL: 'acme.embed-everything-v9' }));
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /INGEST_TEXT_EMBEDDING_MODEL: unknown embedding model "acme\.embed-everything-v9"/);

    const badDims = await runCli(['run'], stack.env({ INGEST_IMAGE_EMBEDDING_DIMENSIONS: '300' }));
    assert.equal(badDims.code, 2, badDims.stderr);
    assert.match(badDims.stderr, /INGEST_IMAGE_EMBEDDING_DIMENSIONS: .*256, 384, 1024 dimensions, not 300/);
  } finally {
    await stack.close();
  }
});
