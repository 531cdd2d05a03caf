/**
 * CPU time of another process (a spawned daemon: bin/spot-ingest `exec`s Node, so the child's pid is
 * the Node process, its worker threads included), from /proc/<pid>/stat. Linux only: elsewhere, or
 * once the process is gone, null.
 */
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** User + system CPU seconds the process (all its threads) has used so far. */
export function processCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    const ticks = (f[11] ?? 0) + (f[12] ?? 0); // utime stime
    return ticks / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}
