/**
 * The embed step: a text vector from the document's text and, for images, an image vector from the
 * file, through the EmbeddingService (breaker, budget, accounting). Retryable failures (throttling
 * after the SDK's retries, an outage, the circuit open) are thrown, so the message is retried and
 * nothing is indexed half-done; Bedrock refusing this input, or an image that cannot be made fit,
 * only costs that vector (a warning). With the daily budget spent, nothing is embedded and the
 * document is marked `embedding_pending` for `spot-ingest reembed`.
 */
import type { EmbeddingService } from '../adapters/embedder/embedding-service.ts';
import { prepareImage } from '../adapters/embedder/prepare-image.ts';
import type { IndexDocument } from '../core/index-document.ts';
import { isIngestError } from '../core/errors.ts';

export type EmbeddingFields = Pick<IndexDocument, 'text_embedding' | 'image_embedding' | 'embedding_pending' | 'text_embedding_truncated'>;

export interface EmbedInput {
  text: string;
  /** The file, when it is an image (the image model embeds it). */
  imagePath?: string | Buffer | null;
  signal?: AbortSignal;
}

export interface EmbedResult {
  fields: EmbeddingFields;
  warnings: string[];
  /** What the calls cost: Bedrock input tokens and images (what reusing the vectors saves). */
  usage: { inputTokens: number; images: number };
}

/** Codes that lose one vector, not the document. */
const INPUT_REFUSED = new Set(['EMBEDDING_REJECTED', 'EMBEDDING_IMAGE_UNUSABLE']);

export async function embedDocument(service: EmbeddingService, input: EmbedInput): Promise<EmbedResult> {
  const warnings: string[] = [];
  const fields: EmbeddingFields = {};
  const usage = { inputTokens: 0, images: 0 };
  const wantsText = service.text !== null && input.text.trim() !== '';
  const wantsImage = service.image !== null && input.imagePath != null;
  if (!wantsText && !wantsImage) return { fields, warnings, usage };
  const options = input.signal ? { signal: input.signal } : {};
  const deferred = (): EmbedResult => {
    warnings.push(`EMBEDDING_DEFERRED: the daily Bedrock budget (INGEST_BEDROCK_DAILY_BUDGET_USD) is spent; indexed without vectors until "spot-ingest reembed"`);
    return { fields: { embedding_pending: true }, warnings, usage };
  };
  if (service.paused) return deferred();

  if (wantsText) {
    try {
      const result = await service.embedText(input.text, 'document', options);
      fields.text_embedding = result.vector;
      usage.inputTokens += result.inputTokens;
      fields.text_embedding_truncated = result.truncated;
      if (result.truncated) {
        warnings.push(`EMBEDDING_TEXT_TRUNCATED: the text vector is made from the first ${result.charsUsed} of ${input.text.length} characters (the model's input limit)`);
      }
    } catch (err) {
      if (!isIngestError(err) || !INPUT_REFUSED.has(err.code)) throw err;
      warnings.push(`EMBEDDING_TEXT_REJECTED: ${err.message}`);
    }
  }
  if (wantsImage) {
    if (service.paused) return deferred();
    const embedder = service.image!;
    try {
      const image = await prepareImage(input.imagePath!, { maxSide: embedder.model.maxImageSide, ...options });
      const result = await service.embedImage(image, options);
      fields.image_embedding = result.vector;
      usage.inputTokens += result.inputTokens;
      usage.images += 1;
    } catch (err) {
      if (!isIngestError(err) || !INPUT_REFUSED.has(err.code)) throw err;
      warnings.push(`EMBEDDING_IMAGE_REJECTED: ${err.message}`);
    }
  }
  fields.embedding_pending = false;
  return { fields, warnings, usage };
}
