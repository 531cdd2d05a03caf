import type { QueueMessage } from '../consumer/queue-message.ts';
import type { MessageOutcome } from '../core/outcome.ts';
import type { JobResult, Reused } from '../consumer/processor.ts';

const MARK: Record<MessageOutcome, string> = {
  done: '✔', duplicate: '=', stale: '~', retry: '↻', 'dead-letter': '✖', released: '⏎',
};

/** One human line per settled message: outcome, file, text source, characters, pages, OCR confidence, step timings. */
export function printProgress(out: NodeJS.WritableStream, message: QueueMessage, outcome: MessageOutcome, result: JobResult): void {
  const events = result.events.length > 0 ? result.events : [{ key: `(message ${message.messageId.slice(0, 8)})`, outcome, steps: undefined }];
  for (const e of events) {
    // top-level steps only: the extraction's own sub-steps (extract.ocr, ...) are in the state record
    const steps = e.steps ? Object.entries(e.steps).filter(([k]) => !k.includes('.')).map(([k, v]) => `${k} ${v}ms`).join(', ') : '';
    const detail = [
      'textSource' in e && e.textSource ? e.textSource : undefined,
      'characters' in e && typeof e.characters === 'number' ? `${e.characters} chars` : undefined,
      'pages' in e && typeof e.pages === 'number' ? `${e.pages} ${e.pages === 1 ? 'page' : 'pages'}` : undefined,
      'ocrConfidence' in e && typeof e.ocrConfidence === 'number' ? `OCR confidence ${e.ocrConfidence}` : undefined,
      'reused' in e && e.reused ? reusedText(e.reused) : undefined,
      'warnings' in e && e.warnings ? `⚠ ${e.warnings.join(', ')}` : undefined,
      result.error && outcome !== 'done' ? `${result.error.code}: ${result.error.message}` : undefined,
      steps ? `(${steps})` : undefined,
    ].filter(Boolean).join('  ');
    out.write(`${MARK[outcome]} ${outcome.padEnd(11)} ${e.key}  ${detail}\n`);
  }
}

/** "reused from s3://b/k (saved 3 pages, 1200 Bedrock tokens)": the document was indexed from an earlier extraction of the same bytes. */
export function reusedText(reused: Reused): string {
  const saved = [`${reused.savedPages} ${reused.savedPages === 1 ? 'page' : 'pages'}`, ...(reused.savedBedrockTokens > 0 ? [`${reused.savedBedrockTokens} Bedrock tokens`] : [])];
  return `reused from ${reused.from} (saved ${saved.join(', ')})`;
}
