/**
 * Settings and mappings of the OpenSearch index (DESIGN.md §6), and reading the vector dimensions
 * back from a `GET /{index}/_mapping` response for the daemon's startup check.
 */

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
              filter: ['kuromoji_baseform', 'kuromoji_part_of_speech', 'ja_stop', 'cjk_width', 'lowercase'],
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
      properties,
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function dimensionOf(properties: Record<string, unknown>, field: string): number | null {
  const mapping = properties[field];
  if (!isRecord(mapping) || mapping.type !== 'knn_vector') return null;
  const dims = mapping.dimension;
  if (typeof dims === 'number' && Number.isInteger(dims)) return dims;
  if (typeof dims === 'string' && /^\d+$/.test(dims)) return Number(dims);
  return null;
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
