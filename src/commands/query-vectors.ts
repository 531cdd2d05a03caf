import type { EmbeddingService } from '../adapters/embedder/embedding-service.ts';
import type { SearchOptions } from '../core/index-document.ts';
import { classifyError } from '../core/classify.ts';

/** Titan Multimodal takes English text only: other queries are not matched against images. */
const LATIN_ONLY = /^[\p{Script=Latin}\p{N}\p{P}\p{S}\s]+$/u;

export interface QueryVectors {
  vectors: NonNullable<SearchOptions['vectors']>;
  /** Why the search is text-only or partly so, when it is. */
  note?: string;
}

/**
 * The query's embeddings for hybrid search: its text vector (and, for an English query, its vector
 * in the image model's space, so it can find pictures). Bedrock failing is not fatal: the search
 * falls back to text matching and says so.
 */
export async function queryVectors(service: EmbeddingService | undefined, query: string, signal?: AbortSignal): Promise<QueryVectors> {
  if (service === undefined) return { vectors: {} };
  const options = signal ? { signal } : {};
  const vectors: QueryVectors['vectors'] = {};
  try {
    if (service.text) vectors.text = (await service.embedText(query, 'query', options)).vector;
    if (service.imageQuery && LATIN_ONLY.test(query)) vectors.image = (await service.embedText(query, 'query', options, service.imageQuery)).vector;
    return { vectors };
  } catch (err) {
    const e = classifyError(err);
    return { vectors, note: `query embedding failed (${e.code}: ${e.message}); ranking by text${vectors.text ? ' and the text vector' : ''} only` };
  }
}
