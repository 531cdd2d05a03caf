/**
 * IndexPort on OpenSearch through the official client (`@opensearch-project/opensearch`): writes go
 * through a micro-batcher into `_bulk`; reads, search and index management are single requests.
 * Basic auth comes from the URL's userinfo, SigV4 from the client's AwsSigv4Signer; the password
 * never appears in a message, log field or error.
 *
 * Search is the text query alone (one `_search`), or — given query vectors — hybrid: the text query
 * and one k-NN query per vector in one `_msearch`, fused by reciprocal rank (rrf.ts).
 * The index-management methods (createIndex, updateAliases, reindex, …) are the primitives
 * index-versions.ts builds `setup` from (docs/opensearch.md).
 *
 * This class is the composition: the client is made in opensearch-client.ts, every call runs through
 * opensearch-requests.ts (deadline, abort, error mapping, close), the search bodies and answers are
 * opensearch-search.ts, the index-management requests opensearch-admin.ts.
 */
import { permanent, transient, type IngestError } from '../../core/errors.ts';
import { MicroBatcher } from '../../lib/micro-batcher.ts';
import { indexBody } from './mapping.ts';
import * as admin from './opensearch-admin.ts';
import type { AliasAction, EnsureIndexOptions, IndexDescription, ReindexRequest, ReindexResult } from './opensearch-admin.ts';
import { bulkItemError, isRecord } from './opensearch-errors.ts';
import {
  hybridSearchBody,
  hybridSearchResults,
  pendingPage,
  pendingSearchBody,
  searchResults,
  textSearchBody,
  vectorQueries,
  type VectorQuery,
} from './opensearch-search.ts';
import type { Bulk_RequestBody, Msearch_RequestBody } from '@opensearch-project/opensearch/api/index.js';
import { createOpenSearchClient, type OpenSearchSigning } from './opensearch-client.ts';
import { OpenSearchRequests } from './opensearch-requests.ts';
import type { IndexDocument, IndexOptions, PendingPage, SearchHit, SearchOptions } from '../../core/index-document.ts';

export type { AliasAction, EnsureIndexOptions, IndexDescription, ReindexRequest, ReindexResult } from './opensearch-admin.ts';
export { parseEndpoint } from './opensearch-client.ts';

export interface OpenSearchIndexOptions {
  /** Endpoint, optionally with basic-auth userinfo: `https://user:pass@host:9200`. */
  url: string;
  /** Index (or alias) name. */
  index: string;
  /** SigV4 signing (Amazon OpenSearch Service / Serverless); create-opensearch.ts decides. */
  signing?: OpenSearchSigning | undefined;
  /** How requests are sent: undici (default) or the client's node:http connection. */
  connection?: 'undici' | 'http';
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

export interface CloseOptions {
  /** Give up waiting after this long: in-flight requests are aborted, pending writes rejected. */
  timeoutMs?: number;
}

interface BulkItem {
  op: 'index' | 'delete';
  id: string;
  ndjson: string;
}

const DEFAULT_MAX_DOCS = 100;
const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;
const DEFAULT_LINGER_MS = 20;
const DEFAULT_TIMEOUT_MS = 30_000;

export class OpenSearchIndex {
  readonly index: string;
  /** The endpoint for logs: no password. */
  readonly endpoint: string;
  readonly #requests: OpenSearchRequests;
  readonly #batcher: MicroBatcher<BulkItem>;

  constructor(options: OpenSearchIndexOptions) {
    if (typeof options.index !== 'string' || options.index === '' || options.index !== options.index.toLowerCase()) {
      throw new TypeError('OpenSearch index name must be a non-empty lowercase string');
    }
    const timeoutMs = options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    const { client, endpoint } = createOpenSearchClient({
      url: options.url,
      signing: options.signing,
      requestTimeoutMs: timeoutMs,
      connection: options.connection,
    });
    this.index = options.index;
    this.endpoint = endpoint.redacted;
    this.#requests = new OpenSearchRequests(client, endpoint.redacted, timeoutMs);
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
    // The NDJSON is built once per item (its size decides the batch); the client sends a string body as is.
    const ndjson = items.map((i) => i.ndjson).join('') as unknown as Bulk_RequestBody;
    const res = await this.#requests.call(what, (client, options) => client.bulk({ body: ndjson }, options), { flushing: true });
    const body = res.body;
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
    const res = await this.#requests.call(`GET ${path}`, (client, o) => client.get({ index: this.index, id }, o), {
      signal: options.signal,
      ignore: [404],
    });
    if (res.statusCode === 404) return null;
    const body = res.body;
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
    const res = await this.#requests.call(`POST ${path}`, (client, o) => client.search({ index: this.index, body: textSearchBody(text, size) }, o), { signal });
    return searchResults(res.body);
  }

  async #hybridSearch(text: string, size: number, vectors: VectorQuery[], signal: AbortSignal | undefined): Promise<SearchHit[]> {
    if (size <= 0) return [];
    const path = `/${encodeURIComponent(this.index)}/_msearch`;
    const body = hybridSearchBody(text, size, vectors) as unknown as Msearch_RequestBody; // NDJSON, sent as is
    const res = await this.#requests.call(`POST ${path}`, (client, o) => client.msearch({ index: this.index, body }, o), { signal });
    return hybridSearchResults(res.body, vectors, size, `POST ${path}`, this.index);
  }

  /**
   * Documents marked `embedding_pending`, oldest `indexed_at` first (then `key`, `bucket`), a page
   * at a time: `next` is an opaque cursor (the last hit's sort values, for `search_after`).
   * Documents that stop being pending while a caller pages (it embeds them) do not shift later
   * pages, unlike `from`/`size` paging.
   */
  async listPendingEmbeddings(options: IndexOptions & { size: number; after?: string }): Promise<PendingPage> {
    const body = pendingSearchBody(options.size, options.after);
    const path = `/${encodeURIComponent(this.index)}/_search`;
    const res = await this.#requests.call(`POST ${path}`, (client, o) => client.search({ index: this.index, body }, o), { signal: options.signal });
    return pendingPage(res.body, options.size, `POST ${path}`);
  }

  // ── index management (opensearch-admin.ts) ────────────────────────────────────────────────

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
  describeIndex(options: IndexOptions & { name?: string } = {}): Promise<IndexDescription> {
    return admin.describeIndex(this.#requests, options.name ?? this.index, options);
  }

  /** Whether an index or alias of this name exists (`HEAD /{name}`). */
  indexExists(name: string, options: IndexOptions = {}): Promise<boolean> {
    return admin.indexExists(this.#requests, name, options);
  }

  /** `PUT /{name}` with `body`; `created: false` when it already exists (another instance won a race). */
  createIndex(name: string, body: Record<string, unknown>, options: IndexOptions = {}): Promise<{ created: boolean }> {
    return admin.createIndex(this.#requests, name, body, options);
  }

  /** `DELETE /{name}` of a concrete index; false when there was none. Never called by `setup`. */
  deleteIndex(name: string, options: IndexOptions = {}): Promise<boolean> {
    return admin.deleteIndex(this.#requests, name, options);
  }

  /** `POST /_aliases`: the actions are applied atomically (all or none). */
  updateAliases(actions: AliasAction[], options: IndexOptions = {}): Promise<void> {
    return admin.updateAliases(this.#requests, actions, options);
  }

  /** `_reindex` as a polled task; any document failure fails the copy. Aborting stops waiting, not the task. */
  reindex(request: ReindexRequest): Promise<ReindexResult> {
    return admin.reindex(this.#requests, request);
  }

  /** Makes everything written so far visible to search (this adapter's index, or `name`). */
  refresh(options: IndexOptions & { name?: string } = {}): Promise<void> {
    return admin.refresh(this.#requests, options.name ?? this.index, options);
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
    return this.#requests.close({ timeoutMs: options.timeoutMs, flush: () => this.#batcher.close(), destroy: () => this.destroy() });
  }

  /** Aborts requests in flight and rejects pending writes at once. */
  destroy(): void {
    const error = transient('INDEX_CLOSED', 'the OpenSearch index adapter was destroyed');
    this.#batcher.destroy(error);
    this.#requests.abort(error);
  }
}
