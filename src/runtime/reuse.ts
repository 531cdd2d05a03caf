import type { Config } from '../config.ts';
import type { EmbeddingService } from '../adapters/embedder/embedding-service.ts';
import { ContentReuse } from '../pipeline/content-reuse.ts';
import { settingsFingerprint, type EmbeddingModelUse } from '../pipeline/extraction-settings.ts';
import type { ContentStore } from '../pipeline/ports/content.ts';

export type ReuseConfig = Pick<Config, 'reuse' | 'ocrLangs' | 'ocrDpi' | 'pdfMaxPages' | 'pdfMinTextChars' | 'ocrLowConfidence' | 'thumbnailSize'>;

/**
 * Reuse by content as configured (INGEST_REUSE): undefined when off. The fingerprint holds the
 * settings extraction depends on and the embedding models actually in use (none when embeddings
 * are off), so a record made without vectors is not reused once Bedrock is on, and vice versa.
 */
export function createContentReuse(config: ReuseConfig, store: ContentStore, embedder: EmbeddingService | undefined): ContentReuse | undefined {
  if (!config.reuse) return undefined;
  const use = (m: { model: { id: string }; dimensions: number } | null | undefined): EmbeddingModelUse | null =>
    m ? { id: m.model.id, dimensions: m.dimensions } : null;
  const on = embedder?.enabled === true;
  return new ContentReuse(store, settingsFingerprint({
    ocrLangs: config.ocrLangs, ocrDpi: config.ocrDpi, pdfMaxPages: config.pdfMaxPages, pdfMinTextChars: config.pdfMinTextChars,
    ocrLowConfidence: config.ocrLowConfidence, thumbnailSize: config.thumbnailSize,
    textModel: on ? use(embedder.text) : null,
    imageModel: on ? use(embedder.image) : null,
  }));
}
