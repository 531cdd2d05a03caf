import { StartupError } from '../../core/errors.ts';
import type { VectorDimensions } from '../index/mapping.ts';
import type { ConfiguredModels } from './configured-models.ts';

/**
 * The daemon's startup check (docs/design.md §6): every configured model must have a vector field of
 * its dimension in the index. A field the configuration does not use is fine (those documents
 * simply have no such vector); a missing or different one would drop or break every vector.
 */
export function checkIndexDimensions(index: string, dims: VectorDimensions, models: ConfiguredModels): void {
  const problems: string[] = [];
  const check = (field: string, have: number | null, model: ConfiguredModels['text'], modelVar: string, dimsVar: string) => {
    if (model === null || have === model.dimensions) return;
    problems.push(have === null
      ? `the index has no ${field} field, but ${modelVar}=${model.id} is on`
      : `${field} has ${have} dimensions in the index, but ${modelVar}=${model.id} makes ${model.dimensions} (${dimsVar})`);
  };
  check('text_embedding', dims.text, models.text, 'INGEST_TEXT_EMBEDDING_MODEL', 'INGEST_TEXT_EMBEDDING_DIMENSIONS');
  check('image_embedding', dims.image, models.image, 'INGEST_IMAGE_EMBEDDING_MODEL', 'INGEST_IMAGE_EMBEDDING_DIMENSIONS');
  if (problems.length === 0) return;
  throw new StartupError(
    `OpenSearch index "${index}" does not fit the embedding models: ${problems.join('; ')}. ` +
      'Either configure the models (and dimensions) the index was made for, or create a new index for them with ' +
      '"spot-ingest setup --roll --reindex" and fill the vectors with "spot-ingest reembed".',
  );
}
