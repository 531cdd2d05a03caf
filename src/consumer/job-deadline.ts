/**
 * A job's deadline (INGEST_JOB_TIMEOUT_SECONDS, docs/design.md §4):
 *
 *   deadline = min(start + base + perPage × pages finished,  last page finished (or start) + base)
 *
 * A job gets `base` seconds, and each PDF / TIFF page it finishes earns `perPage` more, so a long
 * document is not cut short — but it may never go `base` seconds without finishing a page, so a
 * file that hangs pdf.js or tesseract on page 900 is caught as soon as one that hangs on page 1.
 * At the deadline `onExpire` runs once (the consumer aborts the job: its worker thread is
 * terminated and replaced). One timer, re-armed on progress, cleared by stop().
 */
export interface JobDeadlineOptions {
  baseMs: number;
  perPageMs: number;
  onExpire: () => void;
  now?: () => number;
}

export class JobDeadline {
  readonly #o: JobDeadlineOptions;
  readonly #now: () => number;
  readonly #start: number;
  #pages = 0;
  #lastProgress: number;
  #timer: NodeJS.Timeout | undefined;
  #expired = false;
  #stopped = false;
  #resolvePassed: () => void = () => undefined;
  /** Resolves when the deadline passes (never, if stop() comes first). */
  readonly passed = new Promise<void>((resolve) => (this.#resolvePassed = resolve));

  constructor(options: JobDeadlineOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#start = this.#now();
    this.#lastProgress = this.#start;
    this.#arm();
  }

  /** The deadline now (epoch ms). */
  get at(): number {
    return Math.min(this.#start + this.#o.baseMs + this.#o.perPageMs * this.#pages, this.#lastProgress + this.#o.baseMs);
  }

  get expired(): boolean {
    return this.#expired;
  }

  /** A page was finished: the deadline moves later. */
  pageDone(): void {
    if (this.#expired || this.#stopped) return;
    this.#pages += 1;
    this.#lastProgress = this.#now();
    this.#arm();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    clearTimeout(this.#timer);
    const wait = this.at - this.#now();
    if (wait <= 0) {
      this.#fire();
      return;
    }
    // setTimeout caps at 2^31-1 ms: a longer wait is re-armed when that one fires
    this.#timer = setTimeout(() => (this.at <= this.#now() ? this.#fire() : this.#arm()), Math.min(wait, 2 ** 31 - 1));
  }

  #fire(): void {
    if (this.#expired || this.#stopped) return;
    this.#expired = true;
    this.#timer = undefined;
    this.#o.onExpire();
    this.#resolvePassed();
  }
}
