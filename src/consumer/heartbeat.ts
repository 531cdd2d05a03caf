/**
 * A heartbeat as its own component: runs `beat` every `intervalMs` (never overlapping) until
 * stopped. `stop()` is idempotent and resolves only after any beat in progress has settled, so a
 * caller that deletes or releases a message after `await stop()` never races a late renewal.
 */
export interface HeartbeatOptions {
  intervalMs: number;
  beat: () => Promise<void>;
  onError: (err: unknown) => void;
}

export class Heartbeat {
  readonly #options: HeartbeatOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(options: HeartbeatOptions) {
    this.#options = options;
  }

  start(): this {
    this.#schedule();
    return this;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#options
        .beat()
        .catch((err: unknown) => {
          try {
            this.#options.onError(err);
          } catch {
            // a listener must not kill the heartbeat
          }
        })
        .finally(() => {
          this.#running = undefined;
          this.#schedule();
        });
    }, this.#options.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
