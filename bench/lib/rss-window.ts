/**
 * Peak resident memory of this process (worker threads included) over a window, against the
 * VmRSS just before it (Linux /proc). The window samples VmRSS every `everyMs`, and also resets the
 * kernel's peak (VmHWM, by writing 5 to /proc/self/clear_refs) at its start, so that a spike between
 * two samples is still caught: the peak is the larger of the highest sample and VmHWM at the end.
 */
import { writeFileSync } from 'node:fs';
import { readRss } from './rss.ts';

export interface RssWindowResult {
  /** VmRSS (KiB) when the window started */
  baselineKiB: number;
  /** the highest VmRSS sample and, when the reset worked, VmHWM at the end (KiB) */
  peakKiB: number;
  /** VmRSS (KiB) when the window ended */
  endKiB: number;
  samples: number;
  /** whether VmHWM was reset at the start (so that it counts in the peak) */
  hwmReset: boolean;
}

export function rssWindow(everyMs = 20): { stop(): RssWindowResult } {
  const first = readRss(process.pid);
  if (first === null) throw new Error('no /proc/self/status (RSS is measured on Linux only)');
  let hwmReset = false;
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    hwmReset = true;
  } catch {
    // an older kernel or a restricted /proc: the samples alone
  }
  const baselineKiB = first.rssKiB;
  let peak = baselineKiB;
  let samples = 1;
  const timer = setInterval(() => {
    const r = readRss(process.pid);
    if (r === null) return;
    samples += 1;
    if (r.rssKiB > peak) peak = r.rssKiB;
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      const last = readRss(process.pid);
      const endKiB = last?.rssKiB ?? Number.NaN;
      if (last) {
        peak = Math.max(peak, last.rssKiB);
        if (hwmReset && Number.isFinite(last.hwmKiB)) peak = Math.max(peak, last.hwmKiB);
      }
      return { baselineKiB, peakKiB: peak, endKiB, samples: samples + 1, hwmReset };
    },
  };
}

/** KiB (as /proc reports them) to MB (10^6 bytes), the unit of issue 13's "300 MB". */
export const kibToMb = (kib: number) => (kib * 1024) / 1e6;
