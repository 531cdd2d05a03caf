/**
 * The Bedrock runtime client spot-ingest embeds with.
 *
 * - HTTP/1.1 (NodeHttpHandler, keep-alive): the SDK's default handler for bedrock-runtime is
 *   HTTP/2, which local stand-ins and many proxies do not speak; embedding calls are small and
 *   independent, so nothing is lost.
 * - Endpoint from AWS_ENDPOINT_URL_BEDROCK_RUNTIME or AWS_ENDPOINT_URL (passed explicitly so the
 *   `env`, the configuration's environment).
 * - `retryMode: 'adaptive'`. Read in @smithy/core (submodules/retry/util-retry, AdaptiveRetryStrategy
 *   + DefaultRateLimiter): on top of the standard retries it keeps a client-side token bucket that
 *   every attempt, first or retry, takes a token from before it is sent. The bucket is off until the
 *   first throttling answer (429 or a throttling error name); from then on it stays on. Each throttle
 *   cuts the allowed send rate to 70 % of the measured rate (CUBIC multiplicative decrease, floor
 *   0.5 request/s), so concurrent callers queue inside `send()` instead of hammering Bedrock; each
 *   success grows the rate again along a cubic curve (capped at twice the measured rate). Retries of a
 *   throttled attempt also back off with full jitter: random × min(1 s × 2^n, 20 s) in this SDK
 *   version (50 ms base for other transient errors), and draw on a per-client retry quota (500, 5 per
 *   throttled retry, 14 per other retry, refunded on success). One client (one bucket) is shared by
 *   the text and image embedders. Waiting for a token or a backoff ends when the call is aborted.
 * - A middleware copies the X-Amzn-Bedrock-Input-Token-Count response header into the output
 *   (InvokeModel's output shape has no field for it; Cohere's body has no count) and reports every
 *   throttled attempt, including the ones the SDK retries and the caller never sees.
 */
import { BedrockRuntimeClient, type BedrockRuntimeClientConfig, type InvokeModelCommandOutput } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { baseModelId } from './models.ts';

export interface BedrockClientOptions {
  env?: NodeJS.ProcessEnv;
  /** Fixed credentials (tests, the embedded local stack); otherwise the SDK's default chain. */
  credentials?: BedrockRuntimeClientConfig['credentials'];
  region?: string;
  /** Attempts per call including the first (default 5). */
  maxAttempts?: number;
  /** Socket timeout of one attempt (default 30 000 ms). */
  requestTimeoutMs?: number;
  /** Called for every throttled attempt, with the known base model id (or the id as sent). Must not throw. */
  onThrottle?: (modelId: string) => void;
}

export const INPUT_TOKEN_HEADER = 'x-amzn-bedrock-input-token-count';

/** InvokeModel's output with the token count this module's middleware adds. */
export type InvokeModelOutputWithUsage = InvokeModelCommandOutput & { inputTokenCount?: number };

const THROTTLE_NAMES = new Set(['ThrottlingException', 'ServiceQuotaExceededException', 'TooManyRequestsException']);

export function createBedrockRuntimeClient(options: BedrockClientOptions = {}): BedrockRuntimeClient {
  const env = options.env ?? {};
  const endpoint = nonEmpty(env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME) ?? nonEmpty(env.AWS_ENDPOINT_URL);
  const region = options.region ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
  const agentOptions = { keepAlive: true, maxSockets: 64 };
  const client = new BedrockRuntimeClient({
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(region ? { region } : {}),
    ...(endpoint ? { endpoint } : {}),
    maxAttempts: options.maxAttempts ?? 5,
    retryMode: 'adaptive',
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 5_000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
    }),
  });
  const onThrottle = options.onThrottle;

  // In the deserialize step and ahead of the deserializer, so this runs once per attempt (inside the
  // retry loop of finalizeRequest) and sees the parsed service error of a failed attempt.
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        const result = await next(args);
        const header = headerOf(result.response, INPUT_TOKEN_HEADER);
        const tokens = header === undefined ? NaN : Number(header);
        if (Number.isInteger(tokens) && tokens >= 0 && typeof result.output === 'object' && result.output !== null) {
          (result.output as InvokeModelOutputWithUsage).inputTokenCount = tokens;
        }
        return result;
      } catch (err) {
        if (onThrottle && isThrottled(err)) {
          const id = (args.input as { modelId?: unknown }).modelId;
          const modelId = typeof id === 'string' ? (baseModelId(id) ?? id) : 'unknown';
          try {
            onThrottle(modelId);
          } catch {
            // an observer must not change the outcome of the call
          }
        }
        throw err;
      }
    },
    { step: 'deserialize', priority: 'high', name: 'spotIngestBedrockUsage', override: true },
  );
  return client;
}

/** The token count Bedrock reported in the response header, when it did. */
export function inputTokenCountOf(output: InvokeModelCommandOutput): number | undefined {
  return (output as InvokeModelOutputWithUsage).inputTokenCount;
}

/** A throttling answer: ThrottlingException, ServiceQuotaExceededException or HTTP 429 (ModelNotReady aside). */
export function isThrottled(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; $metadata?: { httpStatusCode?: unknown } };
  if (e.name === 'ModelNotReadyException') return false; // also 429, but the model is loading, not a rate limit
  return (typeof e.name === 'string' && THROTTLE_NAMES.has(e.name)) || e.$metadata?.httpStatusCode === 429;
}

function headerOf(response: unknown, name: string): string | undefined {
  if (typeof response !== 'object' || response === null) return undefined;
  const headers = (response as { headers?: unknown }).headers;
  if (typeof headers !== 'object' || headers === null) return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name && typeof value === 'string') return value;
  }
  return undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
