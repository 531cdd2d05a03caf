/**
 * Reuse by content (docs/design.md §5 "content records"): after the download, a file whose bytes
 * were extracted before (same sha256, detected type and extraction settings) is indexed from that
 * extraction. `acquire` is the one lookup; on a miss the caller extracts, then `settle`s what it
 * made (kept in the store: the first writer of a record wins, and every writer indexes the winner).
 *
 * On one daemon, jobs for the same content do not extract side by side: while one job looks up or
 * extracts, the others wait for it and then index its result (or, if it ends without a reusable
 * result, the next one takes its turn). Across daemons, copies that arrive together may both
 * extract; the store's first-writer-wins keeps their documents identical.
 */
import type { ContentKey, ContentStore, KeepResult, StoredContent } from './ports/content.ts';

export type Acquired =
  | { kind: 'hit'; content: StoredContent }
  /** Extract, then call `settle` (always, also on failure: null). */
  | { kind: 'miss'; settle: (result: StoredContent | null, options?: { signal?: AbortSignal }) => Promise<KeepResult | null> };

interface Turn {
  done: Promise<StoredContent | null>;
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

  async acquire(key: ContentKey, signal?: AbortSignal): Promise<Acquired> {
    const id = `${key.sha256}/${key.mime}`;
    for (;;) {
      const turn = this.#turns.get(id);
      if (turn === undefined) break;
      const content = await untilAborted(turn.done, signal);
      if (content !== null) return { kind: 'hit', content };
    }
    let finish!: (content: StoredContent | null) => void;
    const done = new Promise<StoredContent | null>((resolve) => {
      finish = resolve;
    });
    this.#turns.set(id, { done });
    let settled = false;
    const end = (content: StoredContent | null) => {
      if (settled) return;
      settled = true;
      this.#turns.delete(id);
      finish(content);
    };
    try {
      const found = await this.#store.get(key, signal ? { signal } : {});
      if (found !== null) {
        end(found);
        return { kind: 'hit', content: found };
      }
    } catch (err) {
      end(null);
      throw err;
    }
    return {
      kind: 'miss',
      settle: async (result, options = {}) => {
        if (result === null) {
          end(null);
          return null;
        }
        try {
          const kept = await this.#store.keep(key, result, options);
          end(kept.content);
          return kept;
        } catch (err) {
          end(null);
          throw err;
        }
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
