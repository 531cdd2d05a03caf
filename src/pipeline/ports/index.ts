/**
 * The search index, as the pipeline and the commands use it (docs/design.md §6). Implementations:
 * OpenSearch (src/adapters/index/opensearch.ts), SQLite FTS5 (src/adapters/index/sqlite.ts).
 */
import type { IndexDocument, IndexOptions, PendingPage, SearchHit, SearchOptions } from '../../core/index-document.ts';

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
