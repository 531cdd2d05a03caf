/**
 * A content record (docs/design.md §5 "content records"): what one file's bytes gave under one set
 * of extraction settings — the extraction, the thumbnail and the vectors — kept so that another key
 * holding the same bytes is indexed from it. The port that keeps them is
 * src/pipeline/ports/content.ts.
 */
import type { IngestError } from './errors.ts';
import type { TextSource } from './index-document.ts';

export interface ContentKey {
  /** sha256 (hex) of the file's bytes. */
  sha256: string;
  /** The detected type (detection also looks at the name, so the same bytes may be another type under another key). */
  mime: string;
  /** Fingerprint of the extraction settings (src/pipeline/extraction-settings.ts). */
  settings: string;
}

export interface StoredVectors {
  text_embedding?: number[] | null;
  image_embedding?: number[] | null;
  text_embedding_truncated?: boolean | null;
  /** Made without the vectors it should have (the Bedrock budget was spent): never kept. */
  embedding_pending?: boolean;
}

/** What reading a file gave, whatever the key: the fields an extraction and a content record share. */
export interface ExtractedText {
  text: string;
  textSource: TextSource;
  pageCount: number | null;
  ocrConfidence: number | null;
  encoding: string | null;
  warnings: string[];
}

/** The picture-related part of what reading a file gave. */
export interface ExtractedPicture {
  /** WebP thumbnail bytes (PDF page 1 or the image), or null when there was none. */
  thumbnail: Uint8Array | null;
  /** Image (or PDF page 1 at the OCR resolution) dimensions in px. */
  width: number | null;
  height: number | null;
  /** EXIF date the picture was taken (ISO 8601). */
  takenAt: string | null;
}

/** A content record; its `warnings` are the document's: the extraction's and the embedding's. */
export interface StoredContent extends ExtractedText, ExtractedPicture {
  /** `s3://bucket/key` the content was first extracted from. */
  from: string;
  /** ISO-8601 */
  createdAt: string;
  /** The vectors, or null when no embedding model was on. */
  vectors: StoredVectors | null;
  /** What making it took, i.e. what a reuse saves: pages read (PDF and image pages), Bedrock input tokens and images. */
  cost: { pages: number; bedrockInputTokens: number; bedrockImages: number };
}

/** How keep() ended: this content was kept, another writer's was there first, or it could not be kept. */
export type KeepResult =
  | { kept: 'ours'; content: StoredContent }
  | { kept: 'theirs'; content: StoredContent }
  /** `error`: the store failed (the result was made and is indexed, only not kept). */
  | { kept: 'no'; content: StoredContent; reason: string; error?: IngestError };
