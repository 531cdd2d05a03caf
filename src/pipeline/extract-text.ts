/**
 * Plain-text extraction for files detected as `text`: read (bounded), decode (encoding detected,
 * see decode-text.ts), normalise newlines to \n and Unicode to NFC.
 *
 * Problems with the content are warnings, not errors: a file over the limit is cut
 * (`TEXT_TRUNCATED`), undecodable bytes become U+FFFD (`TEXT_INVALID_BYTES:<count>`).
 * File-system errors and aborts propagate unchanged for classify.ts to judge.
 */
import { open } from 'node:fs/promises';
import { decodeText } from './decode-text.ts';

export const DEFAULT_MAX_TEXT_BYTES = 32 * 1024 * 1024;

/** The text was cut at `maxBytes`. */
export const TEXT_TRUNCATED = 'TEXT_TRUNCATED';
/** Some bytes did not decode; the warning reads `TEXT_INVALID_BYTES:<count>`. */
export const TEXT_INVALID_BYTES = 'TEXT_INVALID_BYTES';

const READ_CHUNK = 1024 * 1024;

export interface ExtractTextOptions {
  /** Read at most this many bytes of the file (default 32 MiB). */
  maxBytes?: number;
  signal?: AbortSignal;
}

export interface PlainText {
  text: string;
  /** `utf-8` | `utf-16le` | `utf-16be` | `shift_jis` | `euc-jp` | `iso-2022-jp` */
  encoding: string;
  warnings: string[];
  truncated: boolean;
  /** Replacement characters produced while decoding (also reported in `warnings`). */
  invalidBytes: number;
}

export async function extractPlainText(filePath: string, options: ExtractTextOptions = {}): Promise<PlainText> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_TEXT_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
  const { signal } = options;
  signal?.throwIfAborted();

  const { bytes, truncated } = await readUpTo(filePath, maxBytes, signal);
  const decoded = decodeText(bytes, { partial: truncated });
  signal?.throwIfAborted();
  const text = normalise(decoded.text);

  const warnings: string[] = [];
  if (truncated) warnings.push(TEXT_TRUNCATED);
  if (decoded.invalidBytes > 0) warnings.push(`${TEXT_INVALID_BYTES}:${decoded.invalidBytes}`);
  return { text, encoding: decoded.encoding, warnings, truncated, invalidBytes: decoded.invalidBytes };
}

/** CRLF and lone CR → LF; NFC so that decomposed kana/accents (e.g. from macOS) match composed ones. */
export function normalise(text: string): string {
  return text.replace(/\r\n?/g, '\n').normalize('NFC');
}

/** Reads in chunks so an abort takes effect between them (downloaded temp files do not change underneath). */
async function readUpTo(filePath: string, maxBytes: number, signal: AbortSignal | undefined): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  const handle = await open(filePath, 'r');
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.allocUnsafe(Math.min(size, maxBytes));
    let filled = 0;
    while (filled < buffer.length) {
      signal?.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, filled, Math.min(READ_CHUNK, buffer.length - filled), filled);
      if (bytesRead === 0) break; // shrank since stat
      filled += bytesRead;
    }
    return { bytes: buffer.subarray(0, filled), truncated: size > maxBytes };
  } finally {
    await handle.close();
  }
}
