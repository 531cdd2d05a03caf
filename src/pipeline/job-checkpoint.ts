/**
 * The checkpoint of one job's pages: collects each finished page, saves at most every
 * `intervalMs` while the job runs (so a killed instance leaves something behind), saves what is new
 * when the job is given up (released on a spot notice, aborted, a transient failure), and removes
 * the checkpoint once the document is indexed. Saving never fails the job: errors are logged.
 */
import type { CheckpointPort } from './ports/checkpoint.ts';
import type { Logger } from '../observability/logger.ts';
import type { PageResult } from './document-reader.ts';

export class JobCheckpoint {
  readonly #port: CheckpointPort;
  readonly #documentId: string;
  readonly #sha256: string;
  readonly #log: Logger;
  readonly #intervalMs: number;
  readonly #pages = new Map<number, PageResult>();
  #unsaved = 0;
  #lastSave = Date.now();
  #saving: Promise<void> = Promise.resolve();
  /** Whether a checkpoint object may exist (one was resumed from, or saved). */
  #stored: boolean;

  constructor(o: { port: CheckpointPort; documentId: string; sha256: string; resumed: readonly PageResult[]; log: Logger; intervalMs?: number }) {
    this.#port = o.port;
    this.#documentId = o.documentId;
    this.#sha256 = o.sha256;
    this.#log = o.log;
    this.#intervalMs = o.intervalMs ?? 5_000;
    for (const page of o.resumed) this.#pages.set(page.page, page);
    this.#stored = o.resumed.length > 0;
    this.resumed = [...o.resumed];
  }

  readonly resumed: PageResult[];

  /** Pages known so far (resumed and new). */
  get size(): number {
    return this.#pages.size;
  }

  onPage(page: PageResult): void {
    if (page.source === 'failed' || page.resumed) return;
    this.#pages.set(page.page, { page: page.page, source: page.source, text: page.text, confidence: page.confidence, ms: page.ms });
    this.#unsaved++;
    if (Date.now() - this.#lastSave >= this.#intervalMs) void this.#save(AbortSignal.timeout(10_000));
  }

  /** Saves what is not saved yet (the job is being given up). */
  async flush(): Promise<void> {
    await this.#saving;
    if (this.#unsaved > 0) await this.#save(AbortSignal.timeout(5_000));
  }

  /** The document is indexed: the checkpoint is no longer needed. */
  async clear(): Promise<void> {
    await this.#saving;
    if (!this.#stored) return; // nothing was ever written: no request per document
    await this.#port.clear(this.#documentId, { signal: AbortSignal.timeout(10_000) }).catch((err: unknown) => {
      this.#log.warn({ err }, 'could not remove the checkpoint of an indexed document');
    });
  }

  #save(signal: AbortSignal): Promise<void> {
    const saved = this.#unsaved;
    this.#unsaved = 0;
    this.#lastSave = Date.now();
    const pages = [...this.#pages.values()];
    this.#saving = this.#saving
      .then(() => this.#port.save(this.#documentId, this.#sha256, pages, { signal }))
      .then(
        () => {
          this.#stored = true;
          this.#log.debug({ pages: pages.length }, 'checkpoint saved');
        },
        (err: unknown) => {
          this.#unsaved += saved;
          this.#log.warn({ err, pages: pages.length }, 'could not save a checkpoint');
        },
      );
    return this.#saving;
  }
}
