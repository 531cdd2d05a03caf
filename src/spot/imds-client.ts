/**
 * A minimal IMDSv2 client (docs/design.md §7): plain fetch, one session token reused by every get and
 * refreshed shortly before it expires (or at once when IMDS answers 401), short timeouts combined
 * with the caller's signal. IMDSv1 (token-less GETs) is never used.
 */
import { IngestError } from '../errors.ts';

export const DEFAULT_IMDS_ENDPOINT = 'http://169.254.169.254';
const TOKEN_PATH = '/latest/api/token';

export interface ImdsClientOptions {
  /** Base URL; default AWS_EC2_METADATA_SERVICE_ENDPOINT, else http://169.254.169.254. */
  endpoint?: string;
  /** Per-request timeout (IMDS is link-local: it answers in milliseconds or not at all). */
  timeoutMs?: number;
  /** Token lifetime asked for (X-aws-ec2-metadata-token-ttl-seconds, at most 21600). */
  tokenTtlSeconds?: number;
  /** The token is replaced this long before it expires. */
  refreshBeforeExpiryMs?: number;
  /** Injectable clock (tests). */
  now?: () => number;
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

export class ImdsClient {
  readonly endpoint: string;
  readonly #timeoutMs: number;
  readonly #ttlSeconds: number;
  readonly #refreshBeforeMs: number;
  readonly #now: () => number;
  #token: Token | undefined;
  /** One token request at a time: concurrent gets share it. */
  #pending: Promise<string> | undefined;

  constructor(options: ImdsClientOptions = {}) {
    const endpoint = options.endpoint ?? process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT ?? DEFAULT_IMDS_ENDPOINT;
    this.endpoint = endpoint.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs ?? 1_000;
    this.#ttlSeconds = Math.min(21_600, Math.max(1, options.tokenTtlSeconds ?? 21_600));
    this.#refreshBeforeMs = options.refreshBeforeExpiryMs ?? Math.min(60_000, (this.#ttlSeconds * 1000) / 10);
    this.#now = options.now ?? Date.now;
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
      const res = await this.#fetch(path, { method: 'GET', headers: { 'x-aws-ec2-metadata-token': token } }, signal);
      if (res.status === 401 && attempt === 0) {
        await res.body?.cancel();
        if (this.#token?.value === token) this.#token = undefined;
        continue;
      }
      if (res.status === 404) {
        await res.body?.cancel();
        return null;
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        throw new ImdsError(`IMDS GET ${path} answered ${res.status}`, { status: res.status, path });
      }
      return await this.#text(res, path);
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

  async #fetchToken(signal: AbortSignal | undefined): Promise<string> {
    const res = await this.#fetch(TOKEN_PATH, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': String(this.#ttlSeconds) } }, signal);
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new ImdsError(`IMDS token request answered ${res.status}`, { status: res.status, path: TOKEN_PATH });
    }
    const value = (await this.#text(res, TOKEN_PATH)).trim();
    if (value === '') throw new ImdsError('IMDS returned an empty token', { status: res.status, path: TOKEN_PATH });
    const grantedHeader = Number(res.headers.get('x-aws-ec2-metadata-token-ttl-seconds'));
    const grantedMs = (Number.isFinite(grantedHeader) && grantedHeader > 0 ? Math.min(grantedHeader, this.#ttlSeconds) : this.#ttlSeconds) * 1000;
    this.#token = { value, refreshAt: this.#now() + Math.max(0, grantedMs - this.#refreshBeforeMs) };
    return value;
  }

  async #fetch(path: string, init: RequestInit, signal: AbortSignal | undefined): Promise<Response> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    try {
      return await fetch(`${this.endpoint}${path}`, { ...init, signal: combined, redirect: 'error' });
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      const why = timeout.aborted ? `timed out after ${this.#timeoutMs} ms` : `failed: ${(err as Error).message}`;
      throw new ImdsError(`IMDS ${init.method} ${path} ${why}`, { cause: err, path });
    }
  }

  async #text(res: Response, path: string): Promise<string> {
    try {
      return await res.text();
    } catch (err) {
      throw new ImdsError(`IMDS ${path}: reading the answer failed: ${(err as Error).message}`, { cause: err, path, status: res.status });
    }
  }
}
