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
import type { ContentKey, KeepResult, StoredContent } from '../../core/content-record.ts';

export type { ContentKey, KeepResult, StoredContent, StoredVectors } from '../../core/content-record.ts';

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
