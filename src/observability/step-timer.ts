import type { Metrics } from './metrics.ts';

/** Times named steps into a record (state `steps`, logs) and the step-duration histogram. */
export class StepTimer {
  readonly steps: Record<string, number> = {};
  readonly #metrics: Metrics | undefined;

  constructor(metrics?: Metrics) {
    this.#metrics = metrics;
  }

  async time<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      const ms = performance.now() - start;
      this.steps[name] = Math.round((this.steps[name] ?? 0) + ms);
      this.#metrics?.stepSeconds.observe({ step: name }, ms / 1000);
    }
  }
}
