/**
 * The HTTP side of the OpenSearch adapter over plain fetch: the endpoint (basic auth from the
 * URL's userinfo, the password never in a message, log field or error), one request at a time with
 * a timeout, and the bookkeeping close() and destroy() need (what is in flight, what is refused).
 */
import { isIngestError, transient } from '../../errors.ts';

export interface RawResponse {
  status: number;
  text: string;
  json: unknown;
}

export interface RequestOptions {
  body?: string;
  contentType?: string;
  signal?: AbortSignal | undefined;
  /** A write the batcher flushes: still sent once close() has begun. */
  flushing?: boolean;
}

export interface TransportOptions {
  url: string;
  /** Injectable for tests (or to sign requests); defaults to the global fetch. */
  fetch?: typeof fetch | undefined;
  /** Timeout of every request (default 30 000 ms). */
  requestTimeoutMs?: number | undefined;
}

export interface TransportCloseOptions {
  /** Give up waiting after this long and call `destroy`. */
  timeoutMs?: number | undefined;
  /** Sends what is still pending (the batcher's last writes) before waiting for the requests. */
  flush: () => Promise<void>;
  /** Called when `timeoutMs` runs out: aborts whatever still runs. */
  destroy: () => void;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Splits `https://user:pass@host/prefix` into a credential-free base URL and an Authorization header. */
export function parseEndpoint(url: string): { baseUrl: string; authorization: string | undefined; redacted: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError('OpenSearch url is not a valid URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`OpenSearch url must be http(s), got ${parsed.protocol}`);
  }
  let authorization: string | undefined;
  if (parsed.username !== '' || parsed.password !== '') {
    const user = decodeURIComponent(parsed.username);
    const pass = decodeURIComponent(parsed.password);
    authorization = `Basic ${Buffer.from(`${user}:${pass}`, 'utf8').toString('base64')}`;
  }
  const redactedUser = parsed.username === '' ? '' : `${parsed.username}:***@`;
  parsed.username = '';
  parsed.password = '';
  parsed.search = '';
  parsed.hash = '';
  const baseUrl = parsed.toString().replace(/\/+$/, '');
  const redacted = baseUrl.replace(/^(https?:\/\/)/, `$1${redactedUser}`);
  return { baseUrl, authorization, redacted };
}

export class OpenSearchTransport {
  /** The endpoint for logs: no password. */
  readonly endpoint: string;
  readonly #baseUrl: string;
  readonly #authorization: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #closeController = new AbortController();
  readonly #requests = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;

  constructor(options: TransportOptions) {
    const { baseUrl, authorization, redacted } = parseEndpoint(options.url);
    this.endpoint = redacted;
    this.#baseUrl = baseUrl;
    this.#authorization = authorization;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isFinite(this.#timeoutMs) || this.#timeoutMs <= 0) throw new RangeError('requestTimeoutMs must be > 0');
  }

  /**
   * Runs `flush`, waits for every request in flight, and refuses new requests (but flushes).
   * Idempotent: later calls get the first call's promise. With `timeoutMs`, `destroy` is called
   * when it runs out, and the promise settles once the aborted requests have.
   */
  close(options: TransportCloseOptions): Promise<void> {
    this.#closing ??= this.#close(options);
    return this.#closing;
  }

  async #close({ timeoutMs, flush, destroy }: TransportCloseOptions): Promise<void> {
    const drained = (async () => {
      await flush();
      while (this.#requests.size > 0) await Promise.allSettled([...this.#requests]);
    })();
    if (timeoutMs === undefined) return await drained;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      if ((await Promise.race([drained, timedOut])) === 'timeout') {
        destroy();
        await drained;
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Aborts the requests in flight (they reject INDEX_CLOSED) and refuses every new one. */
  abort(reason: unknown): void {
    if (!this.#closeController.signal.aborted) this.#closeController.abort(reason);
  }

  request(method: string, path: string, options: RequestOptions = {}): Promise<RawResponse> {
    // Once close() has begun only the batcher's own flushes may still go out.
    if (this.#closeController.signal.aborted || (this.#closing !== undefined && options.flushing !== true)) {
      return Promise.reject(transient('INDEX_CLOSED', 'the OpenSearch index adapter is closed'));
    }
    const running = this.#send(method, path, options);
    this.#requests.add(running);
    void running.then(
      () => this.#requests.delete(running),
      () => this.#requests.delete(running),
    );
    return running;
  }

  async #send(method: string, path: string, options: RequestOptions): Promise<RawResponse> {
    const callerSignal = options.signal;
    if (callerSignal?.aborted) throw callerSignal.reason;
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signals = [timeout, this.#closeController.signal];
    if (callerSignal) signals.push(callerSignal);
    const signal = AbortSignal.any(signals);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.contentType) headers['content-type'] = options.contentType;
    if (this.#authorization) headers.authorization = this.#authorization;
    const what = `${method} ${path}`;
    try {
      const res = await this.#fetch(`${this.#baseUrl}${path}`, { method, headers, body: options.body, signal });
      const text = method === 'HEAD' ? '' : await res.text();
      let json: unknown;
      if (text !== '') {
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
      }
      return { status: res.status, text, json };
    } catch (err) {
      if (isIngestError(err)) throw err;
      if (callerSignal?.aborted) throw callerSignal.reason;
      if (this.#closeController.signal.aborted) {
        throw transient('INDEX_CLOSED', `OpenSearch ${what} aborted: the adapter was destroyed`, err);
      }
      if (timeout.aborted) {
        throw transient('INDEX_UNAVAILABLE', `OpenSearch ${what} timed out after ${this.#timeoutMs} ms`, err, {
          request: what,
          timeoutMs: this.#timeoutMs,
        });
      }
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      throw transient('INDEX_UNAVAILABLE', `OpenSearch ${what} failed at ${this.endpoint}${cause}`, err, { request: what });
    }
  }
}
