/**
 * TextEmbedder and ImageEmbedder on Amazon Bedrock InvokeModel. One instance per configured model;
 * the client (bedrock-client.ts: adaptive retry, token-count middleware) may be shared. Text is
 * prepared (prepare-text.ts) before it is sent; an image arrives prepared (prepare-image.ts).
 *
 * Errors (after the SDK's own retries) become IngestErrors naming the model:
 *   throttling / quota / 429                       → EMBEDDING_THROTTLED        retryable
 *   5xx, Model{NotReady,Timeout,Error}, network    → EMBEDDING_UNAVAILABLE      retryable
 *   AccessDenied, other 403, no credentials        → EMBEDDING_ACCESS_DENIED    retryable (an operator fixes it)
 *   ResourceNotFound, 404, "model identifier is invalid" → EMBEDDING_MODEL_NOT_FOUND retryable (configuration)
 *   ValidationException and other 4xx              → EMBEDDING_REJECTED         permanent (this input only)
 * A text Bedrock finds too long is halved and sent again (twice at most) and marked truncated.
 * An aborted call rejects with the signal's reason.
 */
import { InvokeModelCommand, type BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { isIngestError, permanent, transient, type IngestError } from '../../core/errors.ts';
import { imageRequestBody, parseEmbeddingResponse, textRequestBody, type ParsedEmbedding } from './bedrock-bodies.ts';
import { inputTokenCountOf, isThrottled } from './bedrock-client.ts';
import type { ModelSpec } from './models.ts';
import type { EmbedOptions, ImageEmbedder, ImageEmbedding, PreparedImage, TextEmbedder, TextEmbedding, TextPurpose } from './port.ts';
import { cutNear, estimateTokens, prepareText } from './prepare-text.ts';

export interface BedrockEmbedderOptions {
  client: BedrockRuntimeClient;
  model: ModelSpec;
}

/** How many times a too-long text is halved before the input is given up on. */
const MAX_HALVINGS = 2;

const UNAVAILABLE_NAMES = new Set([
  'ServiceUnavailableException', 'InternalServerException', 'ModelNotReadyException', 'ModelTimeoutException',
  'ModelErrorException', 'TimeoutError', 'RequestTimeout', 'RequestTimeoutException',
]);
const ACCESS_NAMES = new Set([
  'AccessDeniedException', 'UnrecognizedClientException', 'InvalidSignatureException', 'ExpiredTokenException',
  'MissingAuthenticationTokenException', 'CredentialsProviderError',
]);

// Titan: "Too many input tokens. Max input tokens: 8192, request input token count: 9001";
// JSON-schema style: "Malformed input request: #/inputText: expected maxLength: 50000, actual: 50001".
const TOO_LONG = /too many input tokens|input is too long|too long|expected maxLength/i;
const INVALID_MODEL = /model identifier is invalid/i;

export class BedrockEmbedder implements TextEmbedder, ImageEmbedder {
  readonly model: ModelSpec;
  readonly dimensions: number;
  readonly #client: BedrockRuntimeClient;

  constructor(options: BedrockEmbedderOptions) {
    this.model = options.model;
    this.dimensions = options.model.dimensions;
    this.#client = options.client;
  }

  async embedText(text: string, purpose: TextPurpose, options: EmbedOptions = {}): Promise<TextEmbedding> {
    const model = this.model;
    if (!model.text) throw permanent('EMBEDDING_REJECTED', `Bedrock model ${model.id} does not embed text`, undefined, { model: model.id });
    const prepared = prepareText(text, model);
    if (prepared.text === '') {
      throw permanent('EMBEDDING_REJECTED', `nothing to embed with Bedrock model ${model.id}: the text is empty or only whitespace`, undefined, { model: model.id });
    }
    let current = prepared.text;
    let truncated = prepared.truncated;
    for (let halvings = 0; ; halvings++) {
      try {
        const { parsed, headerTokens } = await this.#invoke(textRequestBody(model, current, purpose), options.signal);
        return {
          vector: parsed.vector,
          inputTokens: headerTokens ?? parsed.inputTokens ?? estimateTokens(current),
          charsUsed: current.length,
          truncated,
        };
      } catch (err) {
        if (halvings < MAX_HALVINGS && isTooLong(err)) {
          const half = cutNear(current, Math.floor(current.length / 2));
          if (half !== '') {
            current = half;
            truncated = true;
            continue;
          }
        }
        throw err;
      }
    }
  }

  async embedImage(image: PreparedImage, options: EmbedOptions = {}): Promise<ImageEmbedding> {
    const model = this.model;
    if (!model.image) throw permanent('EMBEDDING_REJECTED', `Bedrock model ${model.id} does not embed images`, undefined, { model: model.id });
    const { parsed, headerTokens } = await this.#invoke(imageRequestBody(model, image.data), options.signal);
    return { vector: parsed.vector, inputTokens: headerTokens ?? parsed.inputTokens ?? 0 };
  }

  /** One InvokeModel call (with the SDK's retries); rejects with an IngestError or the abort reason. */
  async #invoke(body: string, signal: AbortSignal | undefined): Promise<{ parsed: ParsedEmbedding; headerTokens: number | undefined }> {
    signal?.throwIfAborted();
    const command = new InvokeModelCommand({ modelId: this.model.id, body, contentType: 'application/json', accept: 'application/json' });
    let output;
    try {
      output = await this.#client.send(command, signal ? { abortSignal: signal } : {});
    } catch (err) {
      signal?.throwIfAborted(); // the SDK's own AbortError would hide why the caller gave up
      throw bedrockError(err, this.model);
    }
    return { parsed: parseEmbeddingResponse(this.model, output.body), headerTokens: inputTokenCountOf(output) };
  }
}

/** Bedrock refused the input as longer than the model takes. */
function isTooLong(err: unknown): boolean {
  return isIngestError(err) && err.code === 'EMBEDDING_REJECTED' && err.details?.tooLong === true;
}

/** The IngestError for an error the SDK threw for `model`. */
export function bedrockError(err: unknown, model: Pick<ModelSpec, 'id'>): IngestError {
  if (isIngestError(err)) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number; requestId?: string };
  };
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const said = e.message ? `: ${e.message}` : '';
  const details = { model: model.id, awsError: name, ...(status !== undefined ? { status } : {}), ...(e.$metadata?.requestId ? { requestId: e.$metadata.requestId } : {}) };
  const id = model.id;

  if (name === 'ValidationException' && INVALID_MODEL.test(e.message ?? '')) {
    return transient('EMBEDDING_MODEL_NOT_FOUND', `Bedrock does not know the model id ${id} in this region (check INGEST_*_EMBEDDING_MODEL and AWS_REGION)${said}`, err, details);
  }
  if (isThrottled(err)) {
    return transient('EMBEDDING_THROTTLED', `Bedrock throttled requests to ${id} (still after the SDK's retries); retry later or raise the account's quota${said}`, err, details);
  }
  if (UNAVAILABLE_NAMES.has(name) || (status !== undefined && status >= 500)) {
    return transient('EMBEDDING_UNAVAILABLE', `Bedrock model ${id} is unavailable (${name}${status !== undefined ? ` ${status}` : ''})${said}`, err, details);
  }
  if (ACCESS_NAMES.has(name) || status === 403) {
    return transient('EMBEDDING_ACCESS_DENIED', `access to Bedrock model ${id} was denied: grant bedrock:InvokeModel on it to this role and enable model access in the Bedrock console for this region${said}`, err, details);
  }
  if (name === 'ResourceNotFoundException' || status === 404) {
    return transient('EMBEDDING_MODEL_NOT_FOUND', `Bedrock model ${id} was not found in this region (check the model id, AWS_REGION and model access)${said}`, err, details);
  }
  if (name === 'ValidationException' || (status !== undefined && status >= 400)) {
    const tooLong = TOO_LONG.test(e.message ?? '');
    return permanent('EMBEDDING_REJECTED', `Bedrock model ${id} rejected this input (${name})${said}`, err, { ...details, ...(tooLong ? { tooLong } : {}) });
  }
  // no HTTP answer at all: connection refused/reset, DNS, socket timeout
  return transient('EMBEDDING_UNAVAILABLE', `could not reach Bedrock for model ${id} (${e.code ?? name})${said}`, err, details);
}
