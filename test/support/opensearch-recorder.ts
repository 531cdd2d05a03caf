/**
 * A local HTTP server that answers like OpenSearch for what spot-ingest uses (DESIGN.md §9):
 * index create/exists/delete, `_mapping`, `_bulk`, `_doc`, `_search`, `_refresh` and `GET /`.
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
  /** Documents (sources) of an index by id; empty when the index does not exist. */
  documents(index: string): Map<string, Record<string, unknown>>;
  /** The settings and mappings an index was created with (undefined when it does not exist). */
  indexState(index: string): IndexState | undefined;
  /** Answer the next `n` (matching) requests with `status` and OpenSearch's error body. */
  failNextRequests(n: number, status: number, options?: RequestFaultOptions): void;
  /** Fail bulk items the predicate picks (until replaced; null clears). */
  failItems(predicate: ItemFaultPredicate | null): void;
  /** Hold every answer this long (0 turns it off). */
  delayResponses(ms: number): void;
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

/** DESIGN.md §6: field → [required, check]. Vectors are checked against the mapping separately. */
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
  encoding: [false, nullable(isString)],
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

  // DESIGN.md §6 specifics.
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

interface ParsedQuery {
  all: boolean;
  text: string;
  fields: string[];
}

function parseQuery(query: unknown): ParsedQuery | string {
  if (query === undefined) return { all: true, text: '', fields: [] };
  if (!isRecord(query)) return 'query must be an object';
  if ('match_all' in query) return { all: true, text: '', fields: [] };
  if (isRecord(query.multi_match)) {
    const mm = query.multi_match;
    if (typeof mm.query !== 'string') return 'multi_match.query must be a string';
    const fields = Array.isArray(mm.fields) ? mm.fields.map((f) => String(f).replace(/\^[\d.]+$/, '')) : ['content', 'file_name'];
    return { all: false, text: mm.query, fields };
  }
  if (isRecord(query.match)) {
    const [field, spec] = Object.entries(query.match)[0] ?? [];
    if (field === undefined) return 'match needs a field';
    const text = isRecord(spec) ? spec.query : spec;
    if (typeof text !== 'string') return 'match query must be a string';
    return { all: false, text, fields: [field] };
  }
  for (const kind of ['query_string', 'simple_query_string']) {
    const q = query[kind];
    if (isRecord(q) && typeof q.query === 'string') {
      const fields = Array.isArray(q.fields) ? q.fields.map((f) => String(f).replace(/\^[\d.]+$/, '')) : ['content', 'file_name'];
      return { all: false, text: q.query, fields };
    }
  }
  return `unsupported query [${Object.keys(query).join(',')}] (the recorder knows match_all, match, multi_match, query_string)`;
}

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

// ── the server ───────────────────────────────────────────────────────────────────────────────

interface Answer {
  status: number;
  body?: unknown;
}

export async function startOpenSearchRecorder(options: OpenSearchRecorderOptions = {}): Promise<OpenSearchRecorder> {
  const indices = new Map<string, IndexState>();
  const requests: RecordedRequest[] = [];
  const violations: string[] = [];
  const requestFaults: { remaining: number; status: number; options: RequestFaultOptions }[] = [];
  let itemFault: ItemFaultPredicate | null = null;
  let delayMs = 0;
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
    if (segments.length === 0 && (method === 'GET' || method === 'HEAD')) return clusterInfo();
    if (first === '_bulk' && segments.length === 1 && (method === 'POST' || method === 'PUT')) return bulk(request, undefined);
    if (first !== undefined && !first.startsWith('_')) {
      if (segments.length === 1) {
        if (method === 'HEAD') return { status: indices.has(first) ? 200 : 404 };
        if (method === 'PUT') return createIndex(request, first);
        if (method === 'GET') return getIndex(first);
        if (method === 'DELETE') return deleteIndex(first);
      }
      if (segments.length === 2 && second === '_mapping' && method === 'GET') return getMapping(first);
      if (segments.length === 2 && second === '_bulk' && (method === 'POST' || method === 'PUT')) return bulk(request, first);
      if (segments.length === 2 && second === '_search' && (method === 'POST' || method === 'GET')) return search(request, first);
      if (segments.length === 2 && second === '_refresh' && (method === 'POST' || method === 'GET')) {
        return indices.has(first) ? { status: 200, body: { _shards: SHARDS_OK } } : { status: 404, body: indexNotFound(first) };
      }
      if (segments.length === 3 && second === '_doc' && third !== undefined && method === 'GET') return getDoc(first, third);
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
    if (name !== name.toLowerCase()) return reject400(request, [`Invalid index name [${name}], must be lowercase`], 'invalid_index_name_exception');
    if (indices.has(name)) {
      const state = indices.get(name);
      return {
        status: 400,
        body: errorBody(400, 'resource_already_exists_exception', `index [${name}/${state?.uuid ?? ''}] already exists`, { index: name }),
      };
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
    const state = indices.get(name);
    if (!state) return { status: 404, body: indexNotFound(name) };
    const indexSettings = isRecord(state.settings.index) ? state.settings.index : state.settings;
    return { status: 200, body: { [name]: { aliases: {}, mappings: state.mappings, settings: { index: { ...indexSettings, uuid: state.uuid } } } } };
  }

  function deleteIndex(name: string): Answer {
    if (!indices.delete(name)) return { status: 404, body: indexNotFound(name) };
    return { status: 200, body: { acknowledged: true } };
  }

  function getMapping(name: string): Answer {
    const state = indices.get(name);
    if (!state) return { status: 404, body: indexNotFound(name) };
    return { status: 200, body: { [name]: { mappings: state.mappings } } };
  }

  function getDoc(index: string, id: string): Answer {
    const state = indices.get(index);
    if (!state) return { status: 404, body: indexNotFound(index) };
    const doc = state.docs.get(id);
    if (!doc) return { status: 404, body: { _index: index, _id: id, found: false } };
    return {
      status: 200,
      body: { _index: index, _id: id, _version: doc.version, _seq_no: doc.seqNo, _primary_term: 1, found: true, _source: doc.source },
    };
  }

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
      _index: o.index,
      _id: o.id,
      status,
      error: { type, reason, index: o.index, shard: '0', index_uuid: state?.uuid ?? '_na_' },
    };
  }

  function bulkItem(request: RecordedRequest, o: BulkOp): Record<string, unknown> {
    const state = indices.get(o.index);
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
    if (o.op === 'delete') {
      if (!existing) return { _index: o.index, _id: o.id, _version: 1, result: 'not_found', _shards: shards, _seq_no: seqNo, _primary_term: 1, status: 404 };
      state.docs.delete(o.id);
      return { _index: o.index, _id: o.id, _version: existing.version + 1, result: 'deleted', _shards: shards, _seq_no: seqNo, _primary_term: 1, status: 200 };
    }
    if (o.op === 'create' && existing) {
      return itemError(o, 409, 'version_conflict_engine_exception', `[${o.id}]: version conflict, document already exists`, state);
    }
    if (o.op === 'update' && !existing) return itemError(o, 404, 'document_missing_exception', `[${o.id}]: document missing`, state);
    const version = (existing?.version ?? 0) + 1;
    state.docs.set(o.id, { source: source ?? {}, version, seqNo });
    return {
      _index: o.index,
      _id: o.id,
      _version: version,
      result: existing ? 'updated' : 'created',
      _shards: shards,
      _seq_no: seqNo,
      _primary_term: 1,
      status: existing ? 200 : 201,
    };
  }

  function search(request: RecordedRequest, index: string): Answer {
    const state = indices.get(index);
    if (!state) return { status: 404, body: indexNotFound(index) };
    const parsedBody = parseJsonBody(request);
    if (!parsedBody.ok) return parsedBody.answer;
    const body = isRecord(parsedBody.value) ? parsedBody.value : {};
    const query = request.query.q !== undefined ? { all: false, text: request.query.q, fields: ['content', 'file_name'] } : parseQuery(body.query);
    if (typeof query === 'string') return reject400(request, [query], 'parsing_exception');
    const size = typeof body.size === 'number' ? body.size : Number(request.query.size ?? 10);
    const from = typeof body.from === 'number' ? body.from : Number(request.query.from ?? 0);
    const words = terms(query.text);
    const fields = [...new Set(query.fields.map(sourceField))];

    const scored: { id: string; doc: StoredDoc; score: number }[] = [];
    for (const [id, doc] of state.docs) {
      if (query.all) {
        scored.push({ id, doc, score: 1 });
        continue;
      }
      let score = 0;
      for (const field of fields) {
        const value = doc.source[field];
        if (typeof value !== 'string') continue;
        const lower = value.toLowerCase();
        for (const w of words) score += countOccurrences(lower, w);
      }
      if (score > 0) scored.push({ id, doc, score });
    }
    scored.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));

    const highlight = isRecord(body.highlight) ? body.highlight : undefined;
    const hlFields = highlight && isRecord(highlight.fields) ? highlight.fields : {};
    const pre = highlight && Array.isArray(highlight.pre_tags) ? String(highlight.pre_tags[0]) : '<em>';
    const post = highlight && Array.isArray(highlight.post_tags) ? String(highlight.post_tags[0]) : '</em>';
    const hits = scored.slice(from, from + size).map(({ id, doc, score }) => {
      const hit: Record<string, unknown> = { _index: index, _id: id, _score: score };
      const source = filterSource(doc.source, body._source);
      if (source !== undefined) hit._source = source;
      const hl: Record<string, string[]> = {};
      for (const [field, spec] of Object.entries(hlFields)) {
        const value = doc.source[sourceField(field)];
        if (typeof value !== 'string') continue;
        const fragments = highlightField(value, words, isRecord(spec) ? spec : {}, pre, post);
        if (fragments) hl[field] = fragments;
      }
      if (Object.keys(hl).length > 0) hit.highlight = hl;
      return hit;
    });
    return {
      status: 200,
      body: {
        took: 1,
        timed_out: false,
        _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
        hits: { total: { value: scored.length, relation: 'eq' }, max_score: scored[0]?.score ?? null, hits },
      },
    };
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
      let answer: Answer;
      try {
        answer = handle(request);
      } catch (err) {
        violation(request, `recorder crashed: ${(err as Error).stack ?? String(err)}`);
        answer = { status: 500, body: errorBody(500, 'exception', String(err)) };
      }
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
    });
  });

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
    documents(index) {
      const state = indices.get(index);
      return new Map([...(state?.docs ?? new Map<string, StoredDoc>())].map(([id, d]) => [id, d.source]));
    },
    indexState(index) {
      return indices.get(index);
    },
    failNextRequests(n, status, faultOptions = {}) {
      if (!Number.isInteger(n) || n < 1) throw new RangeError('n must be a positive integer');
      requestFaults.push({ remaining: n, status, options: faultOptions });
    },
    failItems(predicate) {
      itemFault = predicate;
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
