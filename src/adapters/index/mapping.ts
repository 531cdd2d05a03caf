/**
 * Settings and mappings of the OpenSearch index (docs/design.md §6), and reading the vector dimensions
 * (and the mapping version) back from a `GET /{index}/_mapping` response for the daemon's startup
 * check, `setup` and `doctor`. docs/opensearch.md explains the choices.
 */
import { isRecord } from './opensearch-errors.ts';

/**
 * Version of what indexBody() produces. Bump it whenever the mapping or the analysis changes in a
 * way existing indices do not have: `setup` then reports the index as outdated and
 * `setup --roll --reindex` moves the documents into a new index made with the current body. It is
 * stored in the index's `_meta` (indices made before versioning have none and count as version 1).
 *   1: the first mapping (no `_meta`)
 *   2: `embedding_pending`, `text_embedding_truncated`; `kuromoji_stemmer`; `_meta`
 */
export const MAPPING_VERSION = 2;
/** Key under `mappings._meta` holding spot-ingest's facts about the index. */
export const META_KEY = 'spot_ingest';

/** Analyser of `content` (and the text of names/paths): kuromoji, base forms, no particles or stop words. */
export const CONTENT_ANALYZER = 'ja_kuromoji';
/** Analyser of `content.ngram`: character 2-3-grams for partial matches (any script). */
export const NGRAM_ANALYZER = 'ja_ngram';
export const NGRAM_TOKENIZER = 'ja_ngram_tokenizer';

export const TEXT_EMBEDDING_FIELD = 'text_embedding';
export const IMAGE_EMBEDDING_FIELD = 'image_embedding';

export interface IndexBodyOptions {
  /** Dimension of the text embedding model; null/undefined ⇒ no `text_embedding` field. */
  textEmbeddingDims?: number | null;
  /** Dimension of the image embedding model; null/undefined ⇒ no `image_embedding` field. */
  imageEmbeddingDims?: number | null;
}

export interface VectorDimensions {
  text: number | null;
  image: number | null;
}

/** What a `GET /{name}/_mapping` answer says about the index (or the indices behind an alias). */
export interface MappingDescription {
  /** The concrete indices that answered (one for an index or a one-index alias), sorted. */
  indices: string[];
  /** Vector dimensions of the first of them. */
  dims: VectorDimensions;
  /** MAPPING_VERSION the first of them was made with; 1 when it has no `_meta` (made before versioning). */
  mappingVersion: number | null;
}

function knnVector(dimension: number): Record<string, unknown> {
  return {
    type: 'knn_vector',
    dimension,
    method: {
      name: 'hnsw',
      engine: 'lucene',
      space_type: 'cosinesimil',
      parameters: { ef_construction: 128, m: 16 },
    },
  };
}

function checkDims(name: string, value: number | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  if (!Number.isInteger(value) || value < 1 || value > 16_000) {
    throw new RangeError(`${name} must be an integer between 1 and 16000, got ${String(value)}`);
  }
  return value;
}

/** The body of `PUT /{index}`: analysis settings and the §6 document mapping. */
export function indexBody(options: IndexBodyOptions = {}): Record<string, unknown> {
  const textDims = checkDims('textEmbeddingDims', options.textEmbeddingDims);
  const imageDims = checkDims('imageEmbeddingDims', options.imageEmbeddingDims);
  const knn = textDims !== null || imageDims !== null;

  const keyword = { type: 'keyword' };
  const textWithKeyword = {
    type: 'text',
    analyzer: CONTENT_ANALYZER,
    fields: { keyword: { type: 'keyword', ignore_above: 2048 } },
  };

  const properties: Record<string, unknown> = {
    bucket: keyword,
    key: keyword,
    file_name: textWithKeyword,
    original_path: textWithKeyword,
    extension: keyword,
    content_type: keyword,
    size: { type: 'long' },
    sha256: keyword,
    etag: keyword,
    modified_at: { type: 'date' },
    indexed_at: { type: 'date' },
    page_count: { type: 'integer' },
    content: {
      type: 'text',
      analyzer: CONTENT_ANALYZER,
      // Offsets in the postings let the highlighter work on large documents without re-analysing them.
      index_options: 'offsets',
      fields: { ngram: { type: 'text', analyzer: NGRAM_ANALYZER } },
    },
    text_source: keyword,
    ocr_confidence: { type: 'float' },
    thumbnail_key: keyword,
    warnings: keyword,
    encoding: keyword,
    width: { type: 'integer' },
    height: { type: 'integer' },
    taken_at: { type: 'date' },
    embedding_pending: { type: 'boolean' },
    text_embedding_truncated: { type: 'boolean' },
  };
  if (textDims !== null) properties[TEXT_EMBEDDING_FIELD] = knnVector(textDims);
  if (imageDims !== null) properties[IMAGE_EMBEDDING_FIELD] = knnVector(imageDims);

  return {
    settings: {
      index: {
        ...(knn ? { knn: true } : {}),
        analysis: {
          analyzer: {
            [CONTENT_ANALYZER]: {
              type: 'custom',
              tokenizer: 'kuromoji_tokenizer',
              // The order of OpenSearch's built-in `kuromoji` analyser: base forms (走った → 走る), drop
              // particles and auxiliaries by part of speech, full/half width folding (ＡＢＣ → ABC,
              // ｶﾅ → カナ) before the stop list so folded stop words go too, Japanese stop words,
              // the katakana long-vowel stemmer (サーバー = サーバ), lowercase for Latin text.
              filter: ['kuromoji_baseform', 'kuromoji_part_of_speech', 'cjk_width', 'ja_stop', 'kuromoji_stemmer', 'lowercase'],
            },
            [NGRAM_ANALYZER]: {
              type: 'custom',
              tokenizer: NGRAM_TOKENIZER,
              filter: ['cjk_width', 'lowercase'],
            },
          },
          tokenizer: {
            [NGRAM_TOKENIZER]: {
              type: 'ngram',
              min_gram: 2,
              max_gram: 3,
              token_chars: ['letter', 'digit'],
            },
          },
        },
      },
    },
    mappings: {
      // Fields not listed here are kept in _source but not indexed (a new pipeline field must not
      // make every document fail, nor silently get a dynamic mapping).
      dynamic: false,
      _meta: { [META_KEY]: { mapping_version: MAPPING_VERSION } },
      properties,
    },
  };
}


function dimensionOf(properties: Record<string, unknown>, field: string): number | null {
  const mapping = properties[field];
  if (!isRecord(mapping) || mapping.type !== 'knn_vector') return null;
  const dims = mapping.dimension;
  if (typeof dims === 'number' && Number.isInteger(dims)) return dims;
  if (typeof dims === 'string' && /^\d+$/.test(dims)) return Number(dims);
  return null;
}

function mappingVersionOf(mappings: Record<string, unknown>): number {
  const meta = isRecord(mappings._meta) ? mappings._meta[META_KEY] : undefined;
  const version = isRecord(meta) ? meta.mapping_version : undefined;
  if (typeof version === 'number' && Number.isInteger(version) && version >= 1) return version;
  if (typeof version === 'string' && /^\d+$/.test(version)) return Number(version);
  return 1;
}

/**
 * The indices, vector dimensions and mapping version in a `GET /{name}/_mapping` response: keyed
 * by concrete index name (`{"files-v2": {"mappings": {...}}}`), also when `name` is an alias.
 */
export function describeMapping(mappingResponse: unknown): MappingDescription {
  if (!isRecord(mappingResponse)) return { indices: [], dims: { text: null, image: null }, mappingVersion: null };
  const indices = Object.keys(mappingResponse)
    .filter((name) => isRecord(mappingResponse[name]))
    .sort();
  const first = indices[0] === undefined ? undefined : mappingResponse[indices[0]];
  const mappings = isRecord(first) && isRecord(first.mappings) ? first.mappings : undefined;
  return {
    indices,
    dims: vectorDimensions(mappings === undefined ? undefined : { mappings }),
    mappingVersion: mappings === undefined ? null : mappingVersionOf(mappings),
  };
}

/**
 * Vector dimensions from a `GET /{index}/_mapping` response
 * (`{"<concrete index>": {"mappings": {"properties": {...}}}}`; an alias answers with its
 * concrete index name as the key). Also accepts a bare `{mappings: ...}` or `{properties: ...}`.
 */
export function vectorDimensions(mappingResponse: unknown): VectorDimensions {
  const none: VectorDimensions = { text: null, image: null };
  if (!isRecord(mappingResponse)) return none;
  const candidates: unknown[] = [];
  if ('mappings' in mappingResponse || 'properties' in mappingResponse) candidates.push(mappingResponse);
  else candidates.push(...Object.values(mappingResponse));
  for (const candidate of candidates) {
    if (!isRecord(candidate)) continue;
    const mappings = isRecord(candidate.mappings) ? candidate.mappings : candidate;
    const properties = mappings.properties;
    if (!isRecord(properties)) continue;
    return {
      text: dimensionOf(properties, TEXT_EMBEDDING_FIELD),
      image: dimensionOf(properties, IMAGE_EMBEDDING_FIELD),
    };
  }
  return none;
}
