/**
 * The search side of the OpenSearch adapter as pure functions: the request bodies (the text
 * query, the k-NN queries of a hybrid search and their `_msearch`, the pending-embedding page) and
 * how their answers become SearchHits, fused rankings and cursors. No I/O here.
 */
import { permanent, transient, type IngestError } from '../../core/errors.ts';
import { IMAGE_EMBEDDING_FIELD, TEXT_EMBEDDING_FIELD } from './mapping.ts';
import { errorInfo, isRecord, responseError } from './opensearch-errors.ts';
import type { IndexDocument, PendingPage, SearchHit, SearchOptions, TextSource } from '../../core/index-document.ts';
import { reciprocalRankFusion } from './rrf.ts';

/** The k-NN half of a hybrid search: which query vector goes to which field. */
export interface VectorQuery {
  name: 'text' | 'image';
  field: string;
  vector: number[];
}

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

function textQuery(text: string): Record<string, unknown> {
  return { multi_match: { query: text, fields: TEXT_FIELDS } };
}

/** The given query vectors, checked: arrays of finite numbers (an empty or missing one is skipped). */
export function vectorQueries(vectors: SearchOptions['vectors']): VectorQuery[] {
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

// ── text search ─────────────────────────────────────────────────────────────────────────────

/** The `_search` body of the text query alone: multi_match, content highlighted. */
export function textSearchBody(text: string, size: number): Record<string, unknown> {
  return {
    size,
    query: textQuery(text),
    _source: HIT_SOURCE,
    highlight: {
      fields: { content: { fragment_size: SNIPPET_CHARS, number_of_fragments: 1, no_match_size: SNIPPET_CHARS } },
    },
  };
}

/** The hits of a `_search` answer (or of one `_msearch` response). */
export function searchResults(body: unknown): SearchHit[] {
  return searchHits(body).map(toSearchHit);
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

// ── hybrid search ───────────────────────────────────────────────────────────────────────────

/** The `_msearch` NDJSON of a hybrid search: the text query first, then one k-NN query (k = size) per vector. */
export function hybridSearchBody(text: string, size: number, vectors: VectorQuery[]): string {
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
  return bodies.map((b) => `{}\n${JSON.stringify(b)}\n`).join('');
}

/**
 * The hybrid search's hits from the `_msearch` answer to hybridSearchBody: one ranking per query,
 * fused by reciprocal rank. `what` names the request and `index` the index in errors.
 */
export function hybridSearchResults(body: unknown, vectors: VectorQuery[], size: number, what: string, index: string): SearchHit[] {
  const expected = 1 + vectors.length;
  const responses = isRecord(body) && Array.isArray(body.responses) ? body.responses : undefined;
  if (responses === undefined || responses.length !== expected) {
    throw transient('INDEX_UNAVAILABLE', `OpenSearch ${what} answered without one response per search`, undefined, {
      expected,
      got: responses?.length,
    });
  }
  const rankings = responses.map((response, i) => {
    const query = i === 0 ? 'text query' : `k-NN query on ${vectors[i - 1]!.field}`;
    if (!isRecord(response) || response.error !== undefined || (typeof response.status === 'number' && response.status >= 300)) {
      throw msearchItemError(response, `${what} (${query})`, i === 0 ? undefined : vectors[i - 1], index);
    }
    return searchResults(response);
  });
  // A hit keeps the text query's fields (its highlight marks the words); a missing snippet is
  // taken from a k-NN response (the highlighter's no_match_size start of content).
  const snippets = new Map<string, string>();
  for (const ranking of rankings) for (const hit of ranking) if (hit.snippet !== '' && !snippets.has(hit.id)) snippets.set(hit.id, hit.snippet);
  return reciprocalRankFusion(rankings, { size }).map((hit) => ({ ...hit, snippet: hit.snippet || (snippets.get(hit.id) ?? '') }));
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

// ── pending embeddings ──────────────────────────────────────────────────────────────────────

/**
 * The `_search` body of one page of listPendingEmbeddings, `after` the cursor of the page before.
 * Rejects a size out of range or a cursor this adapter did not make (before any request).
 */
export function pendingSearchBody(size: number, after: string | undefined): Record<string, unknown> {
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE) {
    throw permanent('INDEX_REQUEST_REJECTED', `listPendingEmbeddings: size must be an integer from 1 to ${MAX_PAGE}, got ${String(size)}`);
  }
  const searchAfter = after === undefined ? undefined : decodeCursor(after);
  return {
    size,
    query: { term: { embedding_pending: true } },
    sort: PENDING_SORT,
    ...(searchAfter !== undefined ? { search_after: searchAfter } : {}),
    track_total_hits: false,
  };
}

/** The page in the answer to pendingSearchBody: `next` only when the page was full. */
export function pendingPage(body: unknown, size: number, what: string): PendingPage {
  const hits = searchHits(body);
  const docs = hits.map((hit): IndexDocument => {
    if (!isRecord(hit._source)) throw transient('INDEX_UNAVAILABLE', `OpenSearch ${what} answered a hit without _source`);
    return { ...(hit._source as Omit<IndexDocument, 'id'>), id: String(hit._id) };
  });
  const last = hits.at(-1);
  const sort = last !== undefined && Array.isArray(last.sort) ? last.sort : undefined;
  if (hits.length < size || sort === undefined) return { docs };
  return { docs, next: encodeCursor(sort) };
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
