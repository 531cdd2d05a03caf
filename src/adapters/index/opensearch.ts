/**
 * IndexPort on OpenSearch over plain fetch (no client library): writes go through a micro-batcher
 * into `_bulk`; reads, search and index management are single requests. Basic auth comes from the
 * URL's userinfo; the password never appears in a message, log field or error.
 */
import { isIngestError, permanent, transient, type IngestError } from '../../errors.ts';
import { MicroBatcher } from '../../lib/micro-batcher.ts';
import { bulkItemError, errorInfo, responseError } from './opensearch-errors.ts';
import { indexBody, vectorDimensions, type VectorDimensions } from './mapping.ts';
import type { IndexDocument, IndexOptions, IndexPort, SearchHit, TextSource } from './port.ts';

export interface OpenSearchIndexOptions {
  /** Endpoint, optionally with basic-auth userinfo: `https://user:pass@host:9200`. */
  url: string;
  /** Index (or alias) name. */
  index: string;
  /** Injectable for tests (or to sign requests); defaults to the global fetch. */
  fetch?: typeof fetch;
  batch?: {
    /** Documents per `_bulk` request (default 100). */
    maxDocs?: number;
    /** NDJSON bytes per `_bulk` request (default 5 MiB). */
    maxBytes?: number;
    /** How long the first write waits for company (default 20 ms). */
    lingerMs?: number;
  };
  /** Timeout of every request (default 30 000 ms). */
  requestTimeoutMs?: number;
}

export interface EnsureIndexOptions extends IndexOptions {
  textEmbeddingDims?: number | null;
  imageEmbeddingDims?: number | null;
}

export interface IndexDescription {
  exists: boolean;
  dims: VectorDimensions;
}

export interface CloseOptions {
  /** Give up waiting after this long: in-flight requests are aborted, pending writes rejected. */
  timeoutMs?: number;
}

interface BulkItem {
  op: 'index' | 'delete';
  id: string;
  ndjson: string;
}

interface RawResponse {
  status: number;
  text: string;
  json: unknown;
}

const DEFAULT_MAX_DOCS = 100;
const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;
const DEFAULT_LINGER_MS = 20;
const DEFAULT_TIMEOUT_MS = 30_000;
const SNIPPET_CHARS = 160;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

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

export class OpenSearchIndex implements IndexPort {
  readonly index: string;
  /** The endpoint for logs: no password. */
  readonly endpoint: string;
  readonly #baseUrl: string;
  readonly #authorization: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #batcher: MicroBatcher<BulkItem>;
  readonly #closeController = new AbortController();
  readonly #requests = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;

  constructor(options: OpenSearchIndexOptions) {
    if (typeof options.index !== 'string' || options.index === '' || options.index !== options.index.toLowerCase()) {
      throw new TypeError('OpenSearch index name must be a non-empty lowercase string');
    }
    const { baseUrl, authorization, redacted } = parseEndpoint(options.url);
    this.index = options.index;
    this.endpoint = redacted;
    this.#baseUrl = baseUrl;
    this.#authorization = authorization;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isFinite(this.#timeoutMs) || this.#timeoutMs <= 0) throw new RangeError('requestTimeoutMs must be > 0');
    this.#batcher = new MicroBatcher<BulkItem>({
      maxItems: options.batch?.maxDocs ?? DEFAULT_MAX_DOCS,
      maxBytes: options.batch?.maxBytes ?? DEFAULT_MAX_BYTES,
      lingerMs: options.batch?.lingerMs ?? DEFAULT_LINGER_MS,
      send: (items) => this.#sendBulk(items),
      closedError: () => transient('INDEX_CLOSED', 'the OpenSearch index adapter is closed'),
    });
  }

  // ── writes (batched) ──────────────────────────────────────────────────────────────────────

  upsert(doc: IndexDocument, options: IndexOptions = {}): Promise<void> {
    const { id, ...source } = doc;
    if (typeof id !== 'string' || id === '') {
      return Promise.reject(permanent('INDEX_DOCUMENT_REJECTED', 'document has no id'));
    }
    let body: string;
    try {
      body = JSON.stringify(source);
    } catch (err) {
      return Promise.reject(permanent('INDEX_DOCUMENT_REJECTED', `document ${id} cannot be serialised: ${String(err)}`, err));
    }
    const ndjson = `${JSON.stringify({ index: { _index: this.index, _id: id } })}\n${body}\n`;
    return this.#batcher.add({ op: 'index', id, ndjson }, Buffer.byteLength(ndjson), options.signal);
  }

  delete(id: string, options: IndexOptions = {}): Promise<void> {
    if (typeof id !== 'string' || id === '') return Promise.reject(permanent('INDEX_REQUEST_REJECTED', 'delete needs an id'));
    const ndjson = `${JSON.stringify({ delete: { _index: this.index, _id: id } })}\n`;
    return this.#batcher.add({ op: 'delete', id, ndjson }, Buffer.byteLength(ndjson), options.signal);
  }

  async #sendBulk(items: readonly BulkItem[]): Promise<ReadonlyArray<IngestError | null>> {
    const what = 'POST /_bulk';
    const res = await this.#request('POST', '/_bulk', {
      body: items.map((i) => i.ndjson).join(''),
      contentType: 'application/x-ndjson',
      flushing: true,
    });
    if (res.status < 200 || res.status >= 300) throw responseError(res.status, res.json ?? res.text, what);
    const body = res.json;
    const entries = isRecord(body) && Array.isArray(body.items) ? body.items : undefined;
    if (entries === undefined || entries.length !== items.length) {
      throw transient('INDEX_UNAVAILABLE', `OpenSearch ${what} answered without one result per item`, undefined, {
        expected: items.length,
        got: entries?.length,
      });
    }
    return items.map((item, i) => {
      const entry: unknown = entries[i];
      const result = isRecord(entry) ? (entry[item.op] ?? Object.values(entry)[0]) : undefined;
      if (!isRecord(result) || typeof result.status !== 'number') {
        return transient('INDEX_UNAVAILABLE', `OpenSearch ${what} item ${i} has no status`, undefined, { id: item.id });
      }
      return bulkItemError(item.op, item.id, result.status, result.error);
    });
  }

  // ── reads ─────────────────────────────────────────────────────────────────────────────────

  async get(id: string, options: IndexOptions = {}): Promise<IndexDocument | null> {
    const path = `/${encodeURIComponent(this.index)}/_doc/${encodeURIComponent(id)}`;
    const res = await this.#request('GET', path, { signal: options.signal });
    if (res.status === 404) return null;
    if (res.status !== 200) throw responseError(res.status, res.json ?? res.text, `GET ${path}`);
    const body = res.json;
    if (!isRecord(body) || body.found === false) return null;
    if (!isRecord(body._source)) throw transient('INDEX_UNAVAILABLE', `OpenSearch GET ${path} answered without _source`);
    return { ...(body._source as Omit<IndexDocument, 'id'>), id: typeof body._id === 'string' ? body._id : id };
  }

  async search(query: string, options: IndexOptions & { size?: number } = {}): Promise<SearchHit[]> {
    const text = query.trim();
    if (text === '') return [];
    const size = options.size ?? 10;
    const path = `/${encodeURIComponent(this.index)}/_search`;
    const res = await this.#request('POST', path, {
      signal: options.signal,
      contentType: 'application/json',
      body: JSON.stringify({
        size,
        query: { multi_match: { query: text, fields: ['content', 'content.ngram', 'file_name'] } },
        _source: ['bucket', 'key', 'file_name', 'original_path', 'text_source'],
        highlight: {
          fields: { content: { fragment_size: SNIPPET_CHARS, number_of_fragments: 1, no_match_size: SNIPPET_CHARS } },
        },
      }),
    });
    if (res.status !== 200) throw responseError(res.status, res.json ?? res.text, `POST ${path}`);
    const body = res.json;
    const hits = isRecord(body) && isRecord(body.hits) && Array.isArray(body.hits.hits) ? body.hits.hits : [];
    return hits.filter(isRecord).map((hit): SearchHit => {
      const source = isRecord(hit._source) ? hit._source : {};
      const highlight = isRecord(hit.highlight) ? hit.highlight : {};
      const fragments = Array.isArray(highlight.content) ? highlight.content : [];
      return {
        id: String(hit._id),
        score: typeof hit._score === 'number' ? hit._score : 0,
        bucket: String(source.bucket ?? ''),
        key: String(source.key ?? ''),
        file_name: String(source.file_name ?? ''),
        original_path: typeof source.original_path === 'string' ? source.original_path : null,
        text_source: (typeof source.text_source === 'string' ? source.text_source : 'none') as TextSource,
        snippet: typeof fragments[0] === 'string' ? fragments[0] : '',
      };
    });
  }

  // ── index management ──────────────────────────────────────────────────────────────────────

  /** Creates the index with the §6 mapping unless it exists (an existing index is left alone). */
  async ensureIndex(options: EnsureIndexOptions = {}): Promise<{ created: boolean }> {
    const body = JSON.stringify(indexBody(options)); // validates the dimensions before any request
    if (await this.#exists(options.signal)) return { created: false };
    const path = `/${encodeURIComponent(this.index)}`;
    const res = await this.#request('PUT', path, { body, contentType: 'application/json', signal: options.signal });
    if (res.status >= 200 && res.status < 300) return { created: true };
    // Another instance won the race.
    if (res.status === 400 && errorInfo(res.json).type === 'resource_already_exists_exception') return { created: false };
    throw responseError(res.status, res.json ?? res.text, `PUT ${path}`);
  }

  /** Whether the index exists, and the vector dimensions it was created with. */
  async describeIndex(options: IndexOptions = {}): Promise<IndexDescription> {
    if (!(await this.#exists(options.signal))) return { exists: false, dims: { text: null, image: null } };
    const path = `/${encodeURIComponent(this.index)}/_mapping`;
    const res = await this.#request('GET', path, { signal: options.signal });
    if (res.status !== 200) throw responseError(res.status, res.json ?? res.text, `GET ${path}`);
    return { exists: true, dims: vectorDimensions(res.json) };
  }

  /** Makes everything written so far visible to search. */
  async refresh(options: IndexOptions = {}): Promise<void> {
    const path = `/${encodeURIComponent(this.index)}/_refresh`;
    const res = await this.#request('POST', path, { signal: options.signal });
    if (res.status < 200 || res.status >= 300) throw responseError(res.status, res.json ?? res.text, `POST ${path}`);
  }

  async #exists(signal: AbortSignal | undefined): Promise<boolean> {
    const path = `/${encodeURIComponent(this.index)}`;
    const res = await this.#request('HEAD', path, { signal });
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw responseError(res.status, res.json ?? res.text, `HEAD ${path}`);
  }

  // ── lifecycle ─────────────────────────────────────────────────────────────────────────────

  /** Pending writes and requests still waiting for a batch / answer. */
  get pendingWrites(): number {
    return this.#batcher.pendingCount;
  }

  /**
   * Sends pending writes, waits for every request in flight, and refuses new work. Idempotent.
   * With `timeoutMs`, whatever is still running then is aborted (its callers get INDEX_CLOSED).
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= this.#close(options.timeoutMs);
    return this.#closing;
  }

  async #close(timeoutMs: number | undefined): Promise<void> {
    const drained = (async () => {
      await this.#batcher.close();
      while (this.#requests.size > 0) await Promise.allSettled([...this.#requests]);
    })();
    if (timeoutMs === undefined) return await drained;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      if ((await Promise.race([drained, timedOut])) === 'timeout') {
        this.destroy();
        await drained;
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Aborts requests in flight and rejects pending writes at once. */
  destroy(): void {
    const error = transient('INDEX_CLOSED', 'the OpenSearch index adapter was destroyed');
    this.#batcher.destroy(error);
    if (!this.#closeController.signal.aborted) this.#closeController.abort(error);
  }

  // ── transport ─────────────────────────────────────────────────────────────────────────────

  #request(
    method: string,
    path: string,
    options: { body?: string; contentType?: string; signal?: AbortSignal | undefined; flushing?: boolean } = {},
  ): Promise<RawResponse> {
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

  async #send(
    method: string,
    path: string,
    options: { body?: string; contentType?: string; signal?: AbortSignal | undefined },
  ): Promise<RawResponse> {
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
