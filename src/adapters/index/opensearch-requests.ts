/**
 * Every call the OpenSearch adapter makes through the official client passes here: a deadline per
 * request combined with the caller's AbortSignal and the adapter's own (destroy), the client's
 * errors turned into IngestErrors (opensearch-errors.ts decides retry or not), and the bookkeeping
 * close() and destroy() need — what is in flight, and refusing new requests once closing.
 */
import type { ApiResponse, Client } from '@opensearch-project/opensearch';
import type { TransportRequestOptions, TransportRequestPromise } from '@opensearch-project/opensearch/lib/Transport.js';
import { errors } from '@opensearch-project/opensearch';
import { isIngestError, transient } from '../../core/errors.ts';
import { responseError } from './opensearch-errors.ts';

export interface CallOptions {
  signal?: AbortSignal | undefined;
  /** Statuses answered as results instead of errors (e.g. 404 for "nothing there"). */
  ignore?: number[];
  /** A write the batcher flushes: still sent once close() has begun. */
  flushing?: boolean;
}

export interface CallResult {
  statusCode: number;
  body: unknown;
}

/** One call of the client's API, given the transport options to pass on. */
export type Send = (client: Client, options: TransportRequestOptions) => TransportRequestPromise<ApiResponse>;

export interface RequestsCloseOptions {
  /** Give up waiting after this long and call `destroy`. */
  timeoutMs?: number | undefined;
  /** Sends what is still pending (the batcher's last writes) before waiting for the requests. */
  flush: () => Promise<void>;
  /** Called when `timeoutMs` runs out: aborts whatever still runs. */
  destroy: () => void;
}

export class OpenSearchRequests {
  readonly #client: Client;
  /** For messages: no password. */
  readonly #endpoint: string;
  readonly #timeoutMs: number;
  readonly #closeController = new AbortController();
  readonly #requests = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;

  constructor(client: Client, endpoint: string, timeoutMs: number) {
    this.#client = client;
    this.#endpoint = endpoint;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Runs `send` with the client. `what` names the request in errors (`POST /_bulk`). A non-2xx
   * answer not in `ignore` rejects with the mapped IngestError.
   */
  call(what: string, send: Send, options: CallOptions = {}): Promise<CallResult> {
    // Once close() has begun only the batcher's own flushes may still go out.
    if (this.#closeController.signal.aborted || (this.#closing !== undefined && options.flushing !== true)) {
      return Promise.reject(transient('INDEX_CLOSED', 'the OpenSearch index adapter is closed'));
    }
    const running = this.#run(what, send, options);
    this.#requests.add(running);
    const forget = (): void => void this.#requests.delete(running);
    running.then(forget, forget);
    return running;
  }

  async #run(what: string, send: Send, options: CallOptions): Promise<CallResult> {
    const callerSignal = options.signal;
    if (callerSignal?.aborted) throw callerSignal.reason;
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = AbortSignal.any(callerSignal ? [timeout, this.#closeController.signal, callerSignal] : [timeout, this.#closeController.signal]);
    const request = send(this.#client, { maxRetries: 0, requestTimeout: this.#timeoutMs, ...(options.ignore ? { ignore: options.ignore } : {}) });
    const abort = (): void => void request.abort();
    signal.addEventListener('abort', abort, { once: true });
    try {
      const res = await request;
      return { statusCode: res.statusCode ?? 0, body: res.body };
    } catch (err) {
      if (callerSignal?.aborted) throw callerSignal.reason;
      if (this.#closeController.signal.aborted) {
        throw transient('INDEX_CLOSED', `OpenSearch ${what} aborted: the adapter was destroyed`, err);
      }
      if (timeout.aborted || err instanceof errors.TimeoutError) {
        throw transient('INDEX_UNAVAILABLE', `OpenSearch ${what} timed out after ${this.#timeoutMs} ms`, err, { request: what, timeoutMs: this.#timeoutMs });
      }
      throw this.#mapError(err, what);
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }

  #mapError(err: unknown, what: string): unknown {
    if (isIngestError(err)) return err; // INDEX_AUTH from the signer's credentials
    if (err instanceof errors.ResponseError) return responseError(err.statusCode ?? err.meta.statusCode ?? 0, err.meta.body, what);
    const message = err instanceof Error ? err.message : String(err);
    return transient('INDEX_UNAVAILABLE', `OpenSearch ${what} failed at ${this.#endpoint}: ${message}`, err, { request: what });
  }

  /**
   * Runs `flush`, waits for every request in flight, and refuses new requests (but flushes).
   * Idempotent: later calls get the first call's promise. With `timeoutMs`, `destroy` is called
   * when it runs out, and the promise settles once the aborted requests have. The client's
   * connections are closed last.
   */
  close(options: RequestsCloseOptions): Promise<void> {
    this.#closing ??= this.#close(options);
    return this.#closing;
  }

  async #close({ timeoutMs, flush, destroy }: RequestsCloseOptions): Promise<void> {
    const drained = (async () => {
      await flush();
      while (this.#requests.size > 0) await Promise.allSettled([...this.#requests]);
    })();
    try {
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
    } finally {
      await this.#client.close();
    }
  }

  /** Aborts the requests in flight (they reject INDEX_CLOSED) and refuses every new one. */
  abort(reason: unknown): void {
    if (!this.#closeController.signal.aborted) this.#closeController.abort(reason);
  }
}
