/**
 * Reuse by content (docs/design.md §5 "content records"): after the download, a file whose bytes
 * were extracted before (same sha256, detected type and extraction settings) is indexed from that
 * extraction. `acquire` is the one lookup; on a miss the caller extracts, then `settle`s what it
 * made (kept in the store: the first writer of a record wins, and every writer indexes the winner).
 * Reuse only saves work: a lookup or keep that fails (the store unreachable, throttled) is a miss
 * or a result not kept, never the job's failure; only an abort ends the job.
 *
 * On one daemon, jobs for the same content do not extract side by side: while one job looks up or
 * extracts, the others wait for it and then index its result (or, if it ends without a reusable
 * result, the next one takes its turn). A waiting job lends its slot to a new message (park) and
 * hears of each page the extraction finishes, so its own deadline moves on with it. Across
 * daemons, copies that arrive together may both extract; the store's first-writer-wins keeps their
 * documents identical.
 */
import { classifyError } from '../core/classify.ts';
import type { IngestError } from '../core/errors.ts';
import type { ContentKey, ContentStore, KeepResult, StoredContent } from './ports/content.ts';

export type Acquired =
  | { kind: 'hit'; content: StoredContent }
  /** Extract, then call `settle` (always, also on failure: null). */
  | {
    kind: 'miss';
    /** The lookup failed (not aborted): the job extracts as if nothing were kept. */
    lookupFailed?: IngestError;
    settle: (result: StoredContent | null, options?: { signal?: AbortSignal }) => Promise<KeepResult | null>;
    /** A page of the extraction was finished: told to the jobs waiting for it (their deadlines move on too). */
    pageDone: () => void;
  };

/** What a job waiting for another's extraction lends and hears. */
export interface Waiting {
  signal?: AbortSignal | undefined;
  /** Lend the job's slot while it waits (JobContext.park). */
  park?: (() => () => void) | undefined;
  /** Each page the other job finishes (JobContext.pageDone). */
  pageDone?: (() => void) | undefined;
}

interface Turn {
  done: Promise<StoredContent | null>;
  pageListeners: Set<() => void>;
}

export class ContentReuse {
  readonly settings: string;
  readonly #store: ContentStore;
  readonly #turns = new Map<string, Turn>();

  constructor(store: ContentStore, settings: string) {
    this.#store = store;
    this.settings = settings;
  }

  key(sha256: string, mime: string): ContentKey {
    return { sha256, mime, settings: this.settings };
  }

  async acquire(key: ContentKey, waiting: Waiting = {}): Promise<Acquired> {
    const { signal } = waiting;
    const id = `${key.sha256}/${key.mime}`;
    for (;;) {
      const turn = this.#turns.get(id);
      if (turn === undefined) break;
      const unpark = waiting.park?.();
      const onPage = waiting.pageDone;
      if (onPage) turn.pageListeners.add(onPage);
      try {
        const content = await untilAborted(turn.done, signal);
        if (content !== null) return { kind: 'hit', content };
      } finally {
        if (onPage) turn.pageListeners.delete(onPage);
        unpark?.();
      }
    }
    const { promise: done, resolve: finish } = Promise.withResolvers<StoredContent | null>();
    const pageListeners = new Set<() => void>();
    this.#turns.set(id, { done, pageListeners });
    let settled = false;
    let lookupFailed: IngestError | undefined;
    const end = (content: StoredContent | null) => {
      if (settled) return;
      settled = true;
      this.#turns.delete(id);
      finish(content);
    };
    /** A store failure reuse can do without; an abort ends the turn and the job (rethrown). */
    const storeFailure = (err: unknown, cut: AbortSignal | undefined): IngestError => {
      if (cut?.aborted) {
        end(null);
        throw err;
      }
      return classifyError(err);
    };
    try {
      const found = await this.#store.get(key, signal ? { signal } : {});
      if (found !== null) {
        end(found);
        return { kind: 'hit', content: found };
      }
    } catch (err) {
      lookupFailed = storeFailure(err, signal); // a miss: the job extracts
    }
    return {
      kind: 'miss',
      ...(lookupFailed ? { lookupFailed } : {}),
      pageDone: () => {
        for (const listener of pageListeners) listener();
      },
      settle: async (result, options = {}) => {
        if (result === null) {
          end(null);
          return null;
        }
        let kept: KeepResult;
        try {
          kept = await this.#store.keep(key, result, options);
        } catch (err) {
          // not kept, but made: the job (and the copies waiting for it) index this result
          kept = { kept: 'no', content: result, reason: 'the store failed', error: storeFailure(err, options.signal) };
        }
        end(kept.content);
        return kept;
      },
    };
  }
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
