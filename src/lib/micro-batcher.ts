/**
 * Collects items into batches: a batch is sent when it holds `maxItems` items or `maxBytes`
 * bytes, or `lingerMs` after its first item arrived. Each caller's promise settles from its own
 * item's outcome. When a caller's signal aborts, its promise rejects with the signal's reason at
 * once: before sending, the item is removed from its batch; once sent, the caller stops waiting
 * (the request cannot be recalled for one item, so the write may still land — callers must be
 * idempotent, as indexing by a stable id is).
 */
export interface MicroBatcherOptions<T> {
  maxItems: number;
  maxBytes: number;
  lingerMs: number;
  /**
   * Sends one batch. Resolves with one entry per item, in order: null for success, else the
   * error its caller's promise rejects with. A rejection fails every item of the batch.
   */
  send: (items: readonly T[]) => Promise<ReadonlyArray<unknown>>;
  /** The error for items added after close() or still pending at destroy(). */
  closedError: () => Error;
}

interface Entry<T> {
  item: T;
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class MicroBatcher<T> {
  readonly #options: MicroBatcherOptions<T>;
  #pending: Entry<T>[] = [];
  #pendingBytes = 0;
  #linger: NodeJS.Timeout | undefined;
  readonly #inflight = new Set<Promise<void>>();
  #closed = false;

  constructor(options: MicroBatcherOptions<T>) {
    for (const name of ['maxItems', 'maxBytes'] as const) {
      if (!Number.isInteger(options[name]) || options[name] < 1) throw new RangeError(`${name} must be a positive integer`);
    }
    if (!Number.isFinite(options.lingerMs) || options.lingerMs < 0) throw new RangeError('lingerMs must be >= 0');
    this.#options = options;
  }

  get pendingCount(): number {
    return this.#pending.length;
  }

  get inflightCount(): number {
    return this.#inflight.size;
  }

  get closed(): boolean {
    return this.#closed;
  }

  add(item: T, bytes: number, signal?: AbortSignal): Promise<void> {
    if (this.#closed) return Promise.reject(this.#options.closedError());
    if (signal?.aborted) return Promise.reject(signal.reason);
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const entry: Entry<T> = { item, bytes, resolve, reject, signal, onAbort: undefined };
    if (signal) {
      entry.onAbort = () => this.#abort(entry);
      signal.addEventListener('abort', entry.onAbort, { once: true });
    }
    // Keep each request under maxBytes: what is already waiting goes first.
    if (this.#pending.length > 0 && this.#pendingBytes + bytes > this.#options.maxBytes) this.flush();
    this.#pending.push(entry);
    this.#pendingBytes += bytes;
    if (this.#pending.length >= this.#options.maxItems || this.#pendingBytes >= this.#options.maxBytes) {
      this.flush();
    } else if (this.#linger === undefined) {
      this.#linger = setTimeout(() => {
        this.#linger = undefined;
        this.flush();
      }, this.#options.lingerMs);
    }
    return promise;
  }

  /** Sends what is pending now (if anything). */
  flush(): void {
    this.#clearLinger();
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    const sending = this.#send(batch);
    this.#inflight.add(sending);
    void sending.finally(() => this.#inflight.delete(sending));
  }

  /** Flushes what is pending and waits for every batch in flight. Later add() calls reject. */
  async close(): Promise<void> {
    this.#closed = true;
    this.flush();
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  /** Rejects everything still pending (not what is in flight) and refuses new items. */
  destroy(reason?: unknown): void {
    this.#closed = true;
    this.#clearLinger();
    const batch = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    for (const entry of batch) {
      this.#detach(entry);
      entry.reject(reason ?? this.#options.closedError());
    }
  }

  async #send(batch: Entry<T>[]): Promise<void> {
    let outcomes: ReadonlyArray<unknown>;
    try {
      outcomes = await this.#options.send(batch.map((e) => e.item));
    } catch (err) {
      for (const entry of batch) {
        this.#detach(entry);
        entry.reject(err);
      }
      return;
    }
    batch.forEach((entry, i) => {
      this.#detach(entry);
      const outcome = i < outcomes.length ? outcomes[i] : new Error(`no outcome for batch item ${i}`);
      if (outcome === null || outcome === undefined) entry.resolve();
      else entry.reject(outcome);
    });
  }

  #abort(entry: Entry<T>): void {
    const index = this.#pending.indexOf(entry);
    if (index >= 0) {
      this.#pending.splice(index, 1);
      this.#pendingBytes -= entry.bytes;
      if (this.#pending.length === 0) this.#clearLinger();
    }
    // Sent or not, the caller stops waiting now; a later result for it is ignored.
    entry.onAbort = undefined;
    entry.reject(entry.signal?.reason);
  }

  #detach(entry: Entry<T>): void {
    if (entry.signal && entry.onAbort) entry.signal.removeEventListener('abort', entry.onAbort);
    entry.onAbort = undefined;
  }

  #clearLinger(): void {
    if (this.#linger !== undefined) clearTimeout(this.#linger);
    this.#linger = undefined;
  }
}
