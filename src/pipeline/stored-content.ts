/**
 * Between an extraction and a content record (ports/content.ts): what is kept of one file's
 * extraction and embedding, what a document is built from, and which results are not kept.
 * The first document of some bytes is built from the record too, so a copy indexed later from the
 * record is the same document apart from its key's own fields.
 */
import type { Extraction } from './build-document.ts';
import type { EmbedResult, EmbeddingFields } from './embed-document.ts';
import type { StoredContent } from './ports/content.ts';

export interface MadeContent {
  /** `s3://bucket/key` */
  from: string;
  extraction: Extraction;
  /** undefined: no embedding model is on. */
  embedded?: EmbedResult | undefined;
  /** PDF and image pages read (resumed ones included). */
  pagesRead: number;
  now?: Date;
}

export function contentOf(made: MadeContent): StoredContent {
  const { extraction: { substeps: _substeps, ...x }, embedded } = made;
  return {
    ...x,
    from: made.from,
    createdAt: (made.now ?? new Date()).toISOString(),
    warnings: [...x.warnings, ...(embedded?.warnings ?? [])],
    width: x.width ?? null,
    height: x.height ?? null,
    takenAt: x.takenAt ?? null,
    thumbnail: x.thumbnail ?? null,
    vectors: embedded ? { ...embedded.fields } : null,
    cost: { pages: made.pagesRead, bedrockInputTokens: embedded?.usage.inputTokens ?? 0, bedrockImages: embedded?.usage.images ?? 0 },
  };
}

/** Why this content must not be kept for reuse, or null when it may be. */
export function notReusable(content: StoredContent): string | null {
  if (content.vectors?.embedding_pending) return 'made without its vectors (the Bedrock budget was spent)';
  const failed = content.warnings.find((w) => w.startsWith('PAGE_FAILED'));
  if (failed !== undefined) return `a page failed to read (${failed})`;
  return null;
}

/** The extraction a document is built from (buildDocument). */
export function extractionOf(content: StoredContent): Extraction {
  const { from: _from, createdAt: _createdAt, vectors: _vectors, cost: _cost, ...extraction } = content;
  return { ...extraction, warnings: [...content.warnings] };
}

/** The document's vector fields (none when no embedding model was on). */
export function vectorFieldsOf(content: StoredContent): EmbeddingFields {
  return content.vectors === null ? {} : { ...content.vectors };
}
