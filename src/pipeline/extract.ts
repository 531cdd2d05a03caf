import type { DetectedType } from './detect-type.ts';
import type { Extraction } from './build-document.ts';
import { extractPlainText } from './extract-text.ts';
import { extractOffice } from './extract-office.ts';

/**
 * Text for a detected type. Text formats are decoded here, OOXML (docx/xlsx/pptx) read from its
 * parts; types without an extractor yet (PDF, images, legacy OLE2 Office) are indexed metadata-only
 * so they stay findable by name and path.
 */
export async function extractContent(path: string, type: DetectedType, signal: AbortSignal): Promise<Extraction> {
  const none = (warnings: string[]): Extraction => ({ text: '', textSource: 'none', pageCount: null, ocrConfidence: null, encoding: null, warnings });
  switch (type.category) {
    case 'text': {
      const out = await extractPlainText(path, { signal });
      return { text: out.text, textSource: out.text.trim() === '' ? 'none' : 'text-layer', pageCount: null, ocrConfidence: null, encoding: out.encoding, warnings: out.warnings };
    }
    case 'office': {
      const out = await extractOffice(path, type.mime, { signal });
      return { text: out.text, textSource: out.text.trim() === '' ? 'none' : 'text-layer', pageCount: out.pageCount, ocrConfidence: null, encoding: null, warnings: out.warnings };
    }
    case 'legacy-office':
      return none([`METADATA_ONLY: legacy Office format (OLE2 ${type.extension ?? type.mime}) is not extracted; indexed by name and path only`]);
    case 'empty':
      return none(['EMPTY_FILE']);
    default:
      return none([`METADATA_ONLY: no text extractor for ${type.mime}`]);
  }
}
