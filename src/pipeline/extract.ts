import type { DetectedType } from './detect-type.ts';
import type { Extraction } from './build-document.ts';
import { assemblePages } from './assemble-pages.ts';
import type { DocumentReader, PageResult } from './document-reader.ts';
import { extractPlainText } from './extract-text.ts';
import { isIngestError } from '../core/errors.ts';

export interface ExtractOptions {
  signal: AbortSignal;
  /** PDFs, images and OOXML documents go to the worker pool through this port. */
  reader: DocumentReader;
  /** OCR pages under this mean confidence get a warning. */
  lowConfidence: number;
  onPage?: (page: PageResult) => void;
  /** Pages of a PDF or image finished by an earlier attempt. */
  resume?: PageResult[];
}

/**
 * Text for a detected type. Text formats are decoded here; OOXML (docx/xlsx/pptx, read from its
 * parts), PDFs and images are read in the worker pool (text layer first, OCR where there is none);
 * other types (legacy OLE2 Office, archives, unknown binaries) are indexed metadata-only so they
 * stay findable by name and path.
 */
export async function extractContent(path: string, type: DetectedType, options: ExtractOptions): Promise<Extraction> {
  const { signal } = options;
  switch (type.category) {
    case 'text': {
      const out = await extractPlainText(path, { signal });
      return { text: out.text, textSource: out.text.trim() === '' ? 'none' : 'text-layer', pageCount: null, ocrConfidence: null, encoding: out.encoding, warnings: out.warnings };
    }
    case 'office': {
      const out = await options.reader.office(path, type.mime, { signal });
      return { text: out.text, textSource: out.text.trim() === '' ? 'none' : 'text-layer', pageCount: out.pageCount, ocrConfidence: null, encoding: null, warnings: out.warnings };
    }
    case 'pdf':
    case 'image': {
      try {
        const result = await options.reader.read(type.category, path, type.mime, {
          signal, ...(options.onPage ? { onPage: options.onPage } : {}), ...(options.resume ? { resume: options.resume } : {}),
        });
        return assemblePages(result, options.lowConfidence);
      } catch (err) {
        // readable but not decodable by this build (HEIC without a HEVC decoder): findable by name
        if (isIngestError(err) && err.code === 'IMAGE_UNSUPPORTED') return metadataOnly([`METADATA_ONLY: ${err.message}`]);
        throw err;
      }
    }
    case 'legacy-office':
      return metadataOnly([`METADATA_ONLY: legacy Office format (OLE2 ${type.extension ?? type.mime}) is not extracted; indexed by name and path only`]);
    case 'empty':
      return metadataOnly(['EMPTY_FILE']);
    default:
      return metadataOnly([`METADATA_ONLY: no text extractor for ${type.mime}`]);
  }
}

function metadataOnly(warnings: string[]): Extraction {
  return { text: '', textSource: 'none', pageCount: null, ocrConfidence: null, encoding: null, warnings };
}
