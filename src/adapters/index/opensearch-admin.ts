/**
 * Index management on OpenSearch, one request (or one task) each: what a name is, create, delete,
 * aliases, refresh, and `_reindex` polled as a task. These are the primitives index-versions.ts
 * builds `setup` from (docs/opensearch.md); OpenSearchIndex exposes them as methods.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { permanent, transient } from '../../core/errors.ts';
import { describeMapping, type VectorDimensions } from './mapping.ts';
import { errorInfo, isRecord, responseError } from './opensearch-errors.ts';
import type { OpenSearchRequests } from './opensearch-requests.ts';
import type { IndexOptions } from '../../core/index-document.ts';

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

/**
 * What `name` is — alias, concrete index or nothing — the concrete indices behind it, their
 * vector dimensions and mapping version. One `GET _mapping`.
 */
export async function describeIndex(requests: OpenSearchRequests, name: string, options: IndexOptions = {}): Promise<IndexDescription> {
  const path = `/${encodeURIComponent(name)}/_mapping`;
  const res = await requests.call(`GET ${path}`, (client, o) => client.indices.getMapping({ index: name }, o), { signal: options.signal, ignore: [404] });
  if (res.statusCode === 404) return { exists: false, dims: { text: null, image: null }, kind: 'missing', indices: [], mappingVersion: null };
  const described = describeMapping(res.body);
  if (described.indices.length === 0) throw transient('INDEX_UNAVAILABLE', `OpenSearch GET ${path} answered without a mapping`);
  const kind = described.indices.length === 1 && described.indices[0] === name ? 'index' : 'alias';
  return { exists: true, dims: described.dims, kind, indices: described.indices, mappingVersion: described.mappingVersion };
}

/** Whether an index or alias of this name exists (`HEAD /{name}`). */
export async function indexExists(requests: OpenSearchRequests, name: string, options: IndexOptions = {}): Promise<boolean> {
  const res = await requests.call(`HEAD /${encodeURIComponent(name)}`, (client, o) => client.indices.exists({ index: name }, o), { signal: options.signal });
  return res.statusCode === 200;
}

/** `PUT /{name}` with `body`; `created: false` when it already exists (another instance won a race). */
export async function createIndex(
  requests: OpenSearchRequests,
  name: string,
  body: Record<string, unknown>,
  options: IndexOptions = {},
): Promise<{ created: boolean }> {
  const what = `PUT /${encodeURIComponent(name)}`;
  const res = await requests.call(what, (client, o) => client.indices.create({ index: name, body }, o), { signal: options.signal, ignore: [400] });
  if (res.statusCode !== 400) return { created: true };
  if (errorInfo(res.body).type === 'resource_already_exists_exception') return { created: false };
  throw responseError(400, res.body, what);
}

/** `DELETE /{name}` of a concrete index; false when there was none. Never called by `setup`. */
export async function deleteIndex(requests: OpenSearchRequests, name: string, options: IndexOptions = {}): Promise<boolean> {
  const res = await requests.call(`DELETE /${encodeURIComponent(name)}`, (client, o) => client.indices.delete({ index: name }, o), {
    signal: options.signal,
    ignore: [404],
  });
  return res.statusCode !== 404;
}

/** `POST /_aliases`: the actions are applied atomically (all or none). */
export async function updateAliases(requests: OpenSearchRequests, actions: AliasAction[], options: IndexOptions = {}): Promise<void> {
  if (actions.length === 0) return;
  await requests.call('POST /_aliases', (client, o) => client.indices.updateAliases({ body: { actions } }, o), { signal: options.signal });
}

/** Makes everything written so far to `name` visible to search. */
export async function refresh(requests: OpenSearchRequests, name: string, options: IndexOptions = {}): Promise<void> {
  await requests.call(`POST /${encodeURIComponent(name)}/_refresh`, (client, o) => client.indices.refresh({ index: name }, o), { signal: options.signal });
}

/**
 * Copies documents with `_reindex`, run as a task (`wait_for_completion=false`) that is polled
 * until it ends — a large copy outlasts any one HTTP request. Any document failure fails the
 * copy (INDEX_REINDEX_FAILED). Aborting `signal` stops waiting, not the task.
 */
export async function reindex(requests: OpenSearchRequests, request: ReindexRequest): Promise<ReindexResult> {
  const body = {
    source: { index: request.source, size: request.batchSize ?? 500, ...(request.query ? { query: request.query } : {}) },
    dest: { index: request.dest },
    ...(request.script ? { script: request.script } : {}),
  };
  const what = `POST /_reindex (${request.source} → ${request.dest})`;
  const res = await requests.call(what, (client, o) => client.reindex({ body, wait_for_completion: false }, o), { signal: request.signal });
  const started = res.body;
  if (isRecord(started) && typeof started.task === 'string') {
    return waitForTask(requests, started.task, what, request.pollIntervalMs ?? 1_000, request.signal);
  }
  // A server that ran it to the end at once.
  return reindexResult(started, what, undefined);
}

async function waitForTask(
  requests: OpenSearchRequests,
  task: string,
  what: string,
  pollMs: number,
  signal: AbortSignal | undefined,
): Promise<ReindexResult> {
  const path = `/_tasks/${encodeURIComponent(task)}`;
  for (;;) {
    const res = await requests.call(`GET ${path} (${what})`, (client, o) => client.tasks.get({ task_id: task }, o), { signal });
    const body = res.body;
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
