/**
 * A Bedrock runtime stand-in (docs/design.md §9): HTTP/1.1 on 127.0.0.1, `POST /model/{modelId}/invoke`
 * for the three embedding models spot-ingest knows, with Bedrock's response shapes and headers
 * (x-amzn-RequestId, X-Amzn-Bedrock-Input-Token-Count) and its restJson error format
 * (status, `x-amzn-ErrorType: <Type>:http://internal.amazon.com/coral/com.amazon.bedrock/`,
 * `{"message": ...}`). Requests must carry a SigV4 `authorization` header (else 403).
 *
 * Vectors are deterministic feature hashes of the input: every word (Latin etc.) and every
 * character bigram of a CJK/kana/hangul run is hashed into a bucket with a ±1 sign, then the vector
 * is L2-normalised — texts sharing words get similar vectors (the query 請求書 is nearest to a
 * document containing 請求書). An image's vector comes from a hash of its bytes.
 *
 * The token count is a deterministic estimate: one token per CJK/kana/hangul character plus one per
 * four other non-space characters — never more than prepare-text.ts's estimate, so text prepared
 * for a model's real limits always passes here.
 *
 * Switches: throttle(), fail(), delay(), reset(); records: requests, counts().
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { baseModelId, KNOWN_MODELS } from '../../src/adapters/embedder/models.ts';

export interface StandInRequest {
  /** The model id as it arrived (URL-decoded). */
  model: string;
  /** The parsed JSON body (undefined when it was not JSON). */
  body: unknown;
  /** The answer's status; 0 when the client went away first. */
  status: number;
  /** The error type answered, if any. */
  errorType?: string;
  at: number;
}

export interface ThrottleOptions {
  /** Throttle the next `count` requests. */
  count?: number;
  /** Throttle every request for this long. */
  forMs?: number;
  /** Allow this many requests a second (a token bucket, burst = one second's worth); throttle the rest. */
  ratePerSecond?: number;
}

export interface FailOptions {
  status: 500 | 503 | 400 | 403;
  /** Error type (default by status: InternalServerException, ServiceUnavailableException, ValidationException, AccessDeniedException). */
  type?: string;
  message?: string;
  /** Fail the next `count` requests (default: all, until reset()). */
  count?: number;
}

export interface BedrockStandIn {
  /** `http://127.0.0.1:<port>` — for AWS_ENDPOINT_URL_BEDROCK_RUNTIME or the client's endpoint. */
  readonly url: string;
  /** Every request, oldest first. */
  readonly requests: StandInRequest[];
  /** Requests by answered status. */
  counts(): Record<number, number>;
  /** Answer 429 ThrottlingException; with no options, every request until reset(). */
  throttle(options?: ThrottleOptions): void;
  fail(options: FailOptions): void;
  /** Wait this long before answering each request. */
  delay(ms: number): void;
  /** Clear every switch and record. */
  reset(): void;
  close(): Promise<void>;
}

export interface StandInOptions {
  port?: number;
}

const ERROR_NAMESPACE = 'http://internal.amazon.com/coral/com.amazon.bedrock/';
const DEFAULT_TYPES: Record<number, string> = {
  400: 'ValidationException', 403: 'AccessDeniedException', 500: 'InternalServerException', 503: 'ServiceUnavailableException',
};
const DEFAULT_MESSAGES: Record<string, string> = {
  ThrottlingException: 'Too many requests, please wait before trying again.',
  ServiceUnavailableException: 'Bedrock is unable to process your request.',
  InternalServerException: 'The server encountered an internal error while processing the request.',
  AccessDeniedException: "You don't have access to the model with the specified model ID.",
  ValidationException: 'Malformed input request, please reformat your input and try again.',
};

class BedrockError extends Error {
  readonly status: number;
  readonly type: string;
  constructor(status: number, type: string, message: string) {
    super(message);
    this.status = status;
    this.type = type;
  }
}
const validation = (message: string): BedrockError => new BedrockError(400, 'ValidationException', message);
const malformed = (detail: string): BedrockError => validation(`Malformed input request: ${detail}, please reformat your input and try again.`);

export async function startBedrockStandIn(options: StandInOptions = {}): Promise<BedrockStandIn> {
  const requests: StandInRequest[] = [];
  let delayMs = 0;
  let failure: (FailOptions & { remaining: number }) | undefined;
  let throttling: { remaining: number; until: number; rate?: number; tokens: number; refilledAt: number } | undefined;

  function throttled(now: number): boolean {
    const t = throttling;
    if (!t) return false;
    if (t.remaining > 0) {
      t.remaining--;
      return true;
    }
    if (now < t.until) return true;
    if (t.rate !== undefined) {
      t.tokens = Math.min(Math.max(1, t.rate), t.tokens + ((now - t.refilledAt) / 1000) * t.rate);
      t.refilledAt = now;
      if (t.tokens >= 1) {
        t.tokens -= 1;
        return false;
      }
      return true;
    }
    return false;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const match = /^\/model\/([^/]+)\/invoke$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
    const model = match ? safeDecode(match[1]!) : '';
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      body = undefined;
    }
    const record: StandInRequest = { model, body, status: 0, at: Date.now() };
    requests.push(record);
    let gone = false; // the client closed the connection before the answer (an aborted call)
    res.once('close', () => {
      if (!res.writableFinished) gone = true;
    });

    const answer = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
      if (gone || res.destroyed) return;
      record.status = status;
      const text = JSON.stringify(payload);
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
        'x-amzn-requestid': randomUUID(),
        ...headers,
      });
      res.end(text);
    };
    const answerError = (e: BedrockError): void => {
      record.errorType = e.type;
      answer(e.status, { message: e.message }, { 'x-amzn-errortype': `${e.type}:${ERROR_NAMESPACE}` });
    };

    if (delayMs > 0) await wait(delayMs, res);
    if (req.method !== 'POST' || !match) return answerError(new BedrockError(404, 'UnknownOperationException', 'Unknown operation'));
    if (!(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256')) {
      return answerError(new BedrockError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token'));
    }
    if (failure && failure.remaining > 0) {
      failure.remaining--;
      const type = failure.type ?? DEFAULT_TYPES[failure.status]!;
      return answerError(new BedrockError(failure.status, type, failure.message ?? DEFAULT_MESSAGES[type] ?? `${type} (stand-in)`));
    }
    if (throttled(Date.now())) return answerError(new BedrockError(429, 'ThrottlingException', DEFAULT_MESSAGES.ThrottlingException!));
    try {
      const result = await invoke(model, body);
      answer(200, result.body, { 'x-amzn-bedrock-input-token-count': String(result.tokens), 'x-amzn-bedrock-invocation-latency': '12' });
    } catch (err) {
      if (err instanceof BedrockError) return answerError(err);
      answerError(new BedrockError(500, 'InternalServerException', `stand-in failure: ${(err as Error).message}`));
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    counts() {
      const counts: Record<number, number> = {};
      for (const r of requests) counts[r.status] = (counts[r.status] ?? 0) + 1;
      return counts;
    },
    throttle(t: ThrottleOptions = {}) {
      const now = Date.now();
      const forever = t.count === undefined && t.forMs === undefined && t.ratePerSecond === undefined;
      throttling = {
        remaining: t.count ?? 0,
        until: forever ? Infinity : t.forMs !== undefined ? now + t.forMs : 0,
        ...(t.ratePerSecond !== undefined ? { rate: t.ratePerSecond } : {}),
        tokens: Math.max(1, t.ratePerSecond ?? 0),
        refilledAt: now,
      };
    },
    fail(f: FailOptions) {
      failure = { ...f, remaining: f.count ?? Infinity };
    },
    delay(ms: number) {
      delayMs = ms;
    },
    reset() {
      delayMs = 0;
      failure = undefined;
      throttling = undefined;
      requests.length = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The model's answer: body and token count, or a BedrockError. */
async function invoke(modelId: string, body: unknown): Promise<{ body: unknown; tokens: number }> {
  const base = baseModelId(modelId);
  if (base === undefined) throw validation('The provided model identifier is invalid.');
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw malformed('expected type: JSONObject, found: ' + (body === undefined ? 'invalid JSON' : typeof body));
  const input = body as Record<string, unknown>;
  const known = KNOWN_MODELS[base]!;
  switch (known.family) {
    case 'titan-text-v2': return titanText(input);
    case 'titan-multimodal-g1': return titanImage(input, known.maxTextChars, known.maxTextTokens);
    case 'cohere-embed-v3': return cohere(input);
  }
}

function titanText(input: Record<string, unknown>): { body: unknown; tokens: number } {
  extraneous(input, ['inputText', 'dimensions', 'normalize', 'embeddingTypes']);
  const text = input.inputText;
  if (typeof text !== 'string') throw malformed('#: required key [inputText] not found');
  if (text.length === 0) throw malformed('#/inputText: expected minLength: 1, actual: 0');
  if (text.length > 50_000) throw malformed(`#/inputText: expected maxLength: 50000, actual: ${text.length}`);
  const dims = input.dimensions ?? 1024;
  if (dims !== 256 && dims !== 512 && dims !== 1024) throw malformed(`#/dimensions: ${String(dims)} is not a valid enum value`);
  const tokens = countTokens(text);
  if (tokens > 8192) throw validation(`Too many input tokens. Max input tokens: 8192, request input token count: ${tokens}`);
  const embedding = textVector(text, dims, input.normalize !== false);
  return { body: { embedding, embeddingsByType: { float: embedding }, inputTextTokenCount: tokens }, tokens };
}

async function titanImage(input: Record<string, unknown>, maxChars: number, maxTokens: number): Promise<{ body: unknown; tokens: number }> {
  extraneous(input, ['inputText', 'inputImage', 'embeddingConfig']);
  const config = input.embeddingConfig as { outputEmbeddingLength?: unknown } | undefined;
  const dims = config?.outputEmbeddingLength ?? 1024;
  if (dims !== 256 && dims !== 384 && dims !== 1024) throw malformed(`#/embeddingConfig/outputEmbeddingLength: ${String(dims)} is not a valid enum value`);
  const { inputText: text, inputImage: image } = input;
  if (text === undefined && image === undefined) throw malformed('#: required key [inputText] or [inputImage] not found');
  const vectors: number[][] = [];
  let tokens = 0;
  if (text !== undefined) {
    if (typeof text !== 'string' || text.length === 0) throw malformed('#/inputText: expected a non-empty string');
    if (text.length > maxChars) throw malformed(`#/inputText: expected maxLength: ${maxChars}, actual: ${text.length}`);
    tokens = countTokens(text);
    if (tokens > maxTokens) throw validation(`Too many input tokens. Max input tokens: ${maxTokens}, request input token count: ${tokens}`);
    vectors.push(textVector(text, dims, true));
  }
  if (image !== undefined) {
    if (typeof image !== 'string') throw malformed('#/inputImage: expected type: String');
    const bytes = Buffer.from(image, 'base64');
    if (bytes.length > 25 * 1024 * 1024) throw validation('The provided image exceeds the maximum size of 25 MB.');
    let meta;
    try {
      meta = await sharp(bytes).metadata();
    } catch {
      throw validation('The provided image is not valid: unable to decode it.');
    }
    if (meta.format !== 'jpeg' && meta.format !== 'png') throw validation(`Unsupported image format: ${meta.format ?? 'unknown'}. Supported formats: png, jpeg.`);
    if ((meta.width ?? 0) > 2048 || (meta.height ?? 0) > 2048) {
      throw validation(`The image dimensions ${meta.width}x${meta.height} exceed the maximum allowed 2048x2048 pixels.`);
    }
    vectors.push(bytesVector(bytes, dims));
  }
  const embedding = normalised(vectors.reduce((sum, v) => sum.map((x, i) => x + v[i]!)));
  return { body: { embedding, inputTextTokenCount: tokens, message: null }, tokens };
}

function cohere(input: Record<string, unknown>): { body: unknown; tokens: number } {
  extraneous(input, ['texts', 'input_type', 'truncate', 'embedding_types', 'images']);
  const types = ['search_document', 'search_query', 'classification', 'clustering', 'image'];
  if (typeof input.input_type !== 'string' || !types.includes(input.input_type)) {
    throw malformed(input.input_type === undefined ? '#: required key [input_type] not found' : `#/input_type: ${String(input.input_type)} is not a valid enum value`);
  }
  const texts = input.texts;
  if (!Array.isArray(texts)) throw malformed('#: required key [texts] not found');
  if (texts.length > 96) throw malformed(`#/texts: expected maxItems: 96, actual: ${texts.length}`);
  const truncate = input.truncate ?? 'NONE';
  if (truncate !== 'NONE' && truncate !== 'START' && truncate !== 'END') throw malformed(`#/truncate: ${String(truncate)} is not a valid enum value`);
  let tokens = 0;
  const vectors = texts.map((t: unknown, i) => {
    if (typeof t !== 'string') throw malformed(`#/texts/${i}: expected type: String`);
    if (t.length > 2048) throw malformed(`#/texts/${i}: expected maxLength: 2048, actual: ${t.length}`);
    const n = countTokens(t);
    if (n > 512 && truncate === 'NONE') throw validation(`input is too long: text ${i} has ${n} tokens, the maximum is 512; set truncate to END or START`);
    tokens += Math.min(n, 512);
    return textVector(t, 1024, true);
  });
  const byType = Array.isArray(input.embedding_types);
  return {
    body: {
      id: randomUUID(),
      texts,
      embeddings: byType ? { float: vectors } : vectors,
      response_type: byType ? 'embeddings_by_type' : 'embeddings_floats',
    },
    tokens,
  };
}

function extraneous(input: Record<string, unknown>, allowed: string[]): void {
  for (const key of Object.keys(input)) {
    if (!allowed.includes(key)) throw malformed(`extraneous key [${key}] is not permitted`);
  }
}

const CJK = /[\u1100-\u11ff\u2e80-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]/;
const FEATURES = /[\u1100-\u11ff\u2e80-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]+|[\p{L}\p{N}]+/gu;

/** One token per CJK character plus one per four other non-space characters (rounded up). */
export function countTokens(text: string): number {
  let cjk = 0;
  let other = 0;
  for (const ch of text) {
    if (CJK.test(ch)) cjk++;
    else if (!/\s/.test(ch)) other++;
  }
  return cjk + Math.ceil(other / 4);
}

/** Feature-hashed, optionally L2-normalised vector of words and CJK bigrams. */
export function textVector(text: string, dims: number, normalise: boolean): number[] {
  const v = new Array<number>(dims).fill(0);
  const add = (feature: string): void => {
    const h = fnv1a(feature);
    v[h % dims]! += (h & 0x80000000) === 0 ? 1 : -1;
  };
  for (const match of text.toLowerCase().matchAll(FEATURES)) {
    const run = match[0];
    if (CJK.test(run[0]!)) {
      const chars = [...run];
      if (chars.length === 1) add(chars[0]!);
      for (let i = 0; i + 1 < chars.length; i++) add(chars[i]! + chars[i + 1]!);
    } else {
      add(run);
    }
  }
  if (v.every((x) => x === 0)) add(`\u0000${text}`); // punctuation only: still a vector
  return normalise ? normalised(v) : v;
}

/** A pseudo-random unit vector seeded by the bytes' SHA-256 (xorshift32). */
function bytesVector(bytes: Buffer, dims: number): number[] {
  let state = createHash('sha256').update(bytes).digest().readUInt32LE(0) || 1;
  const v: number[] = [];
  for (let i = 0; i < dims; i++) {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    v.push(state / 0xffffffff - 0.5);
  }
  return normalised(v);
}

function normalised(v: number[]): number[] {
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return norm === 0 ? v : v.map((x) => x / norm);
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Resolves after `ms`, or as soon as the client goes away. */
function wait(ms: number, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.once('close', done);
  });
}
