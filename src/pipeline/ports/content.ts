/**
 * Extractions kept by content (docs/design.md §5 "content records"): what one file's bytes gave
 * under one set of extraction settings, so that another key holding the same bytes is indexed from
 * it without extraction, OCR or Bedrock calls. Implementations: DynamoDB (the state table, S3 for
 * large ones; src/adapters/content/dynamodb.ts) and SQLite (local mode; sqlite.ts).
 *
 * A record is immutable once written and belongs to no document: deleting or re-extracting the
 * document it was first made for leaves it as it is, and no document depends on it (each reused
 * document gets its own copy of everything, thumbnail included).
 */
import type { TextSource } from '../../core/index-document.ts';

export interface ContentKey {
  /** sha256 (hex) of the file's bytes. */
  sha256: string;
  /** The detected type (detection also looks at the name, so the same bytes may be another type under another key). */
  mime: string;
  /** Fingerprint of the extraction settings (extraction-settings.ts). */
  settings: string;
}

export interface StoredVectors {
  text_embedding?: number[] | null;
  image_embedding?: number[] | null;
  text_embedding_truncated?: boolean | null;
  /** Made without the vectors it should have (the Bedrock budget was spent): never kept. */
  embedding_pending?: boolean;
}

export interface StoredContent {
  /** `s3://bucket/key` the content was first extracted from. */
  from: string;
  /** ISO-8601 */
  createdAt: string;
  text: string;
  textSource: TextSource;
  pageCount: number | null;
  ocrConfidence: number | null;
  encoding: string | null;
  /** The document's warnings: the extraction's and the embedding's. */
  warnings: string[];
  width: number | null;
  height: number | null;
  takenAt: string | null;
  /** WebP thumbnail bytes, or null when there was none. */
  thumbnail: Uint8Array | null;
  /** The vectors, or null when no embedding model was on. */
  vectors: StoredVectors | null;
  /** What making it took, i.e. what a reuse saves: pages read (PDF and image pages), Bedrock input tokens and images. */
  cost: { pages: number; bedrockInputTokens: number; bedrockImages: number };
}

/** How keep() ended: this content was kept, another writer's was there first, or it could not be kept. */
export type KeepResult =
  | { kept: 'ours'; content: StoredContent }
  | { kept: 'theirs'; content: StoredContent }
  | { kept: 'no'; content: StoredContent; reason: string };

export interface ContentStore {
  /** One read: the content kept for this key, or null. */
  get(key: ContentKey, options?: { signal?: AbortSignal }): Promise<StoredContent | null>;
  /**
   * Keeps `content` for `key` unless content is kept for it already: the first writer wins, and a
   * later one gets the winner's content back to index (two daemons racing on copies never make
   * two different documents).
   */
  keep(key: ContentKey, content: StoredContent, options?: { signal?: AbortSignal }): Promise<KeepResult>;
}
