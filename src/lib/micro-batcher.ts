/**
 * Collects single calls into batches (up to `maxItems`, or whatever arrived within `lingerMs`),
 * sends each batch with one `send`, and settles every caller from its own item's result.
 * `close()` flushes what is pending and waits for batches in flight; it leaves no timer behind.
 */
export type ItemResult<R> = { ok: true; value: R } | { ok: false; error: unknown };

export interface MicroBatcherOptions<T, R> {
  maxItems: number;
  lingerMs: number;
  /** Must return one result per item, in order. A throw fails every item of the batch. */
  send: (items: T[]) => Promise<ItemResult<R>[]>;
}

interface Pending<T, R> {
  item: T;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

export class MicroBatcher<T, R> {
  readonly #options: MicroBatcherOptions<T, R>;
  #pending: Pending<T, R>[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #inFlight = new Set<Promise<void>>();
  #closed = false;

  constructor(options: MicroBatcherOptions<T, R>) {
    this.#options = options;
  }

  add(item: T): Promise<R> {
    if (this.#closed) return Promise.reject(new Error('batcher is closed'));
    return new Promise<R>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      if (this.#pending.length >= this.#options.maxItems) this.flush();
      else if (this.#timer === undefined) {
        this.#timer = setTimeout(() => this.flush(), this.#options.lingerMs);
      }
    });
  }

  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.#options.maxItems);
      const run = this.#run(batch).finally(() => this.#inFlight.delete(run));
      this.#inFlight.add(run);
    }
  }

  async #run(batch: Pending<T, R>[]): Promise<void> {
    try {
      const results = await this.#options.send(batch.map((p) => p.item));
      batch.forEach((p, i) => {
        const r = results[i];
        if (r === undefined) p.reject(new Error('batch returned no result for item'));
        else if (r.ok) p.resolve(r.value);
        else p.reject(r.error);
      });
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.flush();
    await Promise.allSettled([...this.#inFlight]);
  }
}
