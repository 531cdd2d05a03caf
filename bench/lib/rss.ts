/**
 * Resident memory of another process (Linux /proc): VmRSS now, VmHWM (its peak since it started).
 * The daemon's pid is the Node process itself (bin/spot-ingest `exec`s Node), and its worker
 * threads live in it, so VmRSS covers the whole daemon.
 */
import { readFileSync } from 'node:fs';

export interface RssReading {
  rssKiB: number;
  hwmKiB: number;
}

/** null once the process is gone (or off Linux). */
export function readRss(pid: number): RssReading | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    const rssKiB = kib('VmRSS');
    if (!Number.isFinite(rssKiB)) return null;
    return { rssKiB, hwmKiB: kib('VmHWM') };
  } catch {
    return null;
  }
}

export interface RssSample {
  /** Date.now() */
  t: number;
  rssKiB: number;
}

/** Samples a pid's VmRSS every `everyMs` until stop() or the process is gone. */
export class RssSampler {
  readonly samples: RssSample[] = [];
  readonly #pid: number;
  #timer: NodeJS.Timeout | undefined;
  #lastHwmKiB = 0;

  constructor(pid: number, everyMs = 100) {
    this.#pid = pid;
    this.sample();
    this.#timer = setInterval(() => this.sample(), everyMs);
  }

  sample(): RssReading | null {
    const r = readRss(this.#pid);
    if (r === null) {
      this.stop();
      return null;
    }
    this.samples.push({ t: Date.now(), rssKiB: r.rssKiB });
    if (Number.isFinite(r.hwmKiB)) this.#lastHwmKiB = r.hwmKiB;
    return r;
  }

  /** The kernel's peak RSS of the process (VmHWM) at the last sample: catches spikes between samples. */
  get hwmKiB(): number {
    return this.#lastHwmKiB;
  }

  get peakKiB(): number {
    return this.samples.reduce((m, s) => Math.max(m, s.rssKiB), 0);
  }

  /** Samples with from <= t < to. */
  between(from: number, to: number): RssSample[] {
    return this.samples.filter((s) => s.t >= from && s.t < to);
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

export const mib = (kib: number) => kib / 1024;
