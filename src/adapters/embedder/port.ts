/**
 * The embedder port (docs/design.md §1 adapters/embedder): text and image vectors for the index's
 * `text_embedding` / `image_embedding` fields and for the query side of hybrid search.
 * Implementation: Amazon Bedrock (bedrock.ts). Every method rejects with an IngestError:
 * retryable for throttling and outages (the message is retried), not retryable when Bedrock refuses
 * this input (EMBEDDING_REJECTED: the document is indexed without that vector).
 */
import type { ModelSpec } from './models.ts';

/** What the text is for: Cohere embeds documents and queries differently; Titan ignores it. */
export type TextPurpose = 'document' | 'query';

export interface EmbedOptions {
  signal?: AbortSignal;
}

export interface TextEmbedding {
  vector: number[];
  /** Input tokens Bedrock counted (X-Amzn-Bedrock-Input-Token-Count or the body's count). */
  inputTokens: number;
  /** Characters of the text that were embedded (after preparation). */
  charsUsed: number;
  /** The text was longer than the model takes: only its beginning was embedded. */
  truncated: boolean;
}

export interface ImageEmbedding {
  vector: number[];
  inputTokens: number;
}

/** An image already prepared for the model (prepare-image.ts): JPEG or PNG within its limits. */
export interface PreparedImage {
  data: Buffer;
  format: 'jpeg' | 'png';
  width: number;
  height: number;
}

export interface TextEmbedder {
  readonly model: ModelSpec;
  /** Length of every vector this embedder returns. */
  readonly dimensions: number;
  embedText(text: string, purpose: TextPurpose, options?: EmbedOptions): Promise<TextEmbedding>;
}

export interface ImageEmbedder {
  readonly model: ModelSpec;
  readonly dimensions: number;
  embedImage(image: PreparedImage, options?: EmbedOptions): Promise<ImageEmbedding>;
}
