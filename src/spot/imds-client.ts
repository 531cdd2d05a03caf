/**
 * A minimal IMDSv2 client (docs/design.md §7) on undici: one session token reused by every get and
 * refreshed shortly before it expires (or at once when IMDS answers 401), a keep-alive `Agent` of
 * its own (src/lib/http-agent.ts) with connect, headers and body timeouts, and a total deadline per
 * request combined with the caller's signal. IMDSv1 (token-less GETs) is never used; redirects are
 * never followed; every answer's body is read or drained (or its socket destroyed), never left open.
 */
import { request, type Dispatcher } from 'undici';
import { IngestError } from '../core/errors.ts';
import { createHttpAgent } from '../lib/http-agent.ts';

export const DEFAULT_IMDS_ENDPOINT = 'http://169.254.169.254';
const TOKEN_PATH = '/latest/api/token';
/** A non-200 answer's body up to this size is drained so the socket is reused; a larger one destroys it (undici's default). */
const DRAIN_LIMIT_BYTES = 128 * 1024;
/** undici's own timeouts (the agent's connect / headers / body): reported as timeouts too. */
const UNDICI_TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export interface ImdsClientOptions {
  /** Base URL (config.imdsEndpoint: AWS_EC2_METADATA_SERVICE_ENDPOINT); default http://169.254.169.254. */
  endpoint?: string;
  /** Per-request timeout (IMDS is link-local: it answers in milliseconds or not at all). */
  timeoutMs?: number;
  /** Token lifetime asked for (X-aws-ec2-metadata-token-ttl-seconds, at most 21600). */
  tokenTtlSeconds?: number;
  /** The token is replaced this long before it expires. */
  refreshBeforeExpiryMs?: number;
  /** Injectable clock (tests). */
  now?: () => number;
  /**
   * Where the requests go (a test's MockAgent, or an agent shared with others): the caller owns it,
   * close() leaves it open. Default: an agent of the client's own, closed by close().
   */
  dispatcher?: Dispatcher;
}

/** IMDS could not be reached, timed out, or answered with an unexpected status. */
export class ImdsError extends IngestError {
  readonly status: number | undefined;
  constructor(message: string, options: { status?: number; cause?: unknown; path: string }) {
    super('IMDS_UNAVAILABLE', message, { retryable: true, cause: options.cause, details: { path: options.path, status: options.status } });
    this.name = 'ImdsError';
    this.status = options.status;
  }
}

export function isImdsError(err: unknown): err is ImdsError {
  return err instanceof ImdsError;
}

interface Token {
  value: string;
  /** Epoch ms (client clock) after which the token is replaced. */
  refreshAt: number;
}

/** One answer, its body already read (200) or drained (anything else: body ''). */
interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

export class ImdsClient {
  readonly endpoint: string;
  readonly #timeoutMs: number;
  readonly #ttlSeconds: number;
  readonly #refreshBeforeMs: number;
  readonly #now: () => number;
  readonly #dispatcher: Dispatcher;
  /** The agent this client made (and close() closes); undefined when the caller gave a dispatcher. */
  readonly #ownAgent: Dispatcher | undefined;
  #closed: Promise<void> | undefined;
  #token: Token | undefined;
  /** One token request at a time: concurrent gets share it. */
  #pending: Promise<string> | undefined;

  constructor(options: ImdsClientOptions = {}) {
    this.endpoint = (options.endpoint ?? DEFAULT_IMDS_ENDPOINT).replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs ?? 1_000;
    this.#ttlSeconds = Math.min(21_600, Math.max(1, options.tokenTtlSeconds ?? 21_600));
    this.#refreshBeforeMs = options.refreshBeforeExpiryMs ?? Math.min(60_000, (this.#ttlSeconds * 1000) / 10);
    this.#now = options.now ?? Date.now;
    if (options.dispatcher !== undefined) {
      this.#dispatcher = options.dispatcher;
    } else {
      // each phase bounded by the per-request timeout too (the total deadline is an AbortSignal, in
      // #send); the watcher polls every second, so its kept-alive sockets are reused, not reopened
      const ms = this.#timeoutMs;
      this.#ownAgent = createHttpAgent({ connectTimeoutMs: ms, headersTimeoutMs: ms, bodyTimeoutMs: ms });
      this.#dispatcher = this.#ownAgent;
    }
  }

  /** The session token, fetched when there is none or it is about to expire. */
  async token(signal?: AbortSignal): Promise<string> {
    const current = this.#token;
    if (current !== undefined && this.#now() < current.refreshAt) return current.value;
    this.#pending ??= this.#fetchToken(signal).finally(() => (this.#pending = undefined));
    return await this.#pending;
  }

  /**
   * GET a metadata path (e.g. `/latest/meta-data/spot/instance-action`): the body text, or null when
   * IMDS answers 404 (nothing there). A 401 (token expired or revoked) gets a new token and one retry.
   */
  async get(path: string, signal?: AbortSignal): Promise<string | null> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.token(signal);
      const res = await this.#send('GET', path, { 'x-aws-ec2-metadata-token': token }, signal);
      if (res.status === 401 && attempt === 0) {
        if (this.#token?.value === token) this.#token = undefined;
        continue;
      }
      if (res.status === 404) return null;
      if (res.status !== 200) throw new ImdsError(`IMDS GET ${path} answered ${res.status}`, { status: res.status, path });
      return res.body;
    }
  }

  /** true when the token endpoint answers within the timeout (are we on EC2 with IMDSv2?). */
  async probe(signal?: AbortSignal): Promise<boolean> {
    try {
      await this.token(signal);
      return true;
    } catch {
      return false;
    }
  }

  /** Closes the client's own agent (its kept-alive sockets); a dispatcher given in the options stays open. Idempotent. */
  async close(): Promise<void> {
    this.#closed ??= this.#ownAgent?.close() ?? Promise.resolve();
    await this.#closed;
  }

  async #fetchToken(signal: AbortSignal | undefined): Promise<string> {
    const res = await this.#send('PUT', TOKEN_PATH, { 'x-aws-ec2-metadata-token-ttl-seconds': String(this.#ttlSeconds) }, signal);
    if (res.status !== 200) throw new ImdsError(`IMDS token request answered ${res.status}`, { status: res.status, path: TOKEN_PATH });
    const value = res.body.trim();
    if (value === '') throw new ImdsError('IMDS returned an empty token', { status: res.status, path: TOKEN_PATH });
    const header = res.headers['x-aws-ec2-metadata-token-ttl-seconds'];
    const grantedHeader = typeof header === 'string' ? Number(header) : Number.NaN;
    const grantedMs = (Number.isFinite(grantedHeader) && grantedHeader > 0 ? Math.min(grantedHeader, this.#ttlSeconds) : this.#ttlSeconds) * 1000;
    this.#token = { value, refreshAt: this.#now() + Math.max(0, grantedMs - this.#refreshBeforeMs) };
    return value;
  }

  /**
   * One request, its body included, within the timeout and the caller's signal: a caller abort
   * rejects with the signal's reason, anything else with an ImdsError. undici follows no redirect
   * (a 3xx is just another unexpected status).
   */
  async #send(method: 'GET' | 'PUT', path: string, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<Answer> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    let res: Dispatcher.ResponseData | undefined;
    try {
      res = await request(`${this.endpoint}${path}`, { method, headers, signal: combined, dispatcher: this.#dispatcher });
      if (res.statusCode === 200) return { status: 200, body: await res.body.text(), headers: res.headers };
      await res.body.dump({ limit: DRAIN_LIMIT_BYTES, signal: combined });
      return { status: res.statusCode, body: '', headers: res.headers };
    } catch (err) {
      res?.body.destroy();
      if (signal?.aborted) throw signal.reason;
      const timedOut = timeout.aborted || UNDICI_TIMEOUTS.has((err as { code?: unknown }).code as string);
      const what = res === undefined ? `IMDS ${method} ${path}` : `IMDS ${method} ${path}: reading the answer`;
      const why = timedOut ? `timed out after ${this.#timeoutMs} ms` : `failed: ${(err as Error).message}`;
      throw new ImdsError(`${what} ${why}`, { cause: err, path, ...(res === undefined ? {} : { status: res.statusCode }) });
    }
  }
}
