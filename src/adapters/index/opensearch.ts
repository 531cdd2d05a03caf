/**
 * IndexPort on OpenSearch over plain fetch (no client library): writes go through a micro-batcher
 * into `_bulk`; reads, search and index management are single requests. Basic auth comes from the
 * URL's userinfo; the password never appears in a message, log field or error.
 *
 * Search is the text query alone (one `_search`), or — given query vectors — hybrid: the text query
 * and one k-NN query per vector in one `_msearch`, fused by reciprocal rank (rrf.ts).
 * The index-management methods (createIndex, updateAliases, reindex, …) are the primitives
 * index-versions.ts builds `setup` from (docs/opensearch.md).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isIngestError, permanent, transient, type IngestError } from '../../errors.ts';
import { MicroBatcher } from '../../lib/micro-batcher.ts';
import { bulkItemError, errorInfo, responseError } from './opensearch-errors.ts';
import { describeMapping, IMAGE_EMBEDDING_FIELD, indexBody, TEXT_EMBEDDING_FIELD, type VectorDimensions } from './mapping.ts';
import type { IndexDocument, IndexOptions, IndexPort, PendingPage, SearchHit, SearchOptions, TextSource } from './port.ts';
import { reciprocalRankFusion } from './rrf.ts';

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
  /** Vector dimensions of the (first) concrete index. */
  dims: VectorDimensions;
  /** What the name is: an alias, a concrete index, or nothing yet. */
  kind: 'alias' | 'index' | 'missing';
  /** The concrete indices behind the name (the name itself for a concrete index), sorted. */
  indices: string[];
  /** MAPPING_VERSION of the (first) concrete index: 1 for one made before versioning; null when missing. */
  mappingVersion: number | null;
}

/** One action of `POST /_aliases` (all of them applied atomically). */
export type AliasAction =
  | { add: { index: string; alias: string; is_write_index?: boolean } }
  | { remove: { index: string; alias: string } }
  | { remove_index: { index: string } };

export interface ReindexRequest extends IndexOptions {
  /** Source index (or alias) and destination index. */
  source: string;
  dest: string;
  /** Copy only the documents this query matches (default: all). */
  query?: Record<string, unknown>;
  /** A painless script run on every copied document (`ctx._source`). */
  script?: { lang: 'painless'; source: string; params?: Record<string, unknown> };
  /** Documents per scroll batch (default 500). */
  batchSize?: number;
  /** How often the task is polled (default 1000 ms). */
  pollIntervalMs?: number;
}

export interface ReindexResult {
  total: number;
  created: number;
  updated: number;
  /** The task id the copy ran as. */
  task: string | undefined;
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
/** What a hit needs of `_source` (the rest stays on the server). */
const HIT_SOURCE = ['bucket', 'key', 'file_name', 'original_path', 'text_source'];
/** Fields of the text query. */
const TEXT_FIELDS = ['content', 'content.ngram', 'file_name'];
/**
 * The stable order of listPendingEmbeddings: oldest first; `bucket` makes the tuple unique (a
 * `_id` sort would need fielddata on `_id`, which newer OpenSearch refuses).
 */
const PENDING_SORT = [{ indexed_at: { order: 'asc' } }, { key: { order: 'asc' } }, { bucket: { order: 'asc' } }];
const MAX_PAGE = 10_000;

/** The k-NN half of a hybrid search: which query vector goes to which field. */
interface VectorQuery {
  name: 'text' | 'image';
  field: string;
  vector: number[];
}

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

  /**
   * Ranked hits for `query`. Without `options.vectors`: the text query alone (multi_match over
   * content, content.ngram and file_name, highlighted), one `_search`. With vectors: that query
   * plus a k-NN query (k = size) on `text_embedding` / `image_embedding` per vector, sent in one
   * `_msearch` and fused by reciprocal rank; `score` is then the fused score, and a hit only a
   * k-NN query found still gets a snippet (the start of its content).
   */
  async search(query: string, options: SearchOptions = {}): Promise<SearchHit[]> {
    const text = query.trim();
    if (text === '') return [];
    const size = options.size ?? 10;
    const vectors = vectorQueries(options.vectors);
    if (vectors.length === 0) return this.#textSearch(text, size, options.signal);
    return this.#hybridSearch(text, size, vectors, options.signal);
  }

  async #textSearch(text: string, size: number, signal: AbortSignal | undefined): Promise<SearchHit[]> {
    const path = `/${encodeURIComponent(this.index)}/_search`;
    const res = await this.#request('POST', path, {
      signal,
      contentType: 'application/json',
      body: JSON.stringify({
        size,
        query: textQuery(text),
        _source: HIT_SOURCE,
        highlight: {
          fields: { content: { fragment_size: SNIPPET_CHARS, number_of_fragments: 1, no_match_size: SNIPPET_CHARS } },
        },
      }),
    });
    if (res.status !== 200) throw responseError(res.status, res.json ?? res.text, `POST ${path}`);
    return searchHits(res.json).map(toSearchHit);
  }

  async #hybridSearch(text: string, size: number, vectors: VectorQuery[], signal: AbortSignal | undefined): Promise<SearchHit[]> {
    if (size <= 0) return [];
    // Highlight the query's words in k-NN hits too (where they occur); else the start of content.
    const highlight = {
      fields: {
        content: { fragment_size: SNIPPET_CHARS, number_of_fragments: 1, no_match_size: SNIPPET_CHARS, highlight_query: textQuery(text) },
      },
    };
    const bodies: Record<string, unknown>[] = [
      { size, query: textQuery(text), _source: HIT_SOURCE, highlight },
      ...vectors.map((v) => ({ size, query: { knn: { [v.field]: { vector: v.vector, k: size } } }, _source: HIT_SOURCE, highlight })),
    ];
    const path = `/${encodeURIComponent(this.index)}/_msearch`;
    const res = await this.#request('POST', path, {
      signal,
      contentType: 'application/x-ndjson',
      body: bodies.map((b) => `{}\n${JSON.stringify(b)}\n`).join(''),
    });
    if (res.status !== 200) throw responseError(res.status, res.json ?? res.text, `POST ${path}`);
    const responses = isRecord(res.json) && Array.isArray(res.json.responses) ? res.json.responses : undefined;
    if (responses === undefined || responses.length !== bodies.length) {
      throw transient('INDEX_UNAVAILABLE', `OpenSearch POST ${path} answered without one response per search`, undefined, {
        expected: bodies.length,
        got: responses?.length,
      });
    }
    const rankings = responses.map((response, i) => {
      const what = i === 0 ? 'text query' : `k-NN query on ${vectors[i - 1]!.field}`;
      if (!isRecord(response) || response.error !== undefined || (typeof response.status === 'number' && response.status >= 300)) {
        throw msearchItemError(response, `POST ${path} (${what})`, i === 0 ? undefined : vectors[i - 1], this.index);
      }
      return searchHits(response).map(toSearchHit);
    });
    // A hit keeps the text query's fields (its highlight marks the words); a missing snippet is
    // taken from a k-NN response (the highlighter's no_match_size start of content).
    const snippets = new Map<string, string>();
    for (const ranking of rankings) for (const hit of ranking) if (hit.snippet !== '' && !snippets.has(hit.id)) snippets.set(hit.id, hit.snippet);
    return reciprocalRankFusion(rankings, { size }).map((hit) => ({ ...hit, snippet: hit.snippet || (snippets.get(hit.id) ?? '') }));
  }

  /**
   * Documents marked `embedding_pending`, oldest `indexed_at` first (then `key`, `bucket`), a page
   * at a time: `next` is an opaque cursor (the last hit's sort values, for `search_after`).
   * Documents that stop being pending while a caller pages (it embeds them) do not shift later
   * pages, unlike `from`/`size` paging.
   */
  async listPendingEmbeddings(options: IndexOptions & { size: number; after?: string }): Promise<PendingPage> {
    const size = options.size;
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE) {
      throw permanent('INDEX_REQUEST_REJECTED', `listPendingEmbeddings: size must be an integer from 1 to ${MAX_PAGE}, got ${String(size)}`);
    }
    const searchAfter = options.after === undefined ? undefined : decodeCursor(options.after);
    const path = `/${encodeURIComponent(this.index)}/_search`;
    const res = await this.#request('POST', path, {
      signal: options.signal,
      contentType: 'application/json',
      body: JSON.stringify({
        size,
        query: { term: { embedding_pending: true } },
        sort: PENDING_SORT,
        ...(searchAfter !== undefined ? { search_after: searchAfter } : {}),
        track_total_hits: false,
      }),
    });
    if (res.status !== 200) throw responseError(res.status, res.json ?? res.text, `POST ${path}`);
    const hits = searchHits(res.json);
    const docs = hits.map((hit): IndexDocument => {
      if (!isRecord(hit._source)) throw transient('INDEX_UNAVAILABLE', `OpenSearch POST ${path} answered a hit without _source`);
      return { ...(hit._source as Omit<IndexDocument, 'id'>), id: String(hit._id) };
    });
    const last = hits.at(-1);
    const sort = last !== undefined && Array.isArray(last.sort) ? last.sort : undefined;
    if (hits.length < size || sort === undefined) return { docs };
    return { docs, next: encodeCursor(sort) };
  }

  // ── index management ──────────────────────────────────────────────────────────────────────

  /**
   * Creates the index (this adapter's name) with the §6 mapping unless something of that name
   * exists (an existing index or alias is left alone). `setup` uses index-versions.ts instead.
   */
  async ensureIndex(options: EnsureIndexOptions = {}): Promise<{ created: boolean }> {
    const body = indexBody(options); // validates the dimensions before any request
    if (await this.indexExists(this.index, options)) return { created: false };
    return this.createIndex(this.index, body, options);
  }

  /**
   * What the adapter's name (or `options.name`) is — alias, concrete index or nothing — the
   * concrete indices behind it, their vector dimensions and mapping version. One `GET _mapping`.
   */
  async describeIndex(options: IndexOptions & { name?: string } = {}): Promise<IndexDescription> {
    const name = options.name ?? this.index;
    const path = `/${encodeURIComponent(name)}/_mapping`;
    const res = await this.#request('GET', path, { signal: options.signal });
    if (res.status === 404) return { exists: false, dims: { text: null, image: null }, kind: 'missing', indices: [], mappingVersion: null };
    if (res.status !== 200) throw responseError(res.status, res.json ?? res.text, `GET ${path}`);
    const described = describeMapping(res.json);
    if (described.indices.length === 0) throw transient('INDEX_UNAVAILABLE', `OpenSearch GET ${path} answered without a mapping`);
    const kind = described.indices.length === 1 && described.indices[0] === name ? 'index' : 'alias';
    return { exists: true, dims: described.dims, kind, indices: described.indices, mappingVersion: described.mappingVersion };
  }

  /** Whether an index or alias of this name exists (`HEAD /{name}`). */
  async indexExists(name: string, options: IndexOptions = {}): Promise<boolean> {
    const path = `/${encodeURIComponent(name)}`;
    const res = await this.#request('HEAD', path, { signal: options.signal });
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw responseError(res.status, res.json ?? res.text, `HEAD ${path}`);
  }

  /** `PUT /{name}` with `body`; `created: false` when it already exists (another instance won a race). */
  async createIndex(name: string, body: Record<string, unknown>, options: IndexOptions = {}): Promise<{ created: boolean }> {
    const path = `/${encodeURIComponent(name)}`;
    const res = await this.#request('PUT', path, { body: JSON.stringify(body), contentType: 'application/json', signal: options.signal });
    if (res.status >= 200 && res.status < 300) return { created: true };
    if (res.status === 400 && errorInfo(res.json).type === 'resource_already_exists_exception') return { created: false };
    throw responseError(res.status, res.json ?? res.text, `PUT ${path}`);
  }

  /** `DELETE /{name}` of a concrete index; false when there was none. Never called by `setup`. */
  async deleteIndex(name: string, options: IndexOptions = {}): Promise<boolean> {
    const path = `/${encodeURIComponent(name)}`;
    const res = await this.#request('DELETE', path, { signal: options.signal });
    if (res.status === 404) return false;
    if (res.status < 200 || res.status >= 300) throw responseError(res.status, res.json ?? res.text, `DELETE ${path}`);
    return true;
  }

  /** `POST /_aliases`: the actions are applied atomically (all or none). */
  async updateAliases(actions: AliasAction[], options: IndexOptions = {}): Promise<void> {
    if (actions.length === 0) return;
    const res = await this.#request('POST', '/_aliases', {
      body: JSON.stringify({ actions }),
      contentType: 'application/json',
      signal: options.signal,
    });
    if (res.status < 200 || res.status >= 300) throw responseError(res.status, res.json ?? res.text, 'POST /_aliases');
  }

  /**
   * Copies documents with `_reindex`, run as a task (`wait_for_completion=false`) that is polled
   * until it ends — a large copy outlasts any one HTTP request. Any document failure fails the
   * copy (INDEX_REINDEX_FAILED). Aborting `signal` stops waiting, not the task.
   */
  async reindex(request: ReindexRequest): Promise<ReindexResult> {
    const body = {
      source: { index: request.source, size: request.batchSize ?? 500, ...(request.query ? { query: request.query } : {}) },
      dest: { index: request.dest },
      ...(request.script ? { script: request.script } : {}),
    };
    const what = `POST /_reindex (${request.source} → ${request.dest})`;
    const res = await this.#request('POST', '/_reindex?wait_for_completion=false', {
      body: JSON.stringify(body),
      contentType: 'application/json',
      signal: request.signal,
    });
    if (res.status < 200 || res.status >= 300) throw responseError(res.status, res.json ?? res.text, what);
    const started = res.json;
    if (isRecord(started) && typeof started.task === 'string') {
      return this.#waitForTask(started.task, what, request.pollIntervalMs ?? 1_000, request.signal);
    }
    // A server that ran it to the end at once.
    return reindexResult(started, what, undefined);
  }

  async #waitForTask(task: string, what: string, pollMs: number, signal: AbortSignal | undefined): Promise<ReindexResult> {
    const path = `/_tasks/${encodeURIComponent(task)}`;
    for (;;) {
      const res = await this.#request('GET', path, { signal });
      if (res.status !== 200) throw responseError(res.status, res.json ?? res.text, `GET ${path} (${what})`);
      const body = res.json;
      if (isRecord(body) && body.completed === true) {
        if (body.error !== undefined) {
          const info = errorInfo(body.error);
          throw permanent('INDEX_REINDEX_FAILED', `OpenSearch ${what} failed: ${[info.type, info.reason].filter(Boolean).join(': ')}`, undefined, { task });
        }
        return reindexResult(body.response, what, task);
      }
      try {
        await sleep(pollMs, undefined, signal ? { signal } : {});
      } catch (err) {
        throw signal?.aborted ? signal.reason : err;
      }
    }
  }

  /** Makes everything written so far visible to search (this adapter's index, or `name`). */
  async refresh(options: IndexOptions & { name?: string } = {}): Promise<void> {
    const path = `/${encodeURIComponent(options.name ?? this.index)}/_refresh`;
    const res = await this.#request('POST', path, { signal: options.signal });
    if (res.status < 200 || res.status >= 300) throw responseError(res.status, res.json ?? res.text, `POST ${path}`);
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

// ── request and response shapes ─────────────────────────────────────────────────────────────

function textQuery(text: string): Record<string, unknown> {
  return { multi_match: { query: text, fields: TEXT_FIELDS } };
}

/** The given query vectors, checked: arrays of finite numbers (an empty or missing one is skipped). */
function vectorQueries(vectors: SearchOptions['vectors']): VectorQuery[] {
  const out: VectorQuery[] = [];
  const add = (name: VectorQuery['name'], field: string, vector: number[] | null | undefined): void => {
    if (vector === undefined || vector === null || vector.length === 0) return;
    if (!Array.isArray(vector) || !vector.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw permanent('INDEX_REQUEST_REJECTED', `the ${name} query vector must be an array of finite numbers`);
    }
    out.push({ name, field, vector });
  };
  add('text', TEXT_EMBEDDING_FIELD, vectors?.text);
  add('image', IMAGE_EMBEDDING_FIELD, vectors?.image);
  return out;
}

function searchHits(body: unknown): Record<string, unknown>[] {
  const hits = isRecord(body) && isRecord(body.hits) && Array.isArray(body.hits.hits) ? body.hits.hits : [];
  return hits.filter(isRecord);
}

function toSearchHit(hit: Record<string, unknown>): SearchHit {
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
}

/** The reasons in a search error: its own, `root_cause[].reason`, `failed_shards[].reason(.caused_by).reason`, `caused_by.reason`. */
function rootCauses(error: unknown): string[] {
  if (!isRecord(error)) return [];
  const reasons: string[] = [];
  const add = (value: unknown): void => {
    if (typeof value === 'string' && value !== '' && !reasons.includes(value)) reasons.push(value);
  };
  add(error.reason);
  for (const cause of Array.isArray(error.root_cause) ? error.root_cause : []) if (isRecord(cause)) add(cause.reason);
  for (const shard of Array.isArray(error.failed_shards) ? error.failed_shards : []) {
    const reason = isRecord(shard) ? shard.reason : undefined;
    if (!isRecord(reason)) continue;
    add(reason.reason);
    if (isRecord(reason.caused_by)) add(reason.caused_by.reason);
  }
  if (isRecord(error.caused_by)) add(error.caused_by.reason);
  return reasons;
}

const DIMENSION_REASON = /invalid dimension: (\d+)\. Dimension should be: (\d+)/i;

/**
 * The error of one failed search of an `_msearch`. A k-NN query vector of the wrong length gets
 * its own code (the query was embedded by another model than the index was made for).
 */
function msearchItemError(item: unknown, what: string, vector: VectorQuery | undefined, index: string): IngestError {
  const error = isRecord(item) ? item.error : undefined;
  const status = isRecord(item) && typeof item.status === 'number' ? item.status : 500;
  const causes = rootCauses(error);
  if (vector !== undefined) {
    const dims = causes.map((c) => DIMENSION_REASON.exec(c)).find((m) => m !== null);
    if (dims) {
      return permanent(
        'INDEX_VECTOR_DIMENSION',
        `the ${vector.name} query vector has ${dims[1]} dimensions, but ${vector.field} in OpenSearch index "${index}" has ${dims[2]}: ` +
          'the query was embedded with another model (or dimension) than the index was made for',
        undefined,
        { field: vector.field, got: Number(dims[1]), expected: Number(dims[2]), status },
      );
    }
  }
  const info = errorInfo(error === undefined ? item : { error });
  const reason = [info.reason, ...causes.filter((c) => c !== info.reason)].filter(Boolean).join('; ');
  return responseError(status, { error: { type: info.type, reason } }, what);
}

function encodeCursor(sort: unknown[]): string {
  return Buffer.from(JSON.stringify(sort), 'utf8').toString('base64url');
}

function decodeCursor(after: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(after, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!Array.isArray(value) || value.length !== PENDING_SORT.length || !value.every((v) => typeof v === 'number' || typeof v === 'string')) {
    throw permanent('INDEX_CURSOR_INVALID', 'listPendingEmbeddings: "after" is not a cursor this adapter returned');
  }
  return value;
}

function reindexResult(response: unknown, what: string, task: string | undefined): ReindexResult {
  if (!isRecord(response)) throw transient('INDEX_UNAVAILABLE', `OpenSearch ${what} answered without a result`, undefined, { task });
  const failures = Array.isArray(response.failures) ? response.failures : [];
  if (failures.length > 0) {
    const first: unknown = failures[0];
    const cause = isRecord(first) ? first.cause : undefined;
    const info = errorInfo(cause ?? first);
    const id = isRecord(first) && typeof first.id === 'string' ? ` (document ${first.id})` : '';
    throw permanent(
      'INDEX_REINDEX_FAILED',
      `OpenSearch ${what} failed for ${failures.length} document(s)${id}: ${[info.type, info.reason].filter(Boolean).join(': ') || 'no reason given'}`,
      undefined,
      { task, failures: failures.length },
    );
  }
  const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
  return { total: num(response.total), created: num(response.created), updated: num(response.updated), task };
}
