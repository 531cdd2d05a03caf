/** The search index port (docs/design.md §6). Implementations: OpenSearch (aws), SQLite FTS5 (local). */
export type TextSource = 'text-layer' | 'ocr' | 'mixed' | 'none';

export interface IndexDocument {
  /** Stable hash of `bucket/key` (see documentId()). */
  id: string;
  bucket: string;
  key: string;
  file_name: string;
  original_path: string | null;
  extension: string | null;
  content_type: string;
  size: number;
  sha256: string;
  etag: string | null;
  /** ISO-8601 */
  modified_at: string | null;
  /** ISO-8601 */
  indexed_at: string;
  page_count: number | null;
  content: string;
  text_source: TextSource;
  ocr_confidence: number | null;
  thumbnail_key: string | null;
  text_embedding?: number[] | null;
  image_embedding?: number[] | null;
  /**
   * true when the document was indexed without vectors it should have (the daily Bedrock budget
   * was spent): `spot-ingest reembed` finds these and embeds them.
   */
  embedding_pending?: boolean;
  /** The text embedding was made from the beginning of `content` only (the model's input limit). */
  text_embedding_truncated?: boolean | null;
  warnings: string[];
  /** Encoding the text was decoded from, when it was a text file. */
  encoding?: string | null;
  /** Images: dimensions in px (after EXIF orientation) and the EXIF date the picture was taken. */
  width?: number | null;
  height?: number | null;
  taken_at?: string | null;
}

export interface IndexOptions {
  signal?: AbortSignal;
}

export interface SearchHit {
  id: string;
  score: number;
  bucket: string;
  key: string;
  file_name: string;
  original_path: string | null;
  text_source: TextSource;
  snippet: string;
}

export interface SearchOptions extends IndexOptions {
  size?: number;
  /** Query embeddings: each adds a k-NN ranking on its field, fused with the text ranking (RRF). */
  vectors?: { text?: number[] | null; image?: number[] | null };
}

export interface PendingPage {
  docs: IndexDocument[];
  /** Pass back as `after` for the next page; undefined when there is none. */
  next?: string;
}

export interface IndexPort {
  /** Create or replace the document with this id. Rejects with an IngestError for this document only. */
  upsert(doc: IndexDocument, options?: IndexOptions): Promise<void>;
  /** Remove the document; a missing document is not an error. */
  delete(id: string, options?: IndexOptions): Promise<void>;
  /** Fetch a document by id (null when absent). */
  get(id: string, options?: IndexOptions): Promise<IndexDocument | null>;
  /** Ranked hits: the text match alone, or hybrid when `vectors` are given. */
  search(query: string, options?: SearchOptions): Promise<SearchHit[]>;
  /** Documents marked `embedding_pending`, a page at a time, in a stable order. */
  listPendingEmbeddings(options: IndexOptions & { size: number; after?: string }): Promise<PendingPage>;
  /** Flush pending batched writes and release resources. Idempotent. */
  close(): Promise<void>;
}
