/**
 * BedrockEmbedder with the real SDK client (HTTP/1.1, adaptive retry, token-count middleware)
 * against the Bedrock stand-in. Each test gets a fresh client: the adaptive rate limiter keeps its
 * state per client, so one test's throttling must not slow the next one down.
 */
import { describe, test, beforeAll, afterAll, beforeEach, afterEach } from 'vitest';
import assert from 'node:assert/strict';
import { InvokeModelCommand, type BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import sharp from 'sharp';
import { createBedrockRuntimeClient, type BedrockClientOptions } from '../../../src/adapters/embedder/bedrock-client.ts';
import { BedrockEmbedder } from '../../../src/adapters/embedder/bedrock.ts';
import { resolveModel, type ModelSpec } from '../../../src/adapters/embedder/models.ts';
import { isIngestError, type IngestError } from '../../../src/core/errors.ts';
import { countTokens, startBedrockStandIn, type BedrockStandIn } from '../../support/bedrock-stand-in.ts';
import { waitFor } from '../../support/wait-for.ts';

const TITAN_TEXT = resolveModel('amazon.titan-embed-text-v2:0', 512);
const TITAN_IMAGE = resolveModel('amazon.titan-embed-image-v1', 384, 'image');
const COHERE = resolveModel('cohere.embed-multilingual-v3');

let standIn: BedrockStandIn;
let clients: BedrockRuntimeClient[] = [];
let throttles: string[] = [];

function client(overrides: Partial<BedrockClientOptions> = {}): BedrockRuntimeClient {
  const c = createBedrockRuntimeClient({
    env: { AWS_ENDPOINT_URL_BEDROCK_RUNTIME: standIn.url },
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    region: 'us-east-1',
    maxAttempts: 3,
    onThrottle: (model) => throttles.push(model),
    ...overrides,
  });
  clients.push(c);
  return c;
}

function embedder(model: ModelSpec, overrides: Partial<BedrockClientOptions> = {}): BedrockEmbedder {
  return new BedrockEmbedder({ client: client(overrides), model });
}

async function rejection(promise: Promise<unknown>): Promise<IngestError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isIngestError(err), `expected an IngestError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

const cosine = (a: number[], b: number[]): number => a.reduce((s, x, i) => s + x * b[i]!, 0);

beforeAll(async () => {
  standIn = await startBedrockStandIn();
});
afterAll(async () => {
  await standIn.close();
});
beforeEach(() => {
  standIn.reset();
  throttles = [];
});
afterEach(() => {
  for (const c of clients) c.destroy();
  clients = [];
});

describe('vectors', () => {
  test('each model returns vectors of the configured dimension', async () => {
    const text = await embedder(TITAN_TEXT).embedText('quarterly invoice report', 'document');
    assert.equal(text.vector.length, 512);
    assert.deepEqual(text, { ...text, inputTokens: countTokens('quarterly invoice report'), charsUsed: 24, truncated: false });

    const imageModel = embedder(TITAN_IMAGE);
    const caption = await imageModel.embedText('a red car', 'query');
    assert.equal(caption.vector.length, 384);
    const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#c03030' } }).png().toBuffer();
    const image = await imageModel.embedImage({ data: png, format: 'png', width: 64, height: 48 });
    assert.equal(image.vector.length, 384);
    assert.equal(image.inputTokens, 0);
    const again = await imageModel.embedImage({ data: png, format: 'png', width: 64, height: 48 });
    assert.deepEqual(again.vector, image.vector, 'the same bytes give the same vector');

    const cohere = await embedder(COHERE).embedText('請求書を送付します', 'document');
    assert.equal(cohere.vector.length, 1024);

    assert.deepEqual(standIn.requests.map((r) => [r.model, r.status]), [
      ['amazon.titan-embed-text-v2:0', 200],
      ['amazon.titan-embed-image-v1', 200],
      ['amazon.titan-embed-image-v1', 200],
      ['amazon.titan-embed-image-v1', 200],
      ['cohere.embed-multilingual-v3', 200],
    ]);
    assert.deepEqual(standIn.requests[0]!.body, { inputText: 'quarterly invoice report', dimensions: 512, normalize: true });
    assert.deepEqual((standIn.requests[2]!.body as { embeddingConfig: unknown }).embeddingConfig, { outputEmbeddingLength: 384 });
  });

  test('Cohere: the purpose maps to input_type, and the token count comes from the response header', async () => {
    const cohere = embedder(COHERE);
    const doc = await cohere.embedText('請求書  を\n送付します', 'document');
    const query = await cohere.embedText('請求書', 'query');
    assert.deepEqual(standIn.requests.map((r) => (r.body as { input_type: string }).input_type), ['search_document', 'search_query']);
    assert.deepEqual((standIn.requests[0]!.body as { texts: string[] }).texts, ['請求書 を\n送付します']);
    // Cohere's body carries no count: these numbers can only have come from X-Amzn-Bedrock-Input-Token-Count
    assert.equal(doc.inputTokens, countTokens('請求書 を\n送付します'));
    assert.equal(query.inputTokens, 3);
  });

  test('texts sharing words get similar vectors (the stand-in is usable for hybrid search)', async () => {
    const titan = embedder(TITAN_TEXT);
    const docs = ['請求書を送付します。ご確認ください。', '今日の天気は晴れです。', 'Quarterly revenue report for Tokyo'];
    const vectors = await Promise.all(docs.map((d) => titan.embedText(d, 'document')));
    const query = await titan.embedText('請求書', 'query');
    const scores = vectors.map((v) => cosine(query.vector, v.vector));
    assert.equal(scores.indexOf(Math.max(...scores)), 0, `scores ${scores.join(', ')}`);
    const english = await titan.embedText('revenue report', 'query');
    const englishScores = vectors.map((v) => cosine(english.vector, v.vector));
    assert.equal(englishScores.indexOf(Math.max(...englishScores)), 2);
  });
});

describe('throttling', () => {
  test('throttled twice, then the SDK retry succeeds; the observer saw both throttled attempts', async () => {
    standIn.throttle({ count: 2 });
    const result = await embedder(TITAN_TEXT).embedText('hello', 'document');
    assert.equal(result.vector.length, 512);
    assert.deepEqual(standIn.counts(), { 200: 1, 429: 2 });
    assert.deepEqual(throttles, ['amazon.titan-embed-text-v2:0', 'amazon.titan-embed-text-v2:0']);
  });

  test('throttling that never ends → EMBEDDING_THROTTLED, retryable, after every attempt', async () => {
    standIn.throttle();
    const err = await rejection(embedder(TITAN_TEXT, { maxAttempts: 2 }).embedText('hello', 'document'));
    assert.equal(err.code, 'EMBEDDING_THROTTLED');
    assert.equal(err.retryable, true);
    assert.match(err.message, /amazon\.titan-embed-text-v2:0/);
    assert.deepEqual(standIn.counts(), { 429: 2 });
    assert.equal(throttles.length, 2);
  });

  test('the stand-in throttles above ratePerSecond (a token bucket)', async () => {
    standIn.throttle({ ratePerSecond: 2 });
    const sdk = client({ maxAttempts: 1 });
    const body = JSON.stringify({ inputText: 'x' });
    const results = await Promise.allSettled(Array.from({ length: 8 }, () =>
      sdk.send(new InvokeModelCommand({ modelId: TITAN_TEXT.id, body, contentType: 'application/json' }))));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 2);
    assert.deepEqual(standIn.counts(), { 200: 2, 429: 6 });
  });
});

describe('errors', () => {
  test('503 → EMBEDDING_UNAVAILABLE, retryable, after the SDK retried', async () => {
    standIn.fail({ status: 503 });
    const err = await rejection(embedder(TITAN_TEXT).embedText('hello', 'document'));
    assert.equal(err.code, 'EMBEDDING_UNAVAILABLE');
    assert.equal(err.retryable, true);
    assert.match(err.message, /ServiceUnavailableException/);
    assert.deepEqual(standIn.counts(), { 503: 3 });
    assert.deepEqual(throttles, []);
  });

  test('a 500 that clears up is retried by the SDK', async () => {
    standIn.fail({ status: 500, count: 1 });
    const result = await embedder(COHERE).embedText('hello', 'query');
    assert.equal(result.vector.length, 1024);
    assert.deepEqual(standIn.counts(), { 200: 1, 500: 1 });
  });

  test('400 → EMBEDDING_REJECTED, not retryable, sent once', async () => {
    standIn.fail({ status: 400, message: 'Malformed input request: something about this input' });
    const err = await rejection(embedder(TITAN_TEXT).embedText('hello', 'document'));
    assert.equal(err.code, 'EMBEDDING_REJECTED');
    assert.equal(err.retryable, false);
    assert.match(err.message, /something about this input/);
    assert.deepEqual(standIn.counts(), { 400: 1 });
  });

  test('403 → EMBEDDING_ACCESS_DENIED telling what to grant', async () => {
    standIn.fail({ status: 403 });
    const err = await rejection(embedder(COHERE).embedText('hello', 'document'));
    assert.equal(err.code, 'EMBEDDING_ACCESS_DENIED');
    assert.equal(err.retryable, true);
    assert.match(err.message, /bedrock:InvokeModel/);
    assert.match(err.message, /cohere\.embed-multilingual-v3/);
  });

  test('an unknown model id → EMBEDDING_MODEL_NOT_FOUND (configuration, not this input)', async () => {
    const unknown = { ...TITAN_TEXT, id: 'amazon.titan-embed-text-v9:0' };
    const err = await rejection(embedder(unknown).embedText('hello', 'document'));
    assert.equal(err.code, 'EMBEDDING_MODEL_NOT_FOUND');
    assert.equal(err.retryable, true);
    assert.match(err.message, /amazon\.titan-embed-text-v9:0/);
    assert.equal(standIn.requests[0]!.errorType, 'ValidationException');
  });

  test('empty text is rejected without calling Bedrock', async () => {
    const err = await rejection(embedder(TITAN_TEXT).embedText(' \n\t ', 'document'));
    assert.equal(err.code, 'EMBEDDING_REJECTED');
    assert.equal(err.retryable, false);
    assert.equal(standIn.requests.length, 0);
  });

  test('nothing listening → EMBEDDING_UNAVAILABLE; AWS_ENDPOINT_URL_BEDROCK_RUNTIME wins over AWS_ENDPOINT_URL', async () => {
    const other = await startBedrockStandIn();
    const closedUrl = other.url;
    await other.close();
    const err = await rejection(embedder(TITAN_TEXT, { env: { AWS_ENDPOINT_URL: closedUrl }, maxAttempts: 1 }).embedText('hello', 'document'));
    assert.equal(err.code, 'EMBEDDING_UNAVAILABLE');
    assert.equal(err.retryable, true);
    assert.equal(standIn.requests.length, 0);

    const both = { AWS_ENDPOINT_URL: closedUrl, AWS_ENDPOINT_URL_BEDROCK_RUNTIME: standIn.url };
    assert.equal((await embedder(TITAN_TEXT, { env: both }).embedText('hello', 'document')).vector.length, 512);
    assert.equal((await embedder(TITAN_TEXT, { env: { AWS_ENDPOINT_URL: standIn.url } }).embedText('hello', 'document')).vector.length, 512);
    assert.equal(standIn.requests.length, 2);
  });

  test('images the model refuses → EMBEDDING_REJECTED (over 2048 px; not JPEG/PNG)', async () => {
    const titan = embedder(TITAN_IMAGE);
    const wide = await sharp({ create: { width: 2100, height: 8, channels: 3, background: '#000' } }).png().toBuffer();
    const tooWide = await rejection(titan.embedImage({ data: wide, format: 'png', width: 2100, height: 8 }));
    assert.equal(tooWide.code, 'EMBEDDING_REJECTED');
    assert.match(tooWide.message, /2048/);
    const webp = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).webp().toBuffer();
    const notPng = await rejection(titan.embedImage({ data: webp, format: 'png', width: 8, height: 8 }));
    assert.equal(notPng.code, 'EMBEDDING_REJECTED');
    assert.deepEqual(standIn.counts(), { 400: 2 });
  });
});

describe('too long for the model', () => {
  // A spec that lets far more through than Titan takes, so the stand-in's 8192-token limit decides.
  const LENIENT = { ...TITAN_TEXT, maxTextTokens: 1_000_000 };

  test('"Too many input tokens" → the text is halved, sent again and marked truncated', async () => {
    const text = 'あ'.repeat(20_000); // 20 000 tokens → 10 000 → 5 000
    const result = await embedder(LENIENT).embedText(text, 'document');
    assert.equal(result.truncated, true);
    assert.equal(result.charsUsed, 5_000);
    assert.equal(result.inputTokens, 5_000);
    assert.deepEqual(standIn.requests.map((r) => r.status), [400, 400, 200]);
    assert.deepEqual(standIn.requests.map((r) => (r.body as { inputText: string }).inputText.length), [20_000, 10_000, 5_000]);
  });

  test('still too long after two halvings → EMBEDDING_REJECTED', async () => {
    const err = await rejection(embedder(LENIENT).embedText('あ'.repeat(40_000), 'document'));
    assert.equal(err.code, 'EMBEDDING_REJECTED');
    assert.equal(err.retryable, false);
    assert.match(err.message, /Too many input tokens/);
    assert.equal(standIn.requests.length, 3);
  });

  test('text prepared for the real limits passes the first time', async () => {
    const result = await embedder(TITAN_TEXT).embedText('請求書'.repeat(20_000), 'document');
    assert.equal(result.truncated, true);
    assert.deepEqual(standIn.counts(), { 200: 1 });
  });
});

describe('abort', () => {
  test('aborting an in-flight call rejects with the signal reason at once', async () => {
    standIn.delay(30_000);
    const titan = embedder(TITAN_TEXT);
    const controller = new AbortController();
    const reason = new Error('job cancelled');
    const call = titan.embedText('hello', 'document', { signal: controller.signal });
    await waitFor(() => standIn.requests.length === 1, { what: 'the request to reach the stand-in' });
    controller.abort(reason);
    // the stand-in answers only after 30 s: a call that waited for it would not reject with the reason
    await assert.rejects(call, (err) => err === reason);
    assert.equal(standIn.requests.length, 1, 'not retried after the abort');
  });

  test('an already aborted signal sends nothing', async () => {
    const reason = new Error('shutting down');
    await assert.rejects(embedder(TITAN_TEXT).embedText('hello', 'document', { signal: AbortSignal.abort(reason) }), (err) => err === reason);
    assert.equal(standIn.requests.length, 0);
  });
});

describe('the stand-in itself', () => {
  test('refuses unsigned requests with 403 like AWS', async () => {
    const res = await fetch(`${standIn.url}/model/amazon.titan-embed-text-v2%3A0/invoke`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputText: 'x' }),
    });
    assert.equal(res.status, 403);
    assert.match(res.headers.get('x-amzn-errortype') ?? '', /^MissingAuthenticationTokenException:http:\/\/internal\.amazon\.com\/coral\/com\.amazon\.bedrock\/$/);
    assert.deepEqual(await res.json(), { message: 'Missing Authentication Token' });
  });

  test("enforces Cohere's limits and Titan's dimensions", async () => {
    const sdk = client({ maxAttempts: 1 });
    const send = (modelId: string, body: unknown) => sdk.send(new InvokeModelCommand({ modelId, body: JSON.stringify(body), contentType: 'application/json' }));
    await assert.rejects(send(COHERE.id, { texts: Array.from({ length: 97 }, () => 'a'), input_type: 'search_document' }), /maxItems: 96/);
    await assert.rejects(send(COHERE.id, { texts: ['a'.repeat(2049)], input_type: 'search_document' }), /maxLength: 2048/);
    await assert.rejects(send(TITAN_TEXT.id, { inputText: 'x', dimensions: 300 }), { name: 'ValidationException' });
    await assert.rejects(send(TITAN_TEXT.id, { inputText: 'x'.repeat(50_001) }), /maxLength: 50000/);
    const ok = await send(COHERE.id, { texts: ['a', 'b'], input_type: 'clustering', embedding_types: ['float'] });
    const body = JSON.parse(new TextDecoder().decode(ok.body)) as { response_type: string; embeddings: { float: number[][] } };
    assert.equal(body.response_type, 'embeddings_by_type');
    assert.equal(body.embeddings.float.length, 2);
  });
});
