/**
 * A local HTTP server that answers like OpenSearch for what spot-ingest uses (docs/design.md §9):
 * index create/exists/delete, `_mapping`, `_bulk`, `_doc`, `_search` (match/multi_match/term/
 * range/bool/knn queries, sort + search_after, highlight), `_msearch`, `_refresh`, aliases
 * (`_alias`, atomic `POST /_aliases` with add/remove/remove_index, names resolved for reads and
 * writes), `_reindex` (also as a task: `GET /_tasks/{id}`) and `GET /`.
 *
 * It is strict about what it receives: malformed bulk bodies, documents that do not have the §6
 * shape, vectors of the wrong dimension and index bodies without a kuromoji-analysed `content`
 * are pushed to `violations` and answered 400 with OpenSearch's error shape. Tests can inject
 * whole-request failures (`failNextRequests`), per-item bulk failures (`failItems`) and slow
 * answers (`delayResponses`). Index auto-creation is off (as on a cluster with
 * `action.auto_create_index: false`): writing into a missing index fails per item with 404
 * `index_not_found_exception`.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { REINDEX_DIMENSION_SCRIPT } from '../../src/adapters/index/index-versions.ts';

export interface RecordedRequest {
  method: string;
  /** Decoded path without the query string, e.g. `/files/_doc/abc`. */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: string;
  /** Status the recorder answered with (set once answered). */
  status?: number;
}

export interface ItemFault {
  status: number;
  type: string;
  reason: string;
}

export interface ItemContext {
  op: 'index' | 'create' | 'update' | 'delete';
  index: string;
  id: string;
}

/** Sees the document source (index/create/update) or the id (delete); returns a fault or null. */
export type ItemFaultPredicate = (docOrId: Record<string, unknown> | string, context: ItemContext) => ItemFault | null;

export interface RequestFaultOptions {
  /** Error `type` in the body (default by status, e.g. 429 → es_rejected_execution_exception). */
  type?: string;
  reason?: string;
  /** Only requests this matches are failed (and counted); default: every request. */
  match?: (request: RecordedRequest) => boolean;
}

export interface RequestHooks {
  before?: (request: RecordedRequest) => Promise<void> | void;
  after?: (request: RecordedRequest) => void;
}

export interface OpenSearchRecorderOptions {
  /** Require HTTP basic auth with these credentials (401 otherwise). */
  auth?: { username: string; password: string };
}

export interface IndexState {
  name: string;
  uuid: string;
  settings: Record<string, unknown>;
  mappings: Record<string, unknown>;
  docs: Map<string, StoredDoc>;
}

interface StoredDoc {
  source: Record<string, unknown>;
  version: number;
  seqNo: number;
}

export interface OpenSearchRecorder {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly requests: RecordedRequest[];
  readonly violations: string[];
  /** Documents (sources) of an index — or of the indices an alias points at — by id; empty when nothing has that name. */
  documents(name: string): Map<string, Record<string, unknown>>;
  /** The settings and mappings an index (or an alias's first index) was created with (undefined when nothing has that name). */
  indexState(name: string): IndexState | undefined;
  /** The concrete indices an alias points at (sorted; empty when there is no such alias). */
  aliasTargets(alias: string): string[];
  /** Every concrete index (sorted). */
  indexNames(): string[];
  /** Stores a document directly (as another writer would), through an alias too; no validation. */
  writeDocument(name: string, id: string, source: Record<string, unknown>): void;
  /** `GET /_tasks/{id}` answers `completed: false` this many times before the result (default 0). */
  setTaskPolls(n: number): void;
  /** Answer the next `n` (matching) requests with `status` and OpenSearch's error body. */
  failNextRequests(n: number, status: number, options?: RequestFaultOptions): void;
  /** Fail bulk items the predicate picks (until replaced; null clears). */
  failItems(predicate: ItemFaultPredicate | null): void;
  /** Hold every answer this long (0 turns it off). */
  delayResponses(ms: number): void;
  /**
   * Runs `before` when a request has arrived, and waits for it before answering (another request
   * may be sent and answered meanwhile); runs `after` once the request has been handled, before its
   * answer is sent. Replaces the previous interception; `intercept({})` ends it.
   */
  intercept(hooks: RequestHooks): void;
  /** Requests that were bulk requests. */
  bulkRequests(): RecordedRequest[];
  close(): Promise<void>;
}

// ── OpenSearch response shapes ───────────────────────────────────────────────────────────────

const DEFAULT_ERROR_TYPE: Record<number, string> = {
  400: 'illegal_argument_exception',
  401: 'security_exception',
  403: 'security_exception',
  404: 'resource_not_found_exception',
  409: 'version_conflict_engine_exception',
  413: 'content_too_long_exception',
  429: 'es_rejected_execution_exception',
  500: 'exception',
  502: 'exception',
  503: 'cluster_block_exception',
  504: 'timeout_exception',
};

function errorBody(status: number, type: string, reason: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const cause = { type, reason, ...extra };
  return { error: { root_cause: [cause], ...cause }, status };
}

function indexNotFound(index: string): Record<string, unknown> {
  return errorBody(404, 'index_not_found_exception', `no such index [${index}]`, {
    'resource.type': 'index_or_alias',
    'resource.id': index,
    index_uuid: '_na_',
    index,
  });
}

const SHARDS_OK = { total: 2, successful: 1, failed: 0 };

// ── validation of what the adapter sends ─────────────────────────────────────────────────────

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type Check = (value: unknown) => string | null;

const isString: Check = (v) => (typeof v === 'string' ? null : 'a string');
const nonEmptyString: Check = (v) => (typeof v === 'string' && v !== '' ? null : 'a non-empty string');
const nullable =
  (check: Check): Check =>
  (v) =>
    v === null ? null : check(v) === null ? null : `null or ${check(v)}`;
const nonNegativeInteger: Check = (v) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? null : 'a non-negative integer');
const finiteNumber: Check = (v) => (typeof v === 'number' && Number.isFinite(v) ? null : 'a finite number');
const isoDate: Check = (v) =>
  typeof v === 'string' && /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v) && !Number.isNaN(Date.parse(v))
    ? null
    : 'an ISO-8601 date string';
const sha256Hex: Check = (v) => (typeof v === 'string' && /^[0-9a-f]{64}$/i.test(v) ? null : 'a 64-char hex sha256');
const stringArray: Check = (v) => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? null : 'an array of strings');
const textSource: Check = (v) =>
  v === 'text-layer' || v === 'ocr' || v === 'mixed' || v === 'none' ? null : 'one of text-layer|ocr|mixed|none';

/** docs/design.md §6: field → [required, check]. Vectors are checked against the mapping separately. */
const DOCUMENT_FIELDS: Record<string, [boolean, Check]> = {
  bucket: [true, nonEmptyString],
  key: [true, nonEmptyString],
  file_name: [true, isString],
  original_path: [true, nullable(isString)],
  extension: [true, nullable(isString)],
  content_type: [true, nonEmptyString],
  size: [true, nonNegativeInteger],
  sha256: [true, sha256Hex],
  etag: [true, nullable(isString)],
  modified_at: [true, nullable(isoDate)],
  indexed_at: [true, isoDate],
  page_count: [true, nullable(nonNegativeInteger)],
  content: [true, isString],
  text_source: [true, textSource],
  ocr_confidence: [true, nullable(finiteNumber)],
  thumbnail_key: [true, nullable(isString)],
  warnings: [true, stringArray],
  text_embedding: [false, () => null],
  image_embedding: [false, () => null],
  embedding_pending: [false, (v) => (typeof v === 'boolean' ? null : 'a boolean')],
  text_embedding_truncated: [false, nullable((v) => (typeof v === 'boolean' ? null : 'a boolean'))],
  encoding: [false, nullable(isString)],
  width: [false, nullable(nonNegativeInteger)],
  height: [false, nullable(nonNegativeInteger)],
  taken_at: [false, nullable(isoDate)],
};
const VECTOR_FIELDS = ['text_embedding', 'image_embedding'];

function properties(state: IndexState | undefined): Record<string, unknown> | undefined {
  const props = state?.mappings.properties;
  return isRecord(props) ? props : undefined;
}

function validateDocument(doc: Record<string, unknown>, state: IndexState | undefined): string[] {
  const problems: string[] = [];
  for (const [field, [required, check]] of Object.entries(DOCUMENT_FIELDS)) {
    if (!(field in doc)) {
      if (required) problems.push(`missing field [${field}]`);
      continue;
    }
    const expected = check(doc[field]);
    if (expected !== null) problems.push(`field [${field}] must be ${expected}, got ${JSON.stringify(doc[field])?.slice(0, 80)}`);
  }
  const mapped = properties(state);
  for (const field of Object.keys(doc)) {
    const known = mapped ? field in mapped : field in DOCUMENT_FIELDS;
    if (!known) problems.push(`unknown field [${field}] (not in the index mapping)`);
  }
  for (const field of VECTOR_FIELDS) {
    const value = doc[field];
    if (value === undefined || value === null) continue;
    if (!Array.isArray(value) || !value.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      problems.push(`field [${field}] must be an array of finite numbers`);
      continue;
    }
    const mapping = mapped?.[field];
    if (!isRecord(mapping) || mapping.type !== 'knn_vector') {
      problems.push(`field [${field}] has a vector but the index maps no knn_vector for it`);
    } else if (mapping.dimension !== value.length) {
      problems.push(`Vector dimension mismatch for [${field}]: expected ${String(mapping.dimension)}, got ${value.length}`);
    }
  }
  return problems;
}

/** Built-in analysis components the index body may name without defining them. */
const BUILTIN_TOKENIZERS = new Set(['kuromoji_tokenizer', 'standard', 'whitespace', 'keyword', 'ngram', 'edge_ngram', 'icu_tokenizer']);
const BUILTIN_FILTERS = new Set([
  'kuromoji_baseform',
  'kuromoji_part_of_speech',
  'kuromoji_readingform',
  'kuromoji_stemmer',
  'kuromoji_number',
  'ja_stop',
  'cjk_width',
  'cjk_bigram',
  'lowercase',
  'uppercase',
  'asciifolding',
  'trim',
  'unique',
  'stop',
  'icu_normalizer',
  'icu_folding',
]);
const BUILTIN_CHAR_FILTERS = new Set(['html_strip', 'icu_normalizer']);
const FIELD_TYPES = new Set([
  'text',
  'keyword',
  'long',
  'integer',
  'short',
  'byte',
  'double',
  'float',
  'half_float',
  'scaled_float',
  'date',
  'boolean',
  'object',
  'nested',
  'knn_vector',
  'wildcard',
]);
const KNN_ENGINES = new Set(['lucene', 'faiss', 'nmslib']);
const KNN_SPACES = new Set(['l2', 'cosinesimil', 'innerproduct', 'l1', 'linf', 'hamming']);

/** Reads `index.<name>` from settings written as `{index:{name}}`, `{name}` or `{"index.name"}`. */
function setting(settings: Record<string, unknown>, name: string): unknown {
  const nested = settings.index;
  if (isRecord(nested) && name in nested) return nested[name];
  if (`index.${name}` in settings) return settings[`index.${name}`];
  return settings[name];
}

function validateIndexBody(body: unknown): string[] {
  const problems: string[] = [];
  if (!isRecord(body)) return ['index body must be a JSON object'];
  const settings = isRecord(body.settings) ? body.settings : {};
  const mappings = isRecord(body.mappings) ? body.mappings : undefined;
  const props = mappings && isRecord(mappings.properties) ? mappings.properties : undefined;
  if (!props) return ['index body has no mappings.properties'];
  const analysis = isRecord(setting(settings, 'analysis')) ? (setting(settings, 'analysis') as Record<string, unknown>) : {};
  const analyzers = isRecord(analysis.analyzer) ? analysis.analyzer : {};
  const tokenizers = isRecord(analysis.tokenizer) ? analysis.tokenizer : {};
  const filters = isRecord(analysis.filter) ? analysis.filter : {};
  const charFilters = isRecord(analysis.char_filter) ? analysis.char_filter : {};

  const tokenizerType = (name: unknown): string | undefined => {
    if (typeof name !== 'string') return undefined;
    const custom = tokenizers[name];
    if (isRecord(custom)) return typeof custom.type === 'string' ? custom.type : undefined;
    return BUILTIN_TOKENIZERS.has(name) ? name : undefined;
  };
  // Every analyser: its tokenizer and filters must exist (OpenSearch refuses the index otherwise).
  for (const [name, def] of Object.entries(analyzers)) {
    if (!isRecord(def)) {
      problems.push(`analyzer [${name}] must be an object`);
      continue;
    }
    if (def.type !== undefined && def.type !== 'custom') continue; // a built-in analyser type (e.g. kuromoji)
    if (tokenizerType(def.tokenizer) === undefined) problems.push(`analyzer [${name}]: failed to find tokenizer under name [${String(def.tokenizer)}]`);
    for (const f of Array.isArray(def.filter) ? def.filter : []) {
      if (typeof f !== 'string' || !(f in filters || BUILTIN_FILTERS.has(f))) problems.push(`analyzer [${name}]: failed to find filter under name [${String(f)}]`);
    }
    for (const f of Array.isArray(def.char_filter) ? def.char_filter : []) {
      if (typeof f !== 'string' || !(f in charFilters || BUILTIN_CHAR_FILTERS.has(f))) problems.push(`analyzer [${name}]: failed to find char_filter under name [${String(f)}]`);
    }
  }
  for (const [name, def] of Object.entries(tokenizers)) {
    if (!isRecord(def) || (def.type !== 'ngram' && def.type !== 'edge_ngram')) continue;
    const min = typeof def.min_gram === 'number' ? def.min_gram : 1;
    const max = typeof def.max_gram === 'number' ? def.max_gram : 2;
    const maxDiff = Number(setting(settings, 'max_ngram_diff') ?? 1);
    if (max < min) problems.push(`tokenizer [${name}]: max_gram < min_gram`);
    if (def.type === 'ngram' && max - min > maxDiff) {
      problems.push(`tokenizer [${name}]: the difference between max_gram and min_gram must be <= index.max_ngram_diff [${maxDiff}]`);
    }
  }
  const analyzerTokenizer = (name: unknown): string | undefined => {
    if (typeof name !== 'string') return undefined;
    const def = analyzers[name];
    if (!isRecord(def)) return undefined;
    if (def.type === 'kuromoji') return 'kuromoji_tokenizer';
    return tokenizerType(def.tokenizer);
  };

  // Field types.
  const walk = (fields: Record<string, unknown>, prefix: string): void => {
    for (const [field, def] of Object.entries(fields)) {
      const path = `${prefix}${field}`;
      if (!isRecord(def)) {
        problems.push(`mapping of [${path}] must be an object`);
        continue;
      }
      const type = typeof def.type === 'string' ? def.type : isRecord(def.properties) ? 'object' : undefined;
      if (type === undefined || !FIELD_TYPES.has(type)) problems.push(`No handler for type [${String(def.type)}] declared on field [${path}]`);
      for (const key of ['analyzer', 'search_analyzer']) {
        if (def[key] !== undefined && (typeof def[key] !== 'string' || !(def[key] in analyzers || ['standard', 'simple', 'whitespace', 'keyword', 'kuromoji'].includes(def[key])))) {
          problems.push(`analyzer [${String(def[key])}] has not been configured in mappings (field [${path}])`);
        }
      }
      if (type === 'knn_vector') {
        if (!Number.isInteger(def.dimension) || (def.dimension as number) < 1 || (def.dimension as number) > 16_000) {
          problems.push(`knn_vector [${path}]: dimension must be an integer in 1..16000`);
        }
        const method = def.method;
        if (!isRecord(method) || method.name !== 'hnsw') problems.push(`knn_vector [${path}]: method.name must be hnsw`);
        else {
          if (!KNN_ENGINES.has(String(method.engine))) problems.push(`knn_vector [${path}]: unknown engine [${String(method.engine)}]`);
          const space = method.space_type ?? def.space_type;
          if (space !== undefined && !KNN_SPACES.has(String(space))) problems.push(`knn_vector [${path}]: unknown space_type [${String(space)}]`);
        }
        const knn = setting(settings, 'knn');
        if (knn !== true && knn !== 'true') problems.push(`knn_vector [${path}] needs index.knn: true in settings`);
      }
      if (isRecord(def.fields)) walk(def.fields, `${path}.`);
      if (isRecord(def.properties)) walk(def.properties, `${path}.`);
    }
  };
  walk(props, '');

  // docs/design.md §6 specifics.
  const content = props.content;
  if (!isRecord(content) || content.type !== 'text') problems.push('field [content] must be mapped as text');
  else {
    if (analyzerTokenizer(content.analyzer) !== 'kuromoji_tokenizer') {
      problems.push('field [content] must be analysed by a kuromoji analyser defined in settings.analysis');
    }
    const ngram = isRecord(content.fields) ? content.fields.ngram : undefined;
    const ngramTokenizer = isRecord(ngram) ? analyzerTokenizer(ngram.analyzer) : undefined;
    if (!isRecord(ngram) || ngram.type !== 'text' || (ngramTokenizer !== 'ngram' && ngramTokenizer !== 'edge_ngram')) {
      problems.push('field [content] needs a text subfield [content.ngram] analysed by an ngram tokenizer');
    }
  }
  const expectType: Record<string, string[]> = {
    bucket: ['keyword'],
    key: ['keyword'],
    extension: ['keyword'],
    content_type: ['keyword'],
    text_source: ['keyword'],
    sha256: ['keyword'],
    etag: ['keyword'],
    thumbnail_key: ['keyword'],
    warnings: ['keyword'],
    file_name: ['text'],
    original_path: ['text'],
    modified_at: ['date'],
    indexed_at: ['date'],
    size: ['long', 'integer'],
    page_count: ['long', 'integer', 'short'],
    ocr_confidence: ['float', 'double', 'half_float', 'scaled_float'],
  };
  // Newer fields: optional (indices made by older versions lack them), but typed when present.
  for (const [field, type] of [['embedding_pending', 'boolean'], ['text_embedding_truncated', 'boolean']] as const) {
    const def = props[field];
    if (def !== undefined && (!isRecord(def) || def.type !== type)) problems.push(`field [${field}] must be mapped as ${type}`);
  }
  for (const [field, types] of Object.entries(expectType)) {
    const def = props[field];
    if (!isRecord(def)) problems.push(`field [${field}] is not mapped`);
    else if (!types.includes(String(def.type))) problems.push(`field [${field}] must be mapped as ${types.join('|')}, not ${String(def.type)}`);
  }
  for (const field of ['file_name', 'original_path']) {
    const def = props[field];
    const subfields = isRecord(def) && isRecord(def.fields) ? Object.values(def.fields) : [];
    if (isRecord(def) && !subfields.some((s) => isRecord(s) && s.type === 'keyword')) problems.push(`field [${field}] needs a keyword subfield`);
  }
  return problems;
}

// ── search (a small imitation) ───────────────────────────────────────────────────────────────

/** A document as search sees it: which index, its id, its stored form. */
interface DocRef {
  state: IndexState;
  id: string;
  doc: StoredDoc;
}

/** A compiled query: the score of a document (null = no match), and the words it highlights. */
interface Compiled {
  score(ref: DocRef): number | null;
  words: string[];
}

/** Why a query cannot run: a parse error (the adapter's fault: a violation) or a shard failure (OpenSearch answers it; data, not a bug). */
type QueryError = { kind: 'parse'; reason: string } | { kind: 'shard'; type: string; reason: string; causedBy?: { type: string; reason: string } };

/** `content.ngram` and `file_name.keyword` read the same source field as their parent. */
function sourceField(field: string): string {
  return field.split('.')[0] ?? field;
}

function terms(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[\s\u3000]+/)
    .filter((t) => t !== '');
}

function countOccurrences(haystack: string, needle: string): number {
  let count = 0;
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + needle.length)) count++;
  return count;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function mappingOf(state: IndexState, field: string): Record<string, unknown> | undefined {
  const def = properties(state)?.[field];
  return isRecord(def) ? def : undefined;
}

function textQuery(text: string, fields: string[]): Compiled {
  const words = terms(text);
  const sourceFields = [...new Set(fields.map(sourceField))];
  return {
    words,
    score: ({ doc }) => {
      let score = 0;
      for (const field of sourceFields) {
        const value = doc.source[field];
        if (typeof value !== 'string') continue;
        const lower = value.toLowerCase();
        for (const w of words) score += countOccurrences(lower, w);
      }
      return score > 0 ? score : null;
    },
  };
}

function fieldValues(source: Record<string, unknown>, field: string): unknown[] {
  const value = source[sourceField(field)];
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** Comparable form of a field value for range and sort: dates as epoch ms, booleans as 0/1. */
function comparable(state: IndexState, field: string, value: unknown): number | string | null {
  const type = mappingOf(state, sourceField(field))?.type;
  if (value === null || value === undefined) return null;
  if (type === 'date') {
    const ms = typeof value === 'number' ? value : Date.parse(String(value));
    return Number.isNaN(ms) ? null : ms;
  }
  if (type === 'boolean') return value === true || value === 'true' ? 1 : 0;
  if (typeof value === 'number') return value;
  return String(value);
}

function cosine(a: number[], b: number[]): number | null {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  if (na === 0 || nb === 0) return null;
  return dot / Math.sqrt(na * nb);
}

/** Compiles a query for a search over `states`. */
function compileQuery(query: unknown, states: IndexState[]): Compiled | QueryError {
  const parse = (reason: string): QueryError => ({ kind: 'parse', reason });
  if (query === undefined) return { words: [], score: () => 1 };
  if (!isRecord(query)) return parse('query must be an object');
  const keys = Object.keys(query);
  if (keys.length !== 1) return parse(`a query object takes exactly one query type, got [${keys.join(',')}]`);
  const kind = keys[0]!;
  const spec = query[kind];
  switch (kind) {
    case 'match_all':
      return { words: [], score: () => 1 };
    case 'multi_match': {
      if (!isRecord(spec) || typeof spec.query !== 'string') return parse('multi_match.query must be a string');
      const fields = Array.isArray(spec.fields) ? spec.fields.map((f) => String(f).replace(/\^[\d.]+$/, '')) : ['content', 'file_name'];
      return textQuery(spec.query, fields);
    }
    case 'match': {
      if (!isRecord(spec)) return parse('match needs a field');
      const [field, value] = Object.entries(spec)[0] ?? [];
      if (field === undefined) return parse('match needs a field');
      const text = isRecord(value) ? value.query : value;
      if (typeof text !== 'string') return parse('match query must be a string');
      return textQuery(text, [field]);
    }
    case 'query_string':
    case 'simple_query_string': {
      if (!isRecord(spec) || typeof spec.query !== 'string') return parse(`${kind}.query must be a string`);
      const fields = Array.isArray(spec.fields) ? spec.fields.map((f) => String(f).replace(/\^[\d.]+$/, '')) : ['content', 'file_name'];
      return textQuery(spec.query, fields);
    }
    case 'term': {
      if (!isRecord(spec)) return parse('term needs a field');
      const entries = Object.entries(spec);
      if (entries.length !== 1) return parse('[term] query does not support more than one field');
      const [field, raw] = entries[0]!;
      const value = isRecord(raw) ? raw.value : raw;
      if (value === undefined || isRecord(value) || Array.isArray(value)) return parse(`[term] query on [${field}] needs a single value`);
      return {
        words: [],
        score: ({ state, doc }) => {
          if (mappingOf(state, sourceField(field)) === undefined) return null; // unmapped: nothing matches
          const want = comparable(state, field, value);
          return fieldValues(doc.source, field).some((v) => comparable(state, field, v) === want) ? 1 : null;
        },
      };
    }
    case 'range': {
      if (!isRecord(spec)) return parse('range needs a field');
      const entries = Object.entries(spec);
      if (entries.length !== 1 || !isRecord(entries[0]![1])) return parse('[range] query needs one field with bounds');
      const [field, bounds] = entries[0]! as [string, Record<string, unknown>];
      const ops = Object.keys(bounds).filter((k) => k !== 'format' && k !== 'time_zone' && k !== 'boost');
      if (ops.length === 0 || !ops.every((k) => ['gt', 'gte', 'lt', 'lte'].includes(k))) return parse(`[range] on [${field}] takes gt, gte, lt, lte`);
      return {
        words: [],
        score: ({ state, doc }) => {
          const values = fieldValues(doc.source, field).map((v) => comparable(state, field, v));
          const ok = values.some((v) => {
            if (v === null) return false;
            const bound = (k: string): number | string | null => comparable(state, field, bounds[k]);
            if ('gt' in bounds && !(v > bound('gt')!)) return false;
            if ('gte' in bounds && !(v >= bound('gte')!)) return false;
            if ('lt' in bounds && !(v < bound('lt')!)) return false;
            if ('lte' in bounds && !(v <= bound('lte')!)) return false;
            return true;
          });
          return ok ? 1 : null;
        },
      };
    }
    case 'exists': {
      if (!isRecord(spec) || typeof spec.field !== 'string') return parse('[exists] needs a field');
      const field = spec.field;
      return { words: [], score: ({ doc }) => (fieldValues(doc.source, field).length > 0 ? 1 : null) };
    }
    case 'bool':
      return compileBool(spec, states);
    case 'knn':
      return compileKnn(spec, states);
    default:
      return parse(`unsupported query [${kind}] (the recorder knows match_all, match, multi_match, query_string, term, range, exists, bool, knn)`);
  }
}

function compileBool(spec: unknown, states: IndexState[]): Compiled | QueryError {
  if (!isRecord(spec)) return { kind: 'parse', reason: '[bool] must be an object' };
  const clauses: Record<'must' | 'filter' | 'should' | 'must_not', Compiled[]> = { must: [], filter: [], should: [], must_not: [] };
  for (const [key, value] of Object.entries(spec)) {
    if (key === 'minimum_should_match' || key === 'boost') continue;
    if (!(key in clauses)) return { kind: 'parse', reason: `[bool] does not support [${key}]` };
    for (const q of Array.isArray(value) ? value : [value]) {
      const compiled = compileQuery(q, states);
      if ('kind' in compiled) return compiled;
      clauses[key as keyof typeof clauses].push(compiled);
    }
  }
  const msm = typeof spec.minimum_should_match === 'number' ? spec.minimum_should_match : clauses.must.length + clauses.filter.length === 0 ? 1 : 0;
  return {
    words: [...clauses.must, ...clauses.should].flatMap((c) => c.words),
    score: (ref) => {
      let score = 0;
      for (const c of clauses.must) {
        const s = c.score(ref);
        if (s === null) return null;
        score += s;
      }
      for (const c of clauses.filter) if (c.score(ref) === null) return null;
      for (const c of clauses.must_not) if (c.score(ref) !== null) return null;
      let matched = 0;
      for (const c of clauses.should) {
        const s = c.score(ref);
        if (s !== null) {
          matched++;
          score += s;
        }
      }
      if (matched < msm) return null;
      return clauses.must.length + clauses.should.length === 0 ? 1 : score;
    },
  };
}

/**
 * `{knn: {field: {vector, k, filter?}}}`: the k nearest documents of each index by cosine
 * similarity (the lucene engine's cosinesimil score, (1 + cos) / 2). A field that is not a
 * knn_vector or a vector of the wrong length fails the shard, as the k-NN plugin does.
 */
function compileKnn(spec: unknown, states: IndexState[]): Compiled | QueryError {
  if (!isRecord(spec)) return { kind: 'parse', reason: '[knn] must be an object' };
  const entries = Object.entries(spec);
  if (entries.length !== 1 || !isRecord(entries[0]![1])) return { kind: 'parse', reason: '[knn] takes exactly one field' };
  const [field, params] = entries[0]! as [string, Record<string, unknown>];
  const vector = params.vector;
  if (!Array.isArray(vector) || vector.length === 0 || !vector.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    return { kind: 'parse', reason: `[knn] [${field}] requires a vector of numbers` };
  }
  const k = params.k;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > 10_000) return { kind: 'parse', reason: `[knn] requires 0 < k <= 10000, got [${String(k)}]` };
  const known = new Set(['vector', 'k', 'filter', 'boost', 'method_parameters']);
  const unknown = Object.keys(params).filter((p) => !known.has(p));
  if (unknown.length > 0) return { kind: 'parse', reason: `[knn] unknown parameter(s) [${unknown.join(',')}]` };
  let filter: Compiled | undefined;
  if (params.filter !== undefined) {
    const compiled = compileQuery(params.filter, states);
    if ('kind' in compiled) return compiled;
    filter = compiled;
  }
  const nearest = new Map<IndexState, Map<string, number>>();
  for (const state of states) {
    const mapping = mappingOf(state, field);
    if (mapping?.type !== 'knn_vector') {
      return { kind: 'shard', type: 'query_shard_exception', reason: `failed to create query: Field '${field}' is not knn_vector type.`, causedBy: { type: 'illegal_argument_exception', reason: `Field '${field}' is not knn_vector type.` } };
    }
    if (mapping.dimension !== vector.length) {
      const reason = `Query vector has invalid dimension: ${vector.length}. Dimension should be: ${String(mapping.dimension)}`;
      return { kind: 'shard', type: 'query_shard_exception', reason: `failed to create query: ${reason}`, causedBy: { type: 'illegal_argument_exception', reason } };
    }
    const scored: { id: string; score: number }[] = [];
    for (const [id, doc] of state.docs) {
      const stored = doc.source[field];
      if (!Array.isArray(stored) || stored.length !== vector.length) continue;
      if (filter && filter.score({ state, id, doc }) === null) continue;
      const cos = cosine(vector as number[], stored as number[]);
      if (cos !== null) scored.push({ id, score: (1 + cos) / 2 });
    }
    scored.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
    nearest.set(state, new Map(scored.slice(0, k).map((s) => [s.id, s.score])));
  }
  return { words: [], score: ({ state, id }) => nearest.get(state)?.get(id) ?? null };
}

interface SortKey {
  field: string;
  order: 'asc' | 'desc';
}

function parseSort(spec: unknown): SortKey[] | string {
  const items = Array.isArray(spec) ? spec : [spec];
  const keys: SortKey[] = [];
  for (const item of items) {
    if (typeof item === 'string') keys.push({ field: item, order: item === '_score' ? 'desc' : 'asc' });
    else if (isRecord(item) && Object.keys(item).length === 1) {
      const [field, how] = Object.entries(item)[0]!;
      const order = typeof how === 'string' ? how : isRecord(how) ? (how.order ?? (field === '_score' ? 'desc' : 'asc')) : undefined;
      if (order !== 'asc' && order !== 'desc') return `sort order of [${field}] must be asc or desc`;
      keys.push({ field, order });
    } else return 'malformed sort';
  }
  return keys;
}

function highlightField(value: string, words: string[], spec: Record<string, unknown>, pre: string, post: string): string[] | undefined {
  const lower = value.toLowerCase();
  const fragmentSize = typeof spec.fragment_size === 'number' ? spec.fragment_size : 100;
  const fragments = typeof spec.number_of_fragments === 'number' ? spec.number_of_fragments : 5;
  const noMatchSize = typeof spec.no_match_size === 'number' ? spec.no_match_size : 0;
  const positions = words.map((w) => lower.indexOf(w)).filter((p) => p >= 0);
  if (positions.length === 0) return noMatchSize > 0 && value !== '' ? [value.slice(0, noMatchSize)] : undefined;
  const first = Math.min(...positions);
  const window =
    fragments === 0 ? value : value.slice(Math.max(0, first - Math.floor(fragmentSize / 2)), Math.max(0, first - Math.floor(fragmentSize / 2)) + fragmentSize);
  const pattern = new RegExp(words.map(escapeRegExp).join('|'), 'gi');
  return [window.replace(pattern, (m) => `${pre}${m}${post}`)];
}

function filterSource(source: Record<string, unknown>, spec: unknown): Record<string, unknown> | undefined {
  if (spec === false) return undefined;
  if (spec === undefined || spec === true) return source;
  let includes: string[] = [];
  let excludes: string[] = [];
  if (typeof spec === 'string') includes = [spec];
  else if (Array.isArray(spec)) includes = spec.map(String);
  else if (isRecord(spec)) {
    includes = Array.isArray(spec.includes) ? spec.includes.map(String) : [];
    excludes = Array.isArray(spec.excludes) ? spec.excludes.map(String) : [];
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(source)) {
    if (includes.length > 0 && !includes.includes(k)) continue;
    if (excludes.includes(k)) continue;
    out[k] = v;
  }
  return out;
}

/**
 * The one script a `_reindex` may carry: spot-ingest's REINDEX_DIMENSION_SCRIPT, run here natively.
 * Returns the new source, or why the script is refused.
 */
function runReindexScript(script: unknown, source: Record<string, unknown>): Record<string, unknown> | string {
  if (!isRecord(script)) return '[script] must be an object';
  if (script.lang !== undefined && script.lang !== 'painless') return `script lang [${String(script.lang)}] is not supported`;
  if (script.source !== REINDEX_DIMENSION_SCRIPT) return 'the recorder runs only spot-ingest\'s REINDEX_DIMENSION_SCRIPT (src/adapters/index/index-versions.ts)';
  const params = script.params;
  if (!isRecord(params) || !Array.isArray(params.drop) || !params.drop.every((f) => typeof f === 'string') || typeof params.text !== 'boolean' || typeof params.image !== 'boolean') {
    return 'REINDEX_DIMENSION_SCRIPT needs params {drop: string[], text: boolean, image: boolean}';
  }
  const out = structuredClone(source);
  for (const field of params.drop as string[]) delete out[field];
  if (params.text && typeof out.content === 'string' && out.content.length > 0) out.embedding_pending = true;
  if (params.image && typeof out.content_type === 'string' && out.content_type.startsWith('image/')) out.embedding_pending = true;
  return out;
}

// ── the server ───────────────────────────────────────────────────────────────────────────────

interface Answer {
  status: number;
  body?: unknown;
}

export async function startOpenSearchRecorder(options: OpenSearchRecorderOptions = {}): Promise<OpenSearchRecorder> {
  const indices = new Map<string, IndexState>();
  /** alias → concrete index → its alias properties */
  let aliases = new Map<string, Map<string, { isWriteIndex?: boolean }>>();
  const tasks = new Map<string, { result: Record<string, unknown>; pollsLeft: number }>();
  let taskSeq = 0;
  let taskPolls = 0;
  const requests: RecordedRequest[] = [];
  const violations: string[] = [];
  const requestFaults: { remaining: number; status: number; options: RequestFaultOptions }[] = [];
  let itemFault: ItemFaultPredicate | null = null;
  let delayMs = 0;
  let interception: RequestHooks = {};
  let seqNo = 0;
  const timers = new Set<NodeJS.Timeout>();

  const violation = (request: RecordedRequest, message: string): void => {
    violations.push(`${request.method} ${request.path}: ${message}`);
  };
  const reject400 = (request: RecordedRequest, problems: string[], type = 'illegal_argument_exception'): Answer => {
    for (const p of problems) violation(request, p);
    return { status: 400, body: errorBody(400, type, problems.join('; ')) };
  };

  const expectedAuth = options.auth
    ? `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`
    : undefined;

  // ── names: indices and aliases ──

  /** The concrete indices a name stands for (an index, or an alias's indices); undefined when nothing has that name. */
  function resolve(name: string): IndexState[] | undefined {
    const state = indices.get(name);
    if (state) return [state];
    const targets = aliases.get(name);
    if (!targets || targets.size === 0) return undefined;
    return [...targets.keys()].sort().map((n) => indices.get(n)!);
  }

  /** The one index a write (or a single-document read) through `name` goes to. */
  function resolveOne(name: string, op: 'write' | 'read'): { state: IndexState } | { status: number; error: Record<string, unknown> } | undefined {
    const state = indices.get(name);
    if (state) return { state };
    const targets = aliases.get(name);
    if (!targets || targets.size === 0) return undefined;
    if (targets.size === 1) return { state: indices.get([...targets.keys()][0]!)! };
    if (op === 'write') {
      const write = [...targets].find(([, props]) => props.isWriteIndex === true);
      if (write) return { state: indices.get(write[0])! };
      return {
        status: 400,
        error: {
          type: 'illegal_argument_exception',
          reason: `no write index is defined for alias [${name}]. The write index may be explicitly disabled using is_write_index=false or the alias points to multiple indices without one being designated as a write index`,
        },
      };
    }
    return {
      status: 400,
      error: { type: 'illegal_argument_exception', reason: `alias [${name}] has more than one index associated with it [${[...targets.keys()].sort().join(', ')}], can't execute a single index op` },
    };
  }

  function aliasesOf(index: string): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const [alias, targets] of aliases) {
      const props = targets.get(index);
      if (props) out[alias] = props.isWriteIndex === undefined ? {} : { is_write_index: props.isWriteIndex };
    }
    return out;
  }

  function validName(name: string): boolean {
    return name === name.toLowerCase() && /^[^_\-+][^\\/*?"<>| ,#:]*$/.test(name) && name !== '.' && name !== '..';
  }

  function handle(request: RecordedRequest): Answer {
    if (expectedAuth !== undefined && request.headers.authorization !== expectedAuth) {
      return { status: 401, body: errorBody(401, 'security_exception', 'Missing or invalid authentication credentials for REST request') };
    }
    const fault = requestFaults.find((f) => f.remaining > 0 && (f.options.match?.(request) ?? true));
    if (fault) {
      fault.remaining--;
      if (fault.remaining === 0) requestFaults.splice(requestFaults.indexOf(fault), 1);
      const type = fault.options.type ?? DEFAULT_ERROR_TYPE[fault.status] ?? 'exception';
      return { status: fault.status, body: errorBody(fault.status, type, fault.options.reason ?? `injected ${fault.status} (${type})`) };
    }

    const segments = request.path.split('/').filter((s) => s !== '');
    const [first, second, third] = segments;
    const method = request.method;
    const n = segments.length;
    if (n === 0 && (method === 'GET' || method === 'HEAD')) return clusterInfo();
    if (first === '_bulk' && n === 1 && (method === 'POST' || method === 'PUT')) return bulk(request, undefined);
    if (first === '_msearch' && n === 1 && (method === 'POST' || method === 'GET')) return msearch(request, undefined);
    if (first === '_aliases' && n === 1 && method === 'POST') return updateAliases(request);
    if (first === '_alias' && n <= 2 && (method === 'GET' || method === 'HEAD')) return getAliases(undefined, second);
    if (first === '_reindex' && n === 1 && method === 'POST') return reindex(request);
    if (first === '_tasks' && n === 2 && second !== undefined && method === 'GET') return getTask(second);
    if (first !== undefined && !first.startsWith('_')) {
      if (n === 1) {
        if (method === 'HEAD') return { status: resolve(first) ? 200 : 404 };
        if (method === 'PUT') return createIndex(request, first);
        if (method === 'GET') return getIndex(first);
        if (method === 'DELETE') return deleteIndex(first);
      }
      if (n === 2 && second === '_mapping' && method === 'GET') return getMapping(first);
      if (n === 2 && second === '_bulk' && (method === 'POST' || method === 'PUT')) return bulk(request, first);
      if (n === 2 && second === '_search' && (method === 'POST' || method === 'GET')) return searchRequest(request, first);
      if (n === 2 && second === '_msearch' && (method === 'POST' || method === 'GET')) return msearch(request, first);
      if (n === 2 && second === '_refresh' && (method === 'POST' || method === 'GET')) {
        return resolve(first) ? { status: 200, body: { _shards: SHARDS_OK } } : { status: 404, body: indexNotFound(first) };
      }
      if (n === 2 && (second === '_alias' || second === '_aliases') && method === 'GET') return getAliases(first, undefined);
      if (n === 3 && (second === '_alias' || second === '_aliases') && third !== undefined) {
        if (method === 'PUT' || method === 'POST') return applyAliasActions(request, [{ add: { index: first, alias: third } }]);
        if (method === 'DELETE') return applyAliasActions(request, [{ remove: { index: first, alias: third } }]);
        if (method === 'GET' || method === 'HEAD') return getAliases(first, third);
      }
      if (n === 3 && second === '_doc' && third !== undefined && method === 'GET') return getDoc(first, third);
    }
    violation(request, 'request the recorder does not implement');
    return { status: 400, body: { error: `no handler found for uri [${request.path}] and method [${method}]` } };
  }

  function clusterInfo(): Answer {
    return {
      status: 200,
      body: {
        name: 'recorder-node',
        cluster_name: 'spot-ingest-recorder',
        cluster_uuid: 'recorder',
        version: {
          distribution: 'opensearch',
          number: '2.19.0',
          build_type: 'tar',
          lucene_version: '9.12.1',
          minimum_wire_compatibility_version: '7.10.0',
          minimum_index_compatibility_version: '7.0.0',
        },
        tagline: 'The OpenSearch Project: https://opensearch.org/',
      },
    };
  }

  function parseJsonBody(request: RecordedRequest): { ok: true; value: unknown } | { ok: false; answer: Answer } {
    if (request.body.trim() === '') return { ok: true, value: undefined };
    const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') {
      return { ok: false, answer: reject400(request, [`Content-Type must be application/json, got [${type ?? ''}]`]) };
    }
    try {
      return { ok: true, value: JSON.parse(request.body) };
    } catch (err) {
      return { ok: false, answer: reject400(request, [`body is not JSON: ${(err as Error).message}`], 'parse_exception') };
    }
  }

  function createIndex(request: RecordedRequest, name: string): Answer {
    if (!validName(name)) return reject400(request, [`Invalid index name [${name}], must be lowercase`], 'invalid_index_name_exception');
    if (indices.has(name)) {
      const state = indices.get(name);
      return {
        status: 400,
        body: errorBody(400, 'resource_already_exists_exception', `index [${name}/${state?.uuid ?? ''}] already exists`, { index: name }),
      };
    }
    if (aliases.has(name)) {
      return { status: 400, body: errorBody(400, 'invalid_index_name_exception', `Invalid index name [${name}], already exists as alias`, { index: name }) };
    }
    const parsed = parseJsonBody(request);
    if (!parsed.ok) return parsed.answer;
    const problems = validateIndexBody(parsed.value);
    if (problems.length > 0) return reject400(request, problems, 'mapper_parsing_exception');
    const body = parsed.value as Record<string, unknown>;
    indices.set(name, {
      name,
      uuid: randomUUID().replaceAll('-', '').slice(0, 22),
      settings: isRecord(body.settings) ? body.settings : {},
      mappings: isRecord(body.mappings) ? body.mappings : {},
      docs: new Map(),
    });
    return { status: 200, body: { acknowledged: true, shards_acknowledged: true, index: name } };
  }

  function getIndex(name: string): Answer {
    const states = resolve(name);
    if (!states) return { status: 404, body: indexNotFound(name) };
    const body: Record<string, unknown> = {};
    for (const state of states) {
      const indexSettings = isRecord(state.settings.index) ? state.settings.index : state.settings;
      body[state.name] = { aliases: aliasesOf(state.name), mappings: state.mappings, settings: { index: { ...indexSettings, uuid: state.uuid } } };
    }
    return { status: 200, body };
  }

  function deleteIndex(name: string): Answer {
    if (aliases.has(name)) {
      return { status: 400, body: errorBody(400, 'illegal_argument_exception', `The provided expression [${name}] matches an alias, specify the corresponding concrete indices instead.`) };
    }
    if (!indices.delete(name)) return { status: 404, body: indexNotFound(name) };
    dropFromAliases(name);
    return { status: 200, body: { acknowledged: true } };
  }

  function dropFromAliases(index: string): void {
    for (const [alias, targets] of aliases) {
      targets.delete(index);
      if (targets.size === 0) aliases.delete(alias);
    }
  }

  function getMapping(name: string): Answer {
    const states = resolve(name);
    if (!states) return { status: 404, body: indexNotFound(name) };
    return { status: 200, body: Object.fromEntries(states.map((s) => [s.name, { mappings: s.mappings }])) };
  }

  function getDoc(name: string, id: string): Answer {
    const target = resolveOne(name, 'read');
    if (!target) return { status: 404, body: indexNotFound(name) };
    if (!('state' in target)) return { status: target.status, body: { error: { root_cause: [target.error], ...target.error }, status: target.status } };
    const { state } = target;
    const doc = state.docs.get(id);
    if (!doc) return { status: 404, body: { _index: state.name, _id: id, found: false } };
    return {
      status: 200,
      body: { _index: state.name, _id: id, _version: doc.version, _seq_no: doc.seqNo, _primary_term: 1, found: true, _source: doc.source },
    };
  }

  // ── aliases ──

  function getAliases(index: string | undefined, alias: string | undefined): Answer {
    if (index !== undefined && !indices.has(index)) return { status: 404, body: indexNotFound(index) };
    const body: Record<string, { aliases: Record<string, unknown> }> = {};
    const names = index !== undefined ? [index] : [...indices.keys()].sort();
    for (const name of names) {
      const all = aliasesOf(name);
      const picked = alias === undefined ? all : Object.fromEntries(Object.entries(all).filter(([a]) => a === alias));
      if (alias === undefined ? index !== undefined || Object.keys(picked).length > 0 : Object.keys(picked).length > 0) body[name] = { aliases: picked };
    }
    if (alias !== undefined && Object.keys(body).length === 0) return { status: 404, body: { error: `alias [${alias}] missing`, status: 404 } };
    return { status: 200, body };
  }

  type AliasActionSpec = Record<string, Record<string, unknown>>;

  function updateAliases(request: RecordedRequest): Answer {
    const parsed = parseJsonBody(request);
    if (!parsed.ok) return parsed.answer;
    const body = parsed.value;
    if (!isRecord(body) || !Array.isArray(body.actions) || body.actions.length === 0) {
      return reject400(request, ['One or more aliases actions must be specified'], 'action_request_validation_exception');
    }
    return applyAliasActions(request, body.actions as AliasActionSpec[]);
  }

  /** Applies alias actions atomically: every remove_index first, then add/remove in order; all or nothing. */
  function applyAliasActions(request: RecordedRequest, actions: AliasActionSpec[]): Answer {
    const next = new Map([...aliases].map(([a, t]) => [a, new Map([...t].map(([i, p]) => [i, { ...p }]))]));
    const removed = new Set<string>();
    const fail = (status: number, type: string, reason: string): Answer => ({ status, body: errorBody(status, type, reason) });
    const list = (spec: Record<string, unknown>, one: string, many: string): string[] | undefined => {
      if (typeof spec[one] === 'string') return [spec[one] as string];
      if (Array.isArray(spec[many]) && (spec[many] as unknown[]).every((x) => typeof x === 'string')) return spec[many] as string[];
      return undefined;
    };
    const parsedActions: { op: string; spec: Record<string, unknown> }[] = [];
    for (const action of actions) {
      if (!isRecord(action) || Object.keys(action).length !== 1) return reject400(request, ['each alias action must be one of add, remove, remove_index'], 'action_request_validation_exception');
      const [op, spec] = Object.entries(action)[0]!;
      if (!['add', 'remove', 'remove_index'].includes(op) || !isRecord(spec)) {
        return reject400(request, [`unknown alias action [${op}]`], 'action_request_validation_exception');
      }
      parsedActions.push({ op, spec });
    }
    for (const { spec } of parsedActions.filter((a) => a.op === 'remove_index')) {
      const names = list(spec, 'index', 'indices');
      if (!names) return reject400(request, ['[remove_index] needs index or indices'], 'action_request_validation_exception');
      for (const name of names) {
        if (aliases.has(name)) return fail(400, 'illegal_argument_exception', `The provided expression [${name}] matches an alias, specify the corresponding concrete indices instead.`);
        if (!indices.has(name)) return { status: 404, body: indexNotFound(name) };
        removed.add(name);
        for (const [alias, targets] of next) {
          targets.delete(name);
          if (targets.size === 0) next.delete(alias);
        }
      }
    }
    for (const { op, spec } of parsedActions.filter((a) => a.op !== 'remove_index')) {
      const names = list(spec, 'index', 'indices');
      const aliasNames = list(spec, 'alias', 'aliases');
      if (!names || !aliasNames) return reject400(request, [`[${op}] needs index (or indices) and alias (or aliases)`], 'action_request_validation_exception');
      for (const name of names) {
        if (!indices.has(name) || removed.has(name)) return { status: 404, body: indexNotFound(name) };
        for (const alias of aliasNames) {
          if (op === 'add') {
            if (!validName(alias)) return fail(400, 'invalid_alias_name_exception', `Invalid alias name [${alias}], must be lowercase`);
            const targets = next.get(alias) ?? new Map<string, { isWriteIndex?: boolean }>();
            targets.set(name, typeof spec.is_write_index === 'boolean' ? { isWriteIndex: spec.is_write_index } : {});
            next.set(alias, targets);
          } else {
            const targets = next.get(alias);
            if (!targets?.has(name)) return fail(404, 'aliases_not_found_exception', `aliases [${alias}] missing`);
            targets.delete(name);
            if (targets.size === 0) next.delete(alias);
          }
        }
      }
    }
    for (const alias of next.keys()) {
      if (indices.has(alias) && !removed.has(alias)) {
        return fail(400, 'invalid_alias_name_exception', `Invalid alias name [${alias}]: an index or data stream exists with the same name as the alias`);
      }
    }
    for (const [alias, targets] of next) {
      if ([...targets.values()].filter((p) => p.isWriteIndex === true).length > 1) {
        return fail(400, 'illegal_state_exception', `alias [${alias}] has more than one write index`);
      }
    }
    for (const name of removed) indices.delete(name);
    aliases = next;
    return { status: 200, body: { acknowledged: true } };
  }

  // ── bulk ──

  interface BulkOp {
    op: ItemContext['op'];
    index: string;
    id: string;
    source: Record<string, unknown> | undefined;
  }

  function bulk(request: RecordedRequest, pathIndex: string | undefined): Answer {
    const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (type !== 'application/x-ndjson') return reject400(request, [`bulk Content-Type must be application/x-ndjson, got [${type}]`]);
    if (request.body === '') return reject400(request, ['request body is required'], 'action_request_validation_exception');
    if (!request.body.endsWith('\n')) return reject400(request, ['The bulk request must be terminated by a newline [\\n]']);
    const lines = request.body.slice(0, -1).split('\n');
    const ops: BulkOp[] = [];
    for (let i = 0; i < lines.length; i++) {
      const lineNo = i + 1;
      let action: unknown;
      try {
        action = JSON.parse(lines[i] ?? '');
      } catch {
        return reject400(request, [`Malformed action/metadata line [${lineNo}], expected a JSON object`]);
      }
      if (!isRecord(action)) return reject400(request, [`Malformed action/metadata line [${lineNo}], expected START_OBJECT`]);
      const keys = Object.keys(action);
      const op = keys[0];
      if (keys.length !== 1 || (op !== 'index' && op !== 'create' && op !== 'update' && op !== 'delete')) {
        return reject400(request, [`Malformed action/metadata line [${lineNo}], expected one of index|create|update|delete, got [${keys.join(',')}]`]);
      }
      const meta = action[op];
      if (!isRecord(meta)) return reject400(request, [`Malformed action/metadata line [${lineNo}], [${op}] must be an object`]);
      const index = typeof meta._index === 'string' ? meta._index : pathIndex;
      if (index === undefined) return reject400(request, [`line [${lineNo}]: index is missing`], 'action_request_validation_exception');
      if (typeof meta._id !== 'string' || meta._id === '') return reject400(request, [`line [${lineNo}]: [${op}] has no _id (spot-ingest always sets one)`]);
      if (Buffer.byteLength(meta._id) > 512) return reject400(request, [`line [${lineNo}]: _id is longer than 512 bytes`]);
      let source: Record<string, unknown> | undefined;
      if (op !== 'delete') {
        i++;
        const docLine = lines[i];
        if (docLine === undefined || docLine.trim() === '') return reject400(request, [`line [${lineNo}]: [${op}] is not followed by a document line`]);
        let doc: unknown;
        try {
          doc = JSON.parse(docLine);
        } catch {
          return reject400(request, [`line [${i + 1}]: document is not valid JSON`], 'parse_exception');
        }
        if (!isRecord(doc)) return reject400(request, [`line [${i + 1}]: document must be a JSON object`]);
        source = doc;
      }
      ops.push({ op, index, id: meta._id, source });
    }

    const items = ops.map((o) => ({ [o.op]: bulkItem(request, o) }));
    return { status: 200, body: { took: 1 + ops.length, errors: items.some((it) => Object.values(it).some((r) => 'error' in r)), items } };
  }

  function itemError(o: BulkOp, status: number, type: string, reason: string, state?: IndexState): Record<string, unknown> {
    return {
      _index: state?.name ?? o.index,
      _id: o.id,
      status,
      error: { type, reason, index: state?.name ?? o.index, shard: '0', index_uuid: state?.uuid ?? '_na_' },
    };
  }

  function bulkItem(request: RecordedRequest, o: BulkOp): Record<string, unknown> {
    const target = resolveOne(o.index, 'write');
    if (target && !('state' in target)) return itemError(o, target.status, String(target.error.type), String(target.error.reason));
    const state = target?.state;
    let source = o.source;
    if (o.op === 'update' && source) {
      source = isRecord(source.doc) ? { ...(state?.docs.get(o.id)?.source ?? {}), ...source.doc } : undefined;
      if (!source) return itemError(o, 400, 'action_request_validation_exception', 'update needs [doc]', state);
    }
    if (source && (o.op !== 'update' || state?.docs.has(o.id))) {
      const problems = validateDocument(source, state);
      if (problems.length > 0) {
        for (const p of problems) violation(request, `${o.op} [${o.id}]: ${p}`);
        return itemError(o, 400, 'mapper_parsing_exception', `failed to parse: ${problems.join('; ')}`, state);
      }
    }
    const fault = itemFault?.(o.op === 'delete' ? o.id : (o.source ?? {}), { op: o.op, index: o.index, id: o.id });
    if (fault) return itemError(o, fault.status, fault.type, fault.reason, state);
    if (!state) return { _index: o.index, _id: o.id, status: 404, error: (indexNotFound(o.index).error as Record<string, unknown>) };
    const existing = state.docs.get(o.id);
    const shards = { total: 2, successful: 1, failed: 0 };
    seqNo++;
    const base = { _index: state.name, _id: o.id, _shards: shards, _seq_no: seqNo, _primary_term: 1 };
    if (o.op === 'delete') {
      if (!existing) return { ...base, _version: 1, result: 'not_found', status: 404 };
      state.docs.delete(o.id);
      return { ...base, _version: existing.version + 1, result: 'deleted', status: 200 };
    }
    if (o.op === 'create' && existing) {
      return itemError(o, 409, 'version_conflict_engine_exception', `[${o.id}]: version conflict, document already exists`, state);
    }
    if (o.op === 'update' && !existing) return itemError(o, 404, 'document_missing_exception', `[${o.id}]: document missing`, state);
    const version = (existing?.version ?? 0) + 1;
    state.docs.set(o.id, { source: source ?? {}, version, seqNo });
    return { ...base, _version: version, result: existing ? 'updated' : 'created', status: existing ? 200 : 201 };
  }

  // ── search ──

  function shardFailure(states: IndexState[], error: Extract<QueryError, { kind: 'shard' }>): Answer {
    const cause = (state: IndexState): Record<string, unknown> => ({ type: error.type, reason: error.reason, index: state.name, index_uuid: state.uuid });
    return {
      status: 400,
      body: {
        error: {
          root_cause: states.map(cause),
          type: 'search_phase_execution_exception',
          reason: 'all shards failed',
          phase: 'query',
          grouped: true,
          failed_shards: states.map((state) => ({
            shard: 0,
            index: state.name,
            node: 'recorder-node',
            reason: { ...cause(state), ...(error.causedBy ? { caused_by: error.causedBy } : {}) },
          })),
        },
        status: 400,
      },
    };
  }

  function searchRequest(request: RecordedRequest, name: string): Answer {
    const parsedBody = parseJsonBody(request);
    if (!parsedBody.ok) return parsedBody.answer;
    const body = isRecord(parsedBody.value) ? parsedBody.value : {};
    const query = request.query.q !== undefined ? { query_string: { query: request.query.q, fields: ['content', 'file_name'] } } : body.query;
    return runSearch(request, name, { ...body, query, size: body.size ?? (request.query.size !== undefined ? Number(request.query.size) : undefined), from: body.from ?? (request.query.from !== undefined ? Number(request.query.from) : undefined) });
  }

  const SEARCH_KEYS = new Set(['query', 'size', 'from', '_source', 'highlight', 'sort', 'search_after', 'track_total_hits', 'timeout']);

  function runSearch(request: RecordedRequest, name: string, body: Record<string, unknown>): Answer {
    const states = resolve(name);
    if (!states) return { status: 404, body: indexNotFound(name) };
    const unknownKeys = Object.keys(body).filter((k) => !SEARCH_KEYS.has(k) && body[k] !== undefined);
    if (unknownKeys.length > 0) return reject400(request, [`search body keys the recorder does not know: [${unknownKeys.join(',')}]`], 'parsing_exception');
    const compiled = compileQuery(body.query, states);
    if ('kind' in compiled) {
      if (compiled.kind === 'parse') return reject400(request, [compiled.reason], 'parsing_exception');
      return shardFailure(states, compiled);
    }
    const size = typeof body.size === 'number' ? body.size : 10;
    const from = typeof body.from === 'number' ? body.from : 0;

    let sortKeys: SortKey[] | undefined;
    if (body.sort !== undefined) {
      const parsed = parseSort(body.sort);
      if (typeof parsed === 'string') return reject400(request, [parsed], 'parsing_exception');
      for (const key of parsed) {
        if (key.field === '_id') {
          return reject400(request, ['Fielddata access on the _id field is disallowed, you can re-enable it by updating the dynamic cluster setting: indices.id_field_data.enabled']);
        }
        if (key.field === '_score' || key.field === '_doc') continue;
        for (const state of states) {
          const type = mappingOf(state, key.field)?.type;
          if (type === undefined) return reject400(request, [`No mapping found for [${key.field}] in order to sort on`], 'query_shard_exception');
          if (type === 'text') return reject400(request, [`Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead. Field [${key.field}]`]);
        }
      }
      sortKeys = parsed;
    }
    let after: unknown[] | undefined;
    if (body.search_after !== undefined) {
      if (!sortKeys || sortKeys.length === 0) return reject400(request, ['Sort must contain at least one field.'], 'parsing_exception');
      if (!Array.isArray(body.search_after)) return reject400(request, ['search_after must be an array'], 'parsing_exception');
      if (body.search_after.length !== sortKeys.length) {
        return reject400(request, [`search_after has ${body.search_after.length} value(s) but sort has ${sortKeys.length}.`]);
      }
      after = body.search_after;
    }

    type Hit = { ref: DocRef; score: number; sortValues: (number | string | null)[] };
    const hits: Hit[] = [];
    for (const state of states) {
      for (const [id, doc] of state.docs) {
        const ref = { state, id, doc };
        const score = compiled.score(ref);
        if (score === null) continue;
        const sortValues = (sortKeys ?? []).map((key) =>
          key.field === '_score' ? score : key.field === '_doc' ? doc.seqNo : (fieldValues(doc.source, key.field).map((v) => comparable(state, key.field, v))[0] ?? null),
        );
        hits.push({ ref, score, sortValues });
      }
    }
    const compareValues = (a: (number | string | null)[], b: (number | string | null)[]): number => {
      for (let i = 0; i < (sortKeys ?? []).length; i++) {
        const x = a[i] ?? null;
        const y = b[i] ?? null;
        if (x === y) continue;
        if (x === null) return 1; // missing values sort last either way
        if (y === null) return -1;
        const c = x < y ? -1 : 1;
        return sortKeys![i]!.order === 'asc' ? c : -c;
      }
      return 0;
    };
    if (sortKeys) hits.sort((a, b) => compareValues(a.sortValues, b.sortValues) || a.ref.state.name.localeCompare(b.ref.state.name) || a.ref.id.localeCompare(b.ref.id));
    else hits.sort((a, b) => b.score - a.score || a.ref.state.name.localeCompare(b.ref.state.name) || a.ref.id.localeCompare(b.ref.id));
    const remaining = after === undefined ? hits : hits.filter((h) => compareValues(h.sortValues, after as (number | string | null)[]) > 0);

    const highlight = isRecord(body.highlight) ? body.highlight : undefined;
    const hlFields = highlight && isRecord(highlight.fields) ? highlight.fields : {};
    const pre = highlight && Array.isArray(highlight.pre_tags) ? String(highlight.pre_tags[0]) : '<em>';
    const post = highlight && Array.isArray(highlight.post_tags) ? String(highlight.post_tags[0]) : '</em>';
    const wordsFor = (spec: Record<string, unknown>): string[] | Answer => {
      const hq = spec.highlight_query ?? highlight?.highlight_query;
      if (hq === undefined) return compiled.words;
      const c = compileQuery(hq, states);
      if ('kind' in c) return reject400(request, [`highlight_query: ${c.kind === 'parse' ? c.reason : c.reason}`], 'parsing_exception');
      return c.words;
    };
    const fieldWords = new Map<string, string[]>();
    for (const [field, spec] of Object.entries(hlFields)) {
      const words = wordsFor(isRecord(spec) ? spec : {});
      if (!Array.isArray(words)) return words;
      fieldWords.set(field, words);
    }
    const out = remaining.slice(from, from + size).map(({ ref, score, sortValues }) => {
      const hit: Record<string, unknown> = { _index: ref.state.name, _id: ref.id, _score: sortKeys ? null : score };
      const source = filterSource(ref.doc.source, body._source);
      if (source !== undefined) hit._source = source;
      const hl: Record<string, string[]> = {};
      for (const [field, spec] of Object.entries(hlFields)) {
        const value = ref.doc.source[sourceField(field)];
        if (typeof value !== 'string') continue;
        const fragments = highlightField(value, fieldWords.get(field) ?? [], isRecord(spec) ? spec : {}, pre, post);
        if (fragments) hl[field] = fragments;
      }
      if (Object.keys(hl).length > 0) hit.highlight = hl;
      if (sortKeys) hit.sort = sortValues;
      return hit;
    });
    const hitsBody: Record<string, unknown> = { max_score: sortKeys ? null : (hits[0]?.score ?? null), hits: out };
    if (body.track_total_hits !== false) hitsBody.total = { value: hits.length, relation: 'eq' };
    return {
      status: 200,
      body: {
        took: 1,
        timed_out: false,
        _shards: { total: states.length, successful: states.length, skipped: 0, failed: 0 },
        hits: hitsBody,
      },
    };
  }

  function msearch(request: RecordedRequest, pathIndex: string | undefined): Answer {
    const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (type !== 'application/x-ndjson') return reject400(request, [`msearch Content-Type must be application/x-ndjson, got [${type}]`]);
    if (request.body === '') return reject400(request, ['request body is required'], 'action_request_validation_exception');
    if (!request.body.endsWith('\n')) return reject400(request, ['The msearch request must be terminated by a newline [\\n]']);
    const lines = request.body.slice(0, -1).split('\n');
    if (lines.length % 2 !== 0) return reject400(request, ['msearch body must be pairs of header and body lines']);
    const responses: Record<string, unknown>[] = [];
    for (let i = 0; i < lines.length; i += 2) {
      let header: unknown;
      let body: unknown;
      try {
        header = JSON.parse(lines[i]!);
        body = JSON.parse(lines[i + 1]!);
      } catch {
        return reject400(request, [`msearch line [${i + 1}] or [${i + 2}] is not JSON`], 'parse_exception');
      }
      if (!isRecord(header) || !isRecord(body)) return reject400(request, [`msearch lines [${i + 1}]-[${i + 2}] must be JSON objects`]);
      const index = typeof header.index === 'string' ? header.index : pathIndex;
      if (index === undefined) return reject400(request, [`msearch header [${i + 1}] names no index`], 'action_request_validation_exception');
      const answer = runSearch(request, index, body);
      responses.push(answer.status === 200 ? { ...(answer.body as Record<string, unknown>), status: 200 } : { ...(answer.body as Record<string, unknown>), status: answer.status });
    }
    return { status: 200, body: { took: 1, responses } };
  }

  // ── reindex and tasks ──

  function reindex(request: RecordedRequest): Answer {
    const parsed = parseJsonBody(request);
    if (!parsed.ok) return parsed.answer;
    const body = parsed.value;
    if (!isRecord(body) || !isRecord(body.source) || !isRecord(body.dest)) return reject400(request, ['_reindex needs source and dest'], 'action_request_validation_exception');
    const unknownKeys = Object.keys(body).filter((k) => !['source', 'dest', 'script', 'conflicts', 'max_docs'].includes(k));
    if (unknownKeys.length > 0) return reject400(request, [`_reindex body keys the recorder does not know: [${unknownKeys.join(',')}]`], 'parsing_exception');
    const sourceNames = typeof body.source.index === 'string' ? [body.source.index] : Array.isArray(body.source.index) ? body.source.index.map(String) : undefined;
    if (!sourceNames) return reject400(request, ['source.index is required'], 'action_request_validation_exception');
    const sources: IndexState[] = [];
    for (const name of sourceNames) {
      const states = resolve(name);
      if (!states) return { status: 404, body: indexNotFound(name) };
      sources.push(...states);
    }
    if (typeof body.dest.index !== 'string') return reject400(request, ['dest.index is required'], 'action_request_validation_exception');
    const destTarget = resolveOne(body.dest.index, 'write');
    if (!destTarget) return { status: 404, body: indexNotFound(body.dest.index) };
    if (!('state' in destTarget)) return { status: destTarget.status, body: errorBody(destTarget.status, String(destTarget.error.type), String(destTarget.error.reason)) };
    const dest = destTarget.state;
    if (sources.includes(dest)) return reject400(request, [`reindex cannot write into an index its reading from [${dest.name}]`], 'action_request_validation_exception');
    const opType = body.dest.op_type ?? 'index';
    if (opType !== 'index' && opType !== 'create') return reject400(request, [`dest.op_type must be index or create, got [${String(opType)}]`]);
    const proceed = body.conflicts === 'proceed';
    const query = compileQuery(body.source.query, sources);
    if ('kind' in query) return query.kind === 'parse' ? reject400(request, [query.reason], 'parsing_exception') : shardFailure(sources, query);
    const batchSize = typeof body.source.size === 'number' ? body.source.size : 1000;
    const started = Date.now();
    const result = { took: 0, timed_out: false, total: 0, updated: 0, created: 0, deleted: 0, batches: 0, version_conflicts: 0, noops: 0, retries: { bulk: 0, search: 0 }, throttled_millis: 0, requests_per_second: -1, throttled_until_millis: 0, failures: [] as Record<string, unknown>[] };
    const refs: DocRef[] = [];
    for (const state of sources) for (const [id, doc] of [...state.docs].sort(([a], [b]) => a.localeCompare(b))) if (query.score({ state, id, doc }) !== null) refs.push({ state, id, doc });
    for (const { id, doc } of refs) {
      result.total++;
      let source = filterSource(doc.source, body.source._source) ?? {};
      if (body.script !== undefined) {
        const out = runReindexScript(body.script, source);
        if (typeof out === 'string') return reject400(request, [out], 'script_exception');
        source = out;
      }
      const problems = validateDocument(source, dest);
      if (problems.length > 0) {
        for (const p of problems) violation(request, `reindex of [${id}] into [${dest.name}]: ${p}`);
        result.failures.push({ index: dest.name, id, cause: { type: 'mapper_parsing_exception', reason: `failed to parse: ${problems.join('; ')}`, index: dest.name }, status: 400 });
        break;
      }
      const existing = dest.docs.get(id);
      if (existing && opType === 'create') {
        result.version_conflicts++;
        if (!proceed) {
          result.failures.push({ index: dest.name, id, cause: { type: 'version_conflict_engine_exception', reason: `[${id}]: version conflict, document already exists`, index: dest.name }, status: 409 });
          break;
        }
        continue;
      }
      seqNo++;
      dest.docs.set(id, { source, version: (existing?.version ?? 0) + 1, seqNo });
      if (existing) result.updated++;
      else result.created++;
    }
    result.batches = Math.max(1, Math.ceil(result.total / batchSize));
    result.took = Date.now() - started;
    if (request.query.wait_for_completion === 'false') {
      const id = `recorder-node:${++taskSeq}`;
      tasks.set(id, {
        pollsLeft: taskPolls,
        result: {
          completed: true,
          task: {
            node: 'recorder-node',
            id: taskSeq,
            type: 'transport',
            action: 'indices:data/write/reindex',
            status: { total: result.total, updated: result.updated, created: result.created, deleted: 0, batches: result.batches, version_conflicts: result.version_conflicts, noops: 0 },
            description: `reindex from [${sourceNames.join(',')}] to [${dest.name}]`,
            start_time_in_millis: started,
            running_time_in_nanos: result.took * 1_000_000,
            cancellable: true,
          },
          response: result,
        },
      });
      return { status: 200, body: { task: id } };
    }
    return { status: 200, body: result };
  }

  function getTask(id: string): Answer {
    const task = tasks.get(id);
    if (!task) return { status: 404, body: errorBody(404, 'resource_not_found_exception', `task [${id}] isn't running and hasn't stored its results`) };
    if (task.pollsLeft > 0) {
      task.pollsLeft--;
      return { status: 200, body: { completed: false, task: task.result.task } };
    }
    return { status: 200, body: task.result };
  }

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://recorder');
      let path: string;
      try {
        path = decodeURIComponent(url.pathname);
      } catch {
        path = url.pathname;
      }
      const request: RecordedRequest = {
        method: req.method ?? 'GET',
        path,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      const hooks = interception;
      void Promise.resolve(hooks.before?.(request)).then(() => answer(request, hooks, res));
    });
  });

  function answer(request: RecordedRequest, hooks: RequestHooks, res: ServerResponse): void {
    let answer: Answer;
    try {
      answer = handle(request);
    } catch (err) {
      violation(request, `recorder crashed: ${(err as Error).stack ?? String(err)}`);
      answer = { status: 500, body: errorBody(500, 'exception', String(err)) };
    }
    hooks.after?.(request);
    request.status = answer.status;
    const send = (): void => {
      if (res.destroyed) return;
      const payload = answer.body === undefined || request.method === 'HEAD' ? '' : JSON.stringify(answer.body);
      res.writeHead(answer.status, {
        'content-type': 'application/json; charset=UTF-8',
        'content-length': Buffer.byteLength(payload),
        ...(answer.status === 401 ? { 'www-authenticate': 'Basic realm="OpenSearch Security"' } : {}),
      });
      res.end(payload);
    };
    if (delayMs <= 0) send();
    else {
      const timer = setTimeout(() => {
        timers.delete(timer);
        send();
      }, delayMs);
      timers.add(timer);
      res.on('close', () => {
        clearTimeout(timer);
        timers.delete(timer);
      });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('recorder has no address');
  let closed: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    violations,
    documents(name) {
      const out = new Map<string, Record<string, unknown>>();
      for (const state of resolve(name) ?? []) for (const [id, d] of state.docs) out.set(id, d.source);
      return out;
    },
    indexState(name) {
      return resolve(name)?.[0];
    },
    aliasTargets(alias) {
      return [...(aliases.get(alias)?.keys() ?? [])].sort();
    },
    indexNames() {
      return [...indices.keys()].sort();
    },
    writeDocument(name, id, source) {
      const target = resolveOne(name, 'write');
      if (!target || !('state' in target)) throw new Error(`no single index to write to under [${name}]`);
      const existing = target.state.docs.get(id);
      seqNo++;
      target.state.docs.set(id, { source, version: (existing?.version ?? 0) + 1, seqNo });
    },
    setTaskPolls(n) {
      taskPolls = n;
    },
    failNextRequests(n, status, faultOptions = {}) {
      if (!Number.isInteger(n) || n < 1) throw new RangeError('n must be a positive integer');
      requestFaults.push({ remaining: n, status, options: faultOptions });
    },
    failItems(predicate) {
      itemFault = predicate;
    },
    intercept(hooks) {
      interception = hooks;
    },
    delayResponses(ms) {
      delayMs = ms;
    },
    bulkRequests() {
      return requests.filter((r) => /(^|\/)_bulk$/.test(r.path));
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
