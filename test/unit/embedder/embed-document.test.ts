/**
 * The embed step and the EmbeddingService around the embedder ports (fake embedders, no SDK):
 * vectors and truncation reach the document fields; a refused input costs one vector (a warning);
 * retryable failures are thrown (message retry) and open the circuit, which then fails fast; the
 * budget pauses embedding and marks the document pending; accounting reaches /metrics.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { DailyBudget } from '../../../src/adapters/embedder/daily-budget.ts';
import { EmbeddingService } from '../../../src/adapters/embedder/embedding-service.ts';
import { resolveModel, type ModelSpec } from '../../../src/adapters/embedder/models.ts';
import type { ImageEmbedder, TextEmbedder, TextPurpose } from '../../../src/adapters/embedder/port.ts';
import { isIngestError, permanent, transient } from '../../../src/core/errors.ts';
import { Metrics } from '../../../src/observability/metrics.ts';
import { embedDocument } from '../../../src/pipeline/embed-document.ts';

type Behaviour = 'ok' | 'truncate' | 'reject' | 'down';

function fakeText(model: ModelSpec, behaviour: () => Behaviour, calls: Array<{ text: string; purpose: TextPurpose }> = []): TextEmbedder {
  return {
    model, dimensions: model.dimensions,
    async embedText(text, purpose) {
      calls.push({ text, purpose });
      const b = behaviour();
      if (b === 'reject') throw permanent('EMBEDDING_REJECTED', 'Bedrock refused this input');
      if (b === 'down') throw transient('EMBEDDING_UNAVAILABLE', 'Bedrock model is unavailable (ServiceUnavailableException 503)');
      return { vector: Array(model.dimensions).fill(0.5), inputTokens: 1000, charsUsed: b === 'truncate' ? 10 : text.length, truncated: b === 'truncate' };
    },
  };
}

function fakeImage(model: ModelSpec, behaviour: () => Behaviour): ImageEmbedder {
  return {
    model, dimensions: model.dimensions,
    async embedImage(image) {
      assert.equal(image.format, 'jpeg');
      if (behaviour() === 'down') throw transient('EMBEDDING_THROTTLED', 'throttled');
      return { vector: Array(model.dimensions).fill(0.25), inputTokens: 0 };
    },
  };
}

const TEXT = resolveModel('amazon.titan-embed-text-v2:0', 256);
const IMAGE = resolveModel('amazon.titan-embed-image-v1', 384, 'image');
const png = () => sharp({ create: { width: 40, height: 30, channels: 3, background: '#336699' } }).png().toBuffer();

function service(options: { text?: Behaviour; image?: Behaviour; limitUsd?: number; metrics?: Metrics; now?: () => number } = {}) {
  let text = options.text ?? 'ok';
  let image = options.image ?? 'ok';
  const calls: Array<{ text: string; purpose: TextPurpose }> = [];
  const s = new EmbeddingService({
    text: fakeText(TEXT, () => text, calls),
    image: fakeImage(IMAGE, () => image),
    budget: new DailyBudget(options.limitUsd !== undefined ? { limitUsd: options.limitUsd } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    breaker: { failureThreshold: 2, openMs: 1_000, ...(options.now ? { now: options.now } : {}) },
  });
  return { s, calls, set: (t: Behaviour, i: Behaviour = image) => { text = t; image = i; } };
}

test('text and image vectors reach the fields; a truncated text is said so', async () => {
  const { s, calls } = service({ text: 'truncate' });
  const r = await embedDocument(s, { text: 'a long document', imagePath: await png() });
  assert.equal(r.fields.text_embedding?.length, 256);
  assert.equal(r.fields.image_embedding?.length, 384);
  assert.equal(r.fields.text_embedding_truncated, true);
  assert.equal(r.fields.embedding_pending, false);
  assert.match(r.warnings[0]!, /^EMBEDDING_TEXT_TRUNCATED: .*first 10 of 15 characters/);
  assert.deepEqual(calls, [{ text: 'a long document', purpose: 'document' }]);
  // what the calls cost (what a reuse of these vectors saves): the text model's 1000 tokens, one image
  assert.deepEqual(r.usage, { inputTokens: 1000, images: 1 });
});

test('empty text gets no vector and no call; nothing wanted ⇒ no fields at all', async () => {
  const { s, calls } = service();
  assert.deepEqual(await embedDocument(s, { text: '  \n ' }), { fields: {}, warnings: [], usage: { inputTokens: 0, images: 0 } });
  assert.equal(calls.length, 0);
});

test('a refused text or an unusable image costs that vector only (a warning), not the document', async () => {
  const { s } = service({ text: 'reject' });
  const r = await embedDocument(s, { text: 'x', imagePath: Buffer.from('not an image at all') });
  assert.equal(r.fields.text_embedding, undefined);
  assert.equal(r.fields.image_embedding, undefined);
  assert.equal(r.fields.embedding_pending, false);
  assert.match(r.warnings.join('\n'), /EMBEDDING_TEXT_REJECTED: Bedrock refused/);
  assert.match(r.warnings.join('\n'), /EMBEDDING_IMAGE_REJECTED: /);
});

test('an outage is thrown (retryable) and opens the circuit, which fails fast until the trial; /readyz reason while open', async () => {
  let now = 0;
  const metrics = new Metrics();
  const { s, calls, set } = service({ text: 'down', metrics, now: () => now });
  for (let i = 0; i < 2; i++) {
    await assert.rejects(embedDocument(s, { text: 'x' }), (e) => isIngestError(e) && e.retryable && e.code === 'EMBEDDING_UNAVAILABLE');
  }
  assert.match(s.problem ?? '', /^bedrock circuit open \(Bedrock model is unavailable/);
  await assert.rejects(embedDocument(s, { text: 'x' }), (e) => isIngestError(e) && e.retryable && e.code === 'EMBEDDING_CIRCUIT_OPEN');
  assert.equal(calls.length, 2, 'no call while open');
  now = 400;
  assert.equal(s.pauseMs, 600, 'receiving waits for the rest of the open period');
  assert.equal((await metrics.bedrockCircuitOpen.get()).values[0]?.value, 1);
  now = 1_001;
  assert.equal(s.problem, undefined, 'an idle daemon is not held unready once a trial is due');
  assert.equal(s.pauseMs, 0, 'and receiving resumes, so a message can be the trial');
  set('ok');
  assert.equal((await embedDocument(s, { text: 'x' })).fields.text_embedding?.length, 256);
  assert.equal((await metrics.bedrockCircuitOpen.get()).values[0]?.value, 0);
  const results = (await metrics.bedrockRequests.get()).values.map((v) => `${v.labels.result}=${v.value}`).sort();
  assert.deepEqual(results, ['circuit_open=1', 'failed=2', 'ok=1']);
});

test('a spent budget pauses embedding: the document is marked pending, with a warning, and nothing is called', async () => {
  const metrics = new Metrics();
  const { s, calls } = service({ limitUsd: 0.00005, metrics });
  // 1000 tokens at $0.00002 / 1k = $0.00002 per call
  assert.equal((await embedDocument(s, { text: 'one' })).fields.embedding_pending, false);
  assert.equal((await embedDocument(s, { text: 'two', imagePath: await png() })).fields.embedding_pending, false);
  assert.ok(s.paused, 'two texts and an image spent more than the budget');
  const r = await embedDocument(s, { text: 'three' });
  assert.deepEqual(r.fields, { embedding_pending: true });
  assert.match(r.warnings[0]!, /^EMBEDDING_DEFERRED: /);
  assert.equal(calls.length, 2);
  const cost = (await metrics.bedrockCost.get()).values.reduce((sum, v) => sum + v.value, 0);
  assert.ok(Math.abs(cost - (2 * 0.00002 + IMAGE.usdPerImage)) < 1e-12, String(cost));
  assert.equal((await metrics.bedrockImages.get()).values[0]?.value, 1);
  assert.equal((await metrics.bedrockInputTokens.get()).values.find((v) => v.labels.model === TEXT.baseId)?.value, 2000);
});

test('a retryable image failure after the text vector is thrown too: no half-embedded document is indexed', async () => {
  const { s } = service({ image: 'down' });
  await assert.rejects(embedDocument(s, { text: 'x', imagePath: await png() }), (e) => isIngestError(e) && e.code === 'EMBEDDING_THROTTLED');
});

test('/metrics counts each failed call under its reason: throttled, rejected, and failed for anything else', async () => {
  const metrics = new Metrics();
  const { s, set } = service({ text: 'reject', image: 'down', metrics });
  await assert.rejects(s.embedText('x', 'document'), (e) => isIngestError(e) && e.code === 'EMBEDDING_REJECTED');
  await assert.rejects(s.embedImage({ data: await png(), format: 'jpeg', width: 40, height: 30 } as never), (e) => isIngestError(e) && e.code === 'EMBEDDING_THROTTLED');
  set('ok');
  await s.embedText('x', 'query');
  const broken: TextEmbedder = { model: TEXT, dimensions: 256, embedText: async () => { throw new RangeError('a bug, not Bedrock'); } };
  await assert.rejects(s.embedText('x', 'document', {}, broken), RangeError);
  const results = (await metrics.bedrockRequests.get()).values.map((v) => `${v.labels.model} ${v.labels.result}=${v.value}`).sort();
  assert.deepEqual(results, [
    `${IMAGE.baseId} throttled=1`,
    `${TEXT.baseId} failed=1`,
    `${TEXT.baseId} ok=1`,
    `${TEXT.baseId} rejected=1`,
  ]);
});

test('a model that is off: its calls reject with a TypeError, and `enabled` says whether any model is on', async () => {
  const budget = new DailyBudget({});
  const none = new EmbeddingService({ text: null, image: null, budget });
  assert.equal(none.enabled, false);
  await assert.rejects(none.embedText('x', 'document'), (e) => e instanceof TypeError && /no text embedding model is configured/.test(e.message));
  await assert.rejects(none.embedImage({} as never), (e) => e instanceof TypeError && /no image embedding model is configured/.test(e.message));
  assert.equal(new EmbeddingService({ text: null, image: fakeImage(IMAGE, () => 'ok'), budget }).enabled, true);
  assert.equal(new EmbeddingService({ text: fakeText(TEXT, () => 'ok'), image: null, budget }).enabled, true);
});

test('a foreign error (a bug, not an outage) does not open the circuit: the next call still reaches the model', async () => {
  let calls = 0;
  const thrower: TextEmbedder = { model: TEXT, dimensions: 256, embedText: async () => { calls++; throw new RangeError('a bug'); } };
  const s = new EmbeddingService({ text: thrower, image: null, budget: new DailyBudget({}), breaker: { failureThreshold: 1, openMs: 60_000 } });
  await assert.rejects(s.embedText('x', 'document'), RangeError);
  assert.equal(s.problem, undefined);
  assert.equal(s.pauseMs, 0);
  await assert.rejects(s.embedText('x', 'document'), RangeError);
  assert.equal(calls, 2);
});
