/**
 * InvokeModel request and response bodies of the three embedding model families (pure functions).
 * Shapes as the Bedrock user guide documents them ("Inference request parameters and response
 * fields for foundation models"):
 * - Titan Text Embeddings V2: `{inputText, dimensions, normalize}` → `{embedding, inputTextTokenCount, embeddingsByType}`
 * - Titan Multimodal Embeddings G1: `{inputText?, inputImage?, embeddingConfig:{outputEmbeddingLength}}`
 *   → `{embedding, inputTextTokenCount, message}`
 * - Cohere Embed v3: `{texts, input_type, truncate}` → `{embeddings: number[][] | {float: number[][]}, id, response_type, texts}`
 *   (no token count in the body: it comes from the X-Amzn-Bedrock-Input-Token-Count header)
 */
import { transient, type IngestError } from '../../core/errors.ts';
import type { ModelSpec } from './models.ts';
import type { TextPurpose } from './port.ts';

export interface ParsedEmbedding {
  vector: number[];
  /** The body's token count (Titan); undefined when the body has none (Cohere). */
  inputTokens: number | undefined;
}

type Spec = Pick<ModelSpec, 'id' | 'family' | 'dimensions'>;

/** The JSON body that embeds `text` with this model. */
export function textRequestBody(spec: Spec, text: string, purpose: TextPurpose): string {
  switch (spec.family) {
    case 'titan-text-v2':
      return JSON.stringify({ inputText: text, dimensions: spec.dimensions, normalize: true });
    case 'titan-multimodal-g1':
      return JSON.stringify({ inputText: text, embeddingConfig: { outputEmbeddingLength: spec.dimensions } });
    case 'cohere-embed-v3':
      // END: the model drops what exceeds its 512 tokens instead of refusing the text
      return JSON.stringify({ texts: [text], input_type: purpose === 'query' ? 'search_query' : 'search_document', truncate: 'END' });
  }
}

/** The JSON body that embeds an image (already within the model's limits) with this model. */
export function imageRequestBody(spec: Spec, image: Uint8Array): string {
  if (spec.family !== 'titan-multimodal-g1') throw new TypeError(`model "${spec.id}" does not embed images`);
  return JSON.stringify({ inputImage: Buffer.from(image).toString('base64'), embeddingConfig: { outputEmbeddingLength: spec.dimensions } });
}

/** The vector (and the body's token count) of an InvokeModel response; a retryable error when malformed. */
export function parseEmbeddingResponse(spec: Spec, body: Uint8Array | string | undefined): ParsedEmbedding {
  const text = typeof body === 'string' ? body : body === undefined ? '' : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid(spec, `the response body is not JSON (${text.length} characters)`);
  }
  if (typeof json !== 'object' || json === null) throw invalid(spec, 'the response body is not a JSON object');
  const record = json as Record<string, unknown>;
  switch (spec.family) {
    case 'titan-text-v2':
      return { vector: validateVector(spec, record.embedding), inputTokens: count(record.inputTextTokenCount) };
    case 'titan-multimodal-g1': {
      // `message` reports a problem during generation; it only matters when there is no vector
      if (!Array.isArray(record.embedding) && typeof record.message === 'string' && record.message !== '') {
        throw invalid(spec, `no embedding in the response: ${record.message}`);
      }
      return { vector: validateVector(spec, record.embedding), inputTokens: count(record.inputTextTokenCount) };
    }
    case 'cohere-embed-v3': {
      // embeddings_floats: number[][]; embeddings_by_type (when embedding_types was sent): {float: number[][]}
      const embeddings = record.embeddings;
      const list = Array.isArray(embeddings) ? embeddings
        : typeof embeddings === 'object' && embeddings !== null ? (embeddings as Record<string, unknown>).float
        : undefined;
      if (!Array.isArray(list) || list.length !== 1) throw invalid(spec, 'expected "embeddings" with exactly one vector');
      return { vector: validateVector(spec, list[0]), inputTokens: undefined };
    }
  }
}

/** `value` as a vector of exactly the model's dimension of finite numbers, or a retryable error. */
export function validateVector(spec: Spec, value: unknown): number[] {
  if (!Array.isArray(value)) throw invalid(spec, 'the response has no embedding array');
  if (value.length !== spec.dimensions) throw invalid(spec, `the embedding has ${value.length} dimensions, expected ${spec.dimensions}`);
  for (let i = 0; i < value.length; i++) {
    const x: unknown = value[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) throw invalid(spec, `the embedding has a non-finite value at index ${i}`);
  }
  return value as number[];
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

function invalid(spec: Spec, why: string): IngestError {
  return transient('EMBEDDING_RESPONSE_INVALID', `Bedrock model ${spec.id} returned an unusable response: ${why}`, undefined, { model: spec.id });
}
