/** The index document (docs/design.md §6) and what a search returns: the domain's shapes, whatever index holds them. */
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
