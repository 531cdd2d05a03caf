/**
 * The Bedrock embedding models spot-ingest knows: request/response family, vector dimensions,
 * input limits and on-demand prices (us-east-1, USD, for the cost estimate in /metrics and the
 * daily budget). A model id may carry a cross-region inference-profile prefix (`us.`, `eu.`,
 * `apac.`, `global.`) or be a foundation-model / provisioned-model ARN ending in a known id.
 */
export type ModelFamily = 'titan-text-v2' | 'titan-multimodal-g1' | 'cohere-embed-v3';

/** What a model takes and costs. */
interface ModelLimits {
  family: ModelFamily;
  /** What it embeds. */
  text: boolean;
  image: boolean;
  /** Longest text the model takes, in characters. */
  maxTextChars: number;
  /** The model's input token limit for text. */
  maxTextTokens: number;
  /** Images are reduced to fit this square (px). */
  maxImageSide: number;
  /** USD per 1000 input tokens, and per image. */
  usdPer1kTokens: number;
  usdPerImage: number;
}

export interface ModelSpec extends ModelLimits {
  /** The id as configured (sent to Bedrock unchanged). */
  id: string;
  /** The known base id it resolved to, e.g. `amazon.titan-embed-text-v2:0`. */
  baseId: string;
  /** Chosen output dimension. */
  dimensions: number;
}

interface KnownModel extends ModelLimits {
  /** Output dimensions the model offers. */
  sizes: readonly number[];
  defaultDimensions: number;
}

export const KNOWN_MODELS: Readonly<Record<string, KnownModel>> = {
  // 8192 tokens and 50 000 characters; prepare-text.ts cuts at an estimate of the token limit
  // (Japanese runs near one token per character, English near four characters per token).
  'amazon.titan-embed-text-v2:0': {
    family: 'titan-text-v2', sizes: [256, 512, 1024], defaultDimensions: 1024, text: true, image: false,
    maxTextChars: 50_000, maxTextTokens: 8_192, maxImageSide: 0, usdPer1kTokens: 0.00002, usdPerImage: 0,
  },
  // Text input is English only and 128 tokens: it is used for images (and English queries against them).
  'amazon.titan-embed-image-v1': {
    family: 'titan-multimodal-g1', sizes: [256, 384, 1024], defaultDimensions: 1024, text: true, image: true,
    maxTextChars: 500, maxTextTokens: 128, maxImageSide: 2048, usdPer1kTokens: 0.0008, usdPerImage: 0.00006,
  },
  // 512 tokens per text (the model truncates the end itself), 2048 characters per text.
  'cohere.embed-multilingual-v3': {
    family: 'cohere-embed-v3', sizes: [1024], defaultDimensions: 1024, text: true, image: false,
    maxTextChars: 2_048, maxTextTokens: 512, maxImageSide: 0, usdPer1kTokens: 0.0001, usdPerImage: 0,
  },
};

export class UnknownModelError extends Error {
  readonly code = 'EMBEDDING_MODEL_UNKNOWN';
  readonly retryable = false;
  override readonly name = 'UnknownModelError';
}

/** The known base id behind a configured id (prefix or ARN), or undefined. */
export function baseModelId(id: string): string | undefined {
  let candidate = id.trim();
  const arn = /^arn:aws[a-z-]*:bedrock:[^:]*:[^:]*:(?:foundation-model|inference-profile|provisioned-model)\/(.+)$/.exec(candidate);
  if (arn) candidate = arn[1]!;
  if (candidate in KNOWN_MODELS) return candidate;
  const prefixed = /^(?:us|eu|apac|jp|au|ca|us-gov|global)\.(.+)$/.exec(candidate);
  if (prefixed && prefixed[1]! in KNOWN_MODELS) return prefixed[1];
  return undefined;
}

/**
 * The spec of a configured model, or an UnknownModelError / RangeError with a message fit for a
 * startup error (naming the known ids and the allowed dimensions).
 */
export function resolveModel(id: string, dimensions?: number, use: 'text' | 'image' = 'text'): ModelSpec {
  const base = baseModelId(id);
  if (base === undefined) {
    throw new UnknownModelError(`unknown embedding model "${id}": spot-ingest knows ${Object.keys(KNOWN_MODELS).join(', ')} (optionally with a region prefix such as "us." or as an ARN)`);
  }
  const { sizes, defaultDimensions, ...limits } = KNOWN_MODELS[base]!;
  if (use === 'image' && !limits.image) {
    throw new UnknownModelError(`model "${id}" does not embed images: use amazon.titan-embed-image-v1`);
  }
  const dims = dimensions ?? defaultDimensions;
  if (!sizes.includes(dims)) {
    throw new RangeError(`model "${id}" returns vectors of ${sizes.join(', ')} dimensions, not ${dims}`);
  }
  return { ...limits, id, baseId: base, dimensions: dims };
}
