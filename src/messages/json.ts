/** JSON text → value, failing with a permanent CODES.MESSAGE_INVALID_JSON that says what was being read. */
import { permanent } from '../core/errors.ts';
import { CODES } from '../core/codes.ts';

export function parseJson(text: string, what: string): unknown {
  // A UTF-8 byte-order mark is not JSON, but some producers add one; it carries no meaning.
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (source.trim() === '') throw permanent(CODES.MESSAGE_INVALID_JSON, `The ${what} is empty; expected JSON`);
  try {
    return JSON.parse(source) as unknown;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw permanent(CODES.MESSAGE_INVALID_JSON, `The ${what} is not valid JSON: ${reason}`, err, { length: source.length });
  }
}
