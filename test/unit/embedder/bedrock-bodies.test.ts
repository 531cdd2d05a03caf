import { describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { imageRequestBody, parseEmbeddingResponse, textRequestBody, validateVector } from '../../../src/adapters/embedder/bedrock-bodies.ts';
import { resolveModel } from '../../../src/adapters/embedder/models.ts';
import { isIngestError } from '../../../src/core/errors.ts';

const TITAN_TEXT = resolveModel('amazon.titan-embed-text-v2:0', 256);
const TITAN_IMAGE = resolveModel('amazon.titan-embed-image-v1', 384, 'image');
const COHERE = resolveModel('cohere.embed-multilingual-v3');

const vec = (n: number, x = 0.01): number[] => Array.from({ length: n }, () => x);
const utf8 = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

function assertInvalid(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isIngestError(err));
    assert.equal(err.code, 'EMBEDDING_RESPONSE_INVALID');
    assert.equal(err.retryable, true);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('request bodies', () => {
  test('Titan Text V2: inputText, dimensions, normalize', () => {
    assert.deepEqual(JSON.parse(textRequestBody(TITAN_TEXT, 'hello', 'document')), { inputText: 'hello', dimensions: 256, normalize: true });
  });

  test('Titan Multimodal G1: text or image with the output length', () => {
    assert.deepEqual(JSON.parse(textRequestBody(TITAN_IMAGE, 'a red car', 'query')), { inputText: 'a red car', embeddingConfig: { outputEmbeddingLength: 384 } });
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    assert.deepEqual(JSON.parse(imageRequestBody(TITAN_IMAGE, png)), { inputImage: png.toString('base64'), embeddingConfig: { outputEmbeddingLength: 384 } });
  });

  test('Cohere: the purpose picks input_type; the model truncates the end', () => {
    assert.deepEqual(JSON.parse(textRequestBody(COHERE, '請求書', 'document')), { texts: ['請求書'], input_type: 'search_document', truncate: 'END' });
    assert.equal(JSON.parse(textRequestBody(COHERE, '請求書', 'query')).input_type, 'search_query');
  });

  test('only the multimodal model takes images', () => {
    assert.throws(() => imageRequestBody(TITAN_TEXT, Buffer.from('x')), TypeError);
    assert.throws(() => imageRequestBody(COHERE, Buffer.from('x')), TypeError);
  });
});

describe('responses', () => {
  test('Titan Text V2: vector and the body token count', () => {
    const body = utf8({ embedding: vec(256), inputTextTokenCount: 7, embeddingsByType: { float: vec(256) } });
    assert.deepEqual(parseEmbeddingResponse(TITAN_TEXT, body), { vector: vec(256), inputTokens: 7 });
  });

  test('a Uint8Array view into a larger buffer is read correctly', () => {
    const json = utf8({ embedding: vec(256), inputTextTokenCount: 3 });
    const big = new Uint8Array(json.length + 10);
    big.set(json, 5);
    assert.equal(parseEmbeddingResponse(TITAN_TEXT, big.subarray(5, 5 + json.length)).inputTokens, 3);
  });

  test('Titan Multimodal G1: vector, count and a null message', () => {
    const parsed = parseEmbeddingResponse(TITAN_IMAGE, JSON.stringify({ embedding: vec(384), inputTextTokenCount: 0, message: null }));
    assert.equal(parsed.vector.length, 384);
    assert.equal(parsed.inputTokens, 0);
    assertInvalid(() => parseEmbeddingResponse(TITAN_IMAGE, JSON.stringify({ message: 'image could not be processed' })), /image could not be processed/);
  });

  test('Cohere: embeddings as number[][] or {float: number[][]}; no count in the body', () => {
    const floats = { id: 'x', response_type: 'embeddings_floats', texts: ['a'], embeddings: [vec(1024)] };
    assert.deepEqual(parseEmbeddingResponse(COHERE, utf8(floats)), { vector: vec(1024), inputTokens: undefined });
    const byType = { id: 'x', response_type: 'embeddings_by_type', texts: ['a'], embeddings: { float: [vec(1024, 0.5)] } };
    assert.deepEqual(parseEmbeddingResponse(COHERE, utf8(byType)).vector, vec(1024, 0.5));
    assertInvalid(() => parseEmbeddingResponse(COHERE, utf8({ embeddings: [] })), /exactly one vector/);
    assertInvalid(() => parseEmbeddingResponse(COHERE, utf8({ embeddings: { int8: [vec(1024)] } })), /exactly one vector/);
  });

  test('malformed bodies and vectors are retryable EMBEDDING_RESPONSE_INVALID naming the model', () => {
    assertInvalid(() => parseEmbeddingResponse(TITAN_TEXT, 'not json'), /amazon\.titan-embed-text-v2:0.*not JSON/);
    assertInvalid(() => parseEmbeddingResponse(TITAN_TEXT, undefined), /not JSON/);
    assertInvalid(() => parseEmbeddingResponse(TITAN_TEXT, '[1,2]'), /no embedding array/);
    assertInvalid(() => parseEmbeddingResponse(TITAN_TEXT, 'null'), /not a JSON object/);
    assertInvalid(() => parseEmbeddingResponse(TITAN_TEXT, utf8({ embedding: vec(1024) })), /1024 dimensions, expected 256/);
    assertInvalid(() => parseEmbeddingResponse(TITAN_TEXT, utf8({ embedding: [...vec(255), null] })), /non-finite value at index 255/);
    assertInvalid(() => parseEmbeddingResponse(TITAN_TEXT, utf8({ embedding: [...vec(255), '1'] })), /non-finite/);
    assertInvalid(() => validateVector(TITAN_TEXT, [...vec(255), Number.POSITIVE_INFINITY]), /non-finite/);
    assertInvalid(() => validateVector(TITAN_TEXT, [...vec(255), Number.NaN]), /non-finite/);
  });

  test('a token count that is not a non-negative integer is ignored', () => {
    assert.equal(parseEmbeddingResponse(TITAN_TEXT, utf8({ embedding: vec(256), inputTextTokenCount: -1 })).inputTokens, undefined);
    assert.equal(parseEmbeddingResponse(TITAN_TEXT, utf8({ embedding: vec(256), inputTextTokenCount: '5' })).inputTokens, undefined);
  });
});
