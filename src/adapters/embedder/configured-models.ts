import { ConfigError } from '../../core/errors.ts';
import { resolveModel, type ModelSpec } from './models.ts';

/** The embedding settings of the configuration (src/config.ts). */
export interface EmbeddingModelSettings {
  /** null: off. */
  textEmbeddingModel: string | null;
  imageEmbeddingModel: string | null;
  textEmbeddingDimensions: number | undefined;
  imageEmbeddingDimensions: number | undefined;
}

export interface ConfiguredModels {
  text: ModelSpec | null;
  image: ModelSpec | null;
}

/**
 * The text and image models the configuration names (INGEST_TEXT_EMBEDDING_MODEL /
 * INGEST_IMAGE_EMBEDDING_MODEL, `none` = off) with their dimensions; an unknown model or a
 * dimension it does not offer is a ConfigError naming the variable (exit 2).
 */
export function configuredModels(config: EmbeddingModelSettings): ConfiguredModels {
  const one = (id: string | null, dims: number | undefined, use: 'text' | 'image', variable: string, dimsVariable: string): ModelSpec | null => {
    if (id === null) return null;
    try {
      return resolveModel(id, dims, use);
    } catch (err) {
      const name = err instanceof RangeError ? dimsVariable : variable;
      throw new ConfigError(`invalid configuration:\n  ${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  return {
    text: one(config.textEmbeddingModel, config.textEmbeddingDimensions, 'text', 'INGEST_TEXT_EMBEDDING_MODEL', 'INGEST_TEXT_EMBEDDING_DIMENSIONS'),
    image: one(config.imageEmbeddingModel, config.imageEmbeddingDimensions, 'image', 'INGEST_IMAGE_EMBEDDING_MODEL', 'INGEST_IMAGE_EMBEDDING_DIMENSIONS'),
  };
}
