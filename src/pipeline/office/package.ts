/**
 * An OOXML package opened with yauzl: the central directory is read entry by entry
 * (`lazyEntries`), and only the parts a format needs are inflated, streamed through the XML parser
 * as they inflate. Nothing holds a whole part.
 *
 * Zip-bomb guards (docs/design.md §4.7: `OFFICE_TOO_LARGE` / `OFFICE_CORRUPT`, permanent):
 * - before anything inflates (`reserve`): the declared uncompressed sizes of the parts to read stay
 *   under `maxPartsBytes` (200 MiB) and each part's declared ratio under 1000:1;
 * - while a part inflates: zlib hands over its output 16 KiB at a time and waits for it to be taken
 *   (stream backpressure); each piece is counted before it is parsed, and a part that inflates past
 *   what it declared is stopped there, `OFFICE_CORRUPT` (yauzl's `validateEntrySizes` says the same).
 *   So no entry produces more than one piece (≤ 64 KiB) beyond its declared size, whatever its header
 *   claims, and the declared sizes bound the work for real;
 * - a central directory over 64 MiB is refused as `OFFICE_TOO_LARGE`.
 *
 * Anything yauzl or zlib refuses (no end-of-central-directory record, bad headers, data past the
 * end of the file, damaged deflate data) is `OFFICE_CORRUPT`; file-system errors and aborts
 * propagate unchanged. The zip file is closed on every path (`close`).
 */
import { close as closeFile, open as openFile } from 'node:fs';
import type { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import yauzl, { Entry, type ZipFile } from 'yauzl';
import { permanent } from '../../core/errors.ts';
import { XmlStream, type XmlHandlers } from './xml.ts';

/** Deflate tops out near 1032:1; real XML stays well below 100:1. */
const MAX_RATIO = 1000;
/** Small parts may compress absurdly well (runs of blanks) without harm. */
const RATIO_EXEMPT_BYTES = 1024 * 1024;
const MAX_CENTRAL_DIRECTORY_BYTES = 64 * 1024 * 1024;
/** A central directory record without its name, extra field and comment. */
const CENTRAL_RECORD_BYTES = 46;

/** A part's CRC-32 did not match; the text is still used. Reads `OFFICE_CRC_MISMATCH:<part>`. */
/** A damaged package or a missing main part: permanent `OFFICE_CORRUPT`. */
export function corrupt(message: string, cause?: unknown, details?: Record<string, unknown>) {
  return permanent('OFFICE_CORRUPT', `corrupt Office file: ${message}`, cause, details);
}

export const OFFICE_CRC_MISMATCH = 'OFFICE_CRC_MISMATCH';

/** What reading a part needs of its central directory record (a yauzl Entry holds much more). */
interface Part {
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

export interface OfficePackageLimits {
  /** Refuse when the parts read declare (or inflate to) more than this many bytes. */
  maxPartsBytes: number;
  /**
   * Characters of text handed to the formats, all parts together; text past it is dropped and
   * `textCapped` set (docProps/ parts are not counted). What a document says beyond the index's text
   * limit costs memory for nothing.
   */
  maxTextChars: number;
}

export class OfficePackage {
  readonly warnings: string[] = [];
  /** Text was dropped at `maxTextChars`. */
  textCapped = false;
  readonly #zip: ZipFile;
  readonly #entries: Map<string, Part>;
  readonly #signal: AbortSignal | undefined;
  readonly #maxPartsBytes: number;
  readonly #maxTextChars: number;
  /** Bytes inflated so far, all parts together. */
  #inflated = 0;
  /** Characters of text handed to the formats so far. */
  #textChars = 0;

  private constructor(zip: ZipFile, entries: Map<string, Part>, signal: AbortSignal | undefined, limits: OfficePackageLimits) {
    this.#zip = zip;
    this.#entries = entries;
    this.#signal = signal;
    this.#maxPartsBytes = limits.maxPartsBytes;
    this.#maxTextChars = limits.maxTextChars;
  }

  /** Opens the package and reads its central directory; the caller must `close()` it. */
  static async open(path: string, signal: AbortSignal | undefined, limits: OfficePackageLimits): Promise<OfficePackage> {
    signal?.throwIfAborted();
    const zip = await openZip(path);
    try {
      const entries = await readEntries(zip, signal);
      return new OfficePackage(zip, entries, signal, limits);
    } catch (err) {
      await closeZip(zip);
      throw err;
    }
  }

  /** Closes the package; resolves once its file descriptor is closed (not merely released). */
  close(): Promise<void> {
    return closeZip(this.#zip);
  }

  names(): string[] {
    return [...this.#entries.keys()];
  }

  has(name: string): boolean {
    return this.#entries.has(name);
  }

  /** Checks, before anything is inflated, that the parts about to be read are within the limits. */
  reserve(names: readonly string[]): void {
    let total = 0;
    for (const name of new Set(names)) {
      const e = this.#entries.get(name);
      if (e === undefined) continue;
      total += e.size;
      if (e.size > RATIO_EXEMPT_BYTES && e.size > e.compressedSize * MAX_RATIO) {
        throw permanent('OFFICE_TOO_LARGE', `Office part ${name} declares ${e.size} bytes from ${e.compressedSize} compressed (ratio over ${MAX_RATIO}:1)`, undefined, { part: name, size: e.size, compressedSize: e.compressedSize });
      }
    }
    if (total > this.#maxPartsBytes) {
      throw permanent('OFFICE_TOO_LARGE', `Office parts declare ${total} bytes uncompressed (limit ${this.#maxPartsBytes})`, undefined, { size: total, limit: this.#maxPartsBytes });
    }
  }

  /** Bytes inflated so far, all parts together. */
  get inflatedBytes(): number {
    return this.#inflated;
  }

  /** Hands `value` to the format while the text budget lasts. */
  #keepText(value: string, text: (value: string) => void): void {
    const room = this.#maxTextChars - this.#textChars;
    if (value.length > room) this.textCapped = true;
    if (room <= 0) return;
    const kept = value.length > room ? value.slice(0, room) : value;
    this.#textChars += kept.length;
    text(kept);
  }

  /** Streams one part's XML (UTF-8; a BOM is dropped) through the handlers as it inflates. */
  async parse(name: string, handlers: XmlHandlers): Promise<void> {
    const signal = this.#signal;
    signal?.throwIfAborted();
    const e = this.#entries.get(name);
    if (e === undefined) throw corrupt(`${name} is missing`);
    if ((e.flags & 0x1) !== 0) throw corrupt(`${name} is encrypted`);
    if (e.method !== 0 && e.method !== 8) throw corrupt(`${name} uses unsupported compression method ${e.method}`);
    const { size } = e;
    if (size > this.#maxPartsBytes) throw permanent('OFFICE_TOO_LARGE', `Office part ${name} declares ${size} bytes`, undefined, { part: name, size });
    if (e.compressedSize === 0) {
      if (size !== 0) throw corrupt(`${name} has no data but declares ${size} bytes`);
      if (e.crc !== 0) this.warnings.push(`${OFFICE_CRC_MISMATCH}:${name}`);
      return; // an empty part: nothing to parse (zlib would call no data a truncated stream)
    }

    // The budget is for the document's text; metadata (docProps/: the page count) is read as it is.
    const budgeted = handlers.text !== undefined && !name.startsWith('docProps/');
    const xml = new XmlStream(name, budgeted ? { ...handlers, text: (value) => this.#keepText(value, handlers.text!) } : handlers);
    const decoder = new TextDecoder('utf-8');
    let inflated = 0;
    let crc = 0;
    const stream = await this.#open(e, name);
    const onAbort = () => stream.destroy(signal?.reason as Error);
    signal?.addEventListener('abort', onAbort, { once: true });
    let ours: unknown = null;
    try {
      for await (const piece of stream as AsyncIterable<Buffer>) {
        inflated += piece.length;
        this.#inflated += piece.length;
        // counted before it is parsed: a lying part is stopped within one piece of its declared size
        if (inflated > size) throw (ours = overflow(name, size, inflated));
        if (this.#inflated > this.#maxPartsBytes) {
          throw (ours = permanent('OFFICE_TOO_LARGE', `Office parts inflate to more than ${this.#maxPartsBytes} bytes`, undefined, { part: name, limit: this.#maxPartsBytes }));
        }
        crc = crc32(piece, crc);
        // Once the text budget is spent, the rest of a text part is only inflated (size and CRC
        // are still checked), not parsed: nothing it says would be kept.
        if (budgeted && this.textCapped) continue;
        try {
          xml.write(decoder.decode(piece, { stream: true }));
        } catch (err) {
          throw (ours = err); // the parser's or a handler's: not the zip's
        }
      }
    } catch (err) {
      signal?.throwIfAborted();
      throw err === ours ? err : zipError(err, name, size, inflated);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      stream.destroy();
    }
    if (inflated !== size) throw corrupt(`${name} inflates to ${inflated} bytes, declared ${size}`, undefined, { part: name, size, inflated });
    if (!(budgeted && this.textCapped)) {
      xml.write(decoder.decode());
      xml.end();
    }
    if ((crc >>> 0) !== e.crc) this.warnings.push(`${OFFICE_CRC_MISMATCH}:${name}`);
  }

  async #open(e: Part, name: string): Promise<Readable> {
    const entry = Object.assign(new Entry(), {
      generalPurposeBitFlag: e.flags, compressionMethod: e.method, crc32: e.crc,
      compressedSize: e.compressedSize, uncompressedSize: e.size, relativeOffsetOfLocalHeader: e.localOffset,
    });
    try {
      return await this.#zip.openReadStreamPromise(entry);
    } catch (err) {
      throw zipError(err, name, e.size, 0);
    }
  }
}

function overflow(name: string, size: number, inflated: number) {
  return corrupt(`${name} inflates to more than its declared ${size} bytes`, undefined, { part: name, size, inflated });
}

/** yauzl's and zlib's complaints are about the file (OFFICE_CORRUPT); ours and fs errors pass. */
function zipError(err: unknown, name: string, size: number, inflated: number): unknown {
  if (isIoOrOurs(err)) return err;
  const message = (err as Error | null)?.message ?? String(err);
  if (message.startsWith('too many bytes in the stream')) return overflow(name, size, inflated);
  if (message.startsWith('not enough bytes in the stream')) return corrupt(`${name} inflates to fewer bytes than the ${size} it declares`, err, { part: name, size, inflated });
  if (typeof (err as { errno?: unknown }).errno === 'number' && String((err as { code?: unknown }).code).startsWith('Z_')) {
    return corrupt(`${name} does not inflate: ${message}`, err, { part: name });
  }
  return corrupt(`${name}: ${message}`, err, { part: name });
}

/** An IngestError, or a file-system error (it carries `syscall`): not the zip's fault. */
function isIoOrOurs(err: unknown): boolean {
  const e = err as { isIngestError?: unknown; syscall?: unknown; name?: unknown } | null;
  return e !== null && typeof e === 'object' && (e.isIngestError === true || typeof e.syscall === 'string' || e.name === 'AbortError');
}

/**
 * yauzl closes the descriptor with an asynchronous fs.close once the last reader lets go, and says
 * so with 'close' (or 'error' when fs.close fails): waiting for it means a caller that returns has
 * really given the descriptor back.
 */
const closing = new WeakMap<ZipFile, Promise<void>>();
function closeZip(zip: ZipFile): Promise<void> {
  let done = closing.get(zip);
  if (done === undefined) {
    done = new Promise<void>((resolve) => {
      zip.once('close', () => resolve());
      zip.once('error', () => resolve());
    });
    closing.set(zip, done);
    zip.close();
  }
  return done;
}

/**
 * The descriptor is opened here rather than by yauzl.open, which closes it without waiting when the
 * file is no zip: a refused file's descriptor is closed before the refusal is returned.
 */
function openZip(path: string): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    openFile(path, 'r', (openErr, fd) => {
      if (openErr) return reject(openErr);
      // names are decoded below as the earlier reader did (UTF-8, `\` as `/`), not refused
      yauzl.fromFd(fd, { lazyEntries: true, validateEntrySizes: true, autoClose: false, decodeStrings: false }, (err, zip) => {
        if (!err) return resolve(zip);
        closeFile(fd, () => reject(isIoOrOurs(err) ? err : corrupt(err.message, err)));
      });
    });
  });
}

/** The central directory: part name → entry (OPC names are case-insensitive; producers agree on case in practice, the first wins). */
function readEntries(zip: ZipFile, signal: AbortSignal | undefined): Promise<Map<string, Part>> {
  if (zip.entryCount * CENTRAL_RECORD_BYTES > MAX_CENTRAL_DIRECTORY_BYTES) return Promise.reject(tooManyEntries(zip.entryCount * CENTRAL_RECORD_BYTES));
  const entries = new Map<string, Part>();
  let directoryBytes = 0;
  return new Promise((resolve, reject) => {
    const done = (err: unknown) => {
      zip.removeAllListeners('entry').removeAllListeners('end').removeAllListeners('error');
      zip.on('error', () => undefined); // a late error of a closed file must not go unhandled
      if (err === null) resolve(entries);
      else reject(err);
    };
    zip.on('error', (err: Error) => done(isIoOrOurs(err) ? err : corrupt(err.message, err)));
    zip.on('end', () => done(null));
    zip.on('entry', (e: Entry) => {
      if (signal?.aborted) return done(signal.reason);
      directoryBytes += CENTRAL_RECORD_BYTES + e.fileNameLength + e.extraFieldLength + e.fileCommentLength;
      if (directoryBytes > MAX_CENTRAL_DIRECTORY_BYTES) return done(tooManyEntries(directoryBytes));
      const name = e.fileNameRaw.toString('utf8').replace(/\\/g, '/').replace(/^\/+/, '');
      if (!entries.has(name)) {
        entries.set(name, {
          flags: e.generalPurposeBitFlag, method: e.compressionMethod, crc: e.crc32,
          compressedSize: e.compressedSize, size: e.uncompressedSize, localOffset: e.relativeOffsetOfLocalHeader,
        });
      }
      zip.readEntry();
    });
    zip.readEntry();
  });
}

function tooManyEntries(bytes: number) {
  return permanent('OFFICE_TOO_LARGE', `zip central directory of ${bytes} bytes or more (limit ${MAX_CENTRAL_DIRECTORY_BYTES})`, undefined, { size: bytes, limit: MAX_CENTRAL_DIRECTORY_BYTES });
}
