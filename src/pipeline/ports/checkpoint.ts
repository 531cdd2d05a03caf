import type { PageResult } from '../../core/document.ts';

/**
 * Finished pages of a long job (a many-page PDF), kept where a replacement instance can read them,
 * so the worker that gets a released message resumes instead of starting over (docs/design.md §4
 * "released": work done so far is checkpointed). A checkpoint belongs to one content version
 * (sha256): a changed file never resumes from another version's pages.
 */
export interface CheckpointPort {
  /** The pages saved for this document and content; [] when there are none (or for other content). */
  load(documentId: string, sha256: string, options?: { signal?: AbortSignal }): Promise<PageResult[]>;
  save(documentId: string, sha256: string, pages: readonly PageResult[], options?: { signal?: AbortSignal }): Promise<void>;
  /** Removes the checkpoint (once the document is indexed); a missing one is not an error. */
  clear(documentId: string, options?: { signal?: AbortSignal }): Promise<void>;
}
