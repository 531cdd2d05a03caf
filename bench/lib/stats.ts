/** Small measurement helpers: a seeded PRNG and an in-flight gauge that integrates over time. */

/** mulberry32: a tiny seeded PRNG in [0, 1), the same sequence on every run and for every side. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A count of things in flight, integrated exactly over time (area under the curve, in count·ms),
 * plus the peak. `average(from, to)` is the time-weighted mean over a window.
 */
export class InFlightGauge {
  #count = 0;
  #peak = 0;
  #area = 0;
  #since: number;

  constructor(now = performance.now()) {
    this.#since = now;
  }

  get count(): number {
    return this.#count;
  }

  get peak(): number {
    return this.#peak;
  }

  #advance(now: number): void {
    this.#area += this.#count * (now - this.#since);
    this.#since = now;
  }

  inc(now = performance.now()): void {
    this.#advance(now);
    this.#count += 1;
    if (this.#count > this.#peak) this.#peak = this.#count;
  }

  dec(now = performance.now()): void {
    this.#advance(now);
    this.#count -= 1;
  }

  /** Restart the integral at `now` (the count itself is kept). */
  reset(now = performance.now()): void {
    this.#since = now;
    this.#area = 0;
  }

  /** Time-weighted mean count from the last reset() until `now`, over `durationMs`. */
  average(durationMs: number, now = performance.now()): number {
    this.#advance(now);
    return durationMs > 0 ? this.#area / durationMs : 0;
  }
}

/** Samples `read()` every `everyMs`; stop() returns the mean of the samples. */
export function startSampler(read: () => number, everyMs = 10): { stop(): { mean: number; samples: number } } {
  let sum = 0;
  let n = 0;
  const timer = setInterval(() => {
    sum += read();
    n += 1;
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return { mean: n > 0 ? sum / n : 0, samples: n };
    },
  };
}
