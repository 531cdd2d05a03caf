/** Shared pieces of the document benchmarks' reports: the machine, versions, tables, numbers. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';

export const RESULTS = new URL('../results/', import.meta.url);

export interface Machine {
  cores: number;
  cpu: string;
  memoryGiB: number;
  node: string;
  platform: string;
  loadavg1m: number;
}

export function machine(): Machine {
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    platform: `${platform()} ${release()}`,
    loadavg1m: Number(loadavg()[0]!.toFixed(2)),
  };
}

export function machineLine(m: Machine): string {
  return `${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}; 1-min load at the start ${m.loadavg1m}`;
}

/** The installed version (some packages' exports hide their package.json from import). */
export async function packageVersion(name: string): Promise<string> {
  try {
    const text = await readFile(new URL(`../../node_modules/${name}/package.json`, import.meta.url), 'utf8');
    return (JSON.parse(text) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Writes `<name>.md` and `<name>.json` under bench/results/. */
export async function writeResults(name: string, markdown: string, json: unknown): Promise<void> {
  await mkdir(RESULTS, { recursive: true });
  await writeFile(new URL(`${name}.md`, RESULTS), markdown);
  await writeFile(new URL(`${name}.json`, RESULTS), `${JSON.stringify(json, null, 2)}\n`);
}

export const f0 = (x: number) => x.toFixed(0);
export const f1 = (x: number) => x.toFixed(1);
export const f2 = (x: number) => x.toFixed(2);
export const f3 = (x: number) => x.toFixed(3);
export const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
export const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** The first `textColumns` columns are left-aligned, the rest (numbers) right-aligned. */
export function mdTable(header: string[], rows: string[][], textColumns = 1): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i < textColumns ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Nearest-rank percentile (0 < p ≤ 100) of unsorted numbers; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

export const log = (s = '') => process.stdout.write(`${s}\n`);

// ---------------------------------------------------------------- CPU used by others

export interface CpuShare {
  /** cores used on average by this process (all threads) and the children it has reaped */
  own: number;
  /** cores used on average by everything else on the machine (other processes, the kernel) */
  other: number;
  /** cores' worth of time the hypervisor gave to other guests (steal) */
  steal: number;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function readTicks(): { busy: number; steal: number; own: number } | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
    const self = readFileSync('/proc/self/stat', 'utf8');
    const f = self.slice(self.lastIndexOf(')') + 2).split(' ').map(Number);
    const own = (f[11] ?? 0) + (f[12] ?? 0) + (f[13] ?? 0) + (f[14] ?? 0); // utime stime cutime cstime
    return { busy: user + nice + system + irq + softirq, steal, own };
  } catch {
    return null;
  }
}

/**
 * Measures, over a window, how much CPU this process (with its worker threads and reaped children)
 * and everything else used: other work on the machine during a measurement shows as `other`.
 * Linux only (/proc); elsewhere stop() returns null.
 */
export function cpuWindow(): { stop(): CpuShare | null } {
  const t0 = performance.now();
  const a = readTicks();
  return {
    stop() {
      const b = readTicks();
      const seconds = (performance.now() - t0) / 1000;
      if (!a || !b || seconds <= 0) return null;
      const cores = (ticks: number) => ticks / TICKS_PER_SECOND / seconds;
      const own = cores(b.own - a.own);
      return { own, other: Math.max(0, cores(b.busy - a.busy) - own), steal: cores(b.steal - a.steal) };
    },
  };
}

export const cpuText = (c: CpuShare | null) => (c ? `${c.own.toFixed(2)} / ${c.other.toFixed(2)} / ${c.steal.toFixed(2)}` : 'n/a');

/** Other work using more than this many cores during a measurement is reported as a disturbance. */
export const DISTURBED_CORES = 0.1;

/** A markdown paragraph (ending in a blank line) naming the measurements other work disturbed; '' when none. */
export function disturbedNote(items: ReadonlyArray<{ what: string; cpu: CpuShare | null }>, consequence: string): string {
  const hit = items.filter((i) => i.cpu !== null && i.cpu.other + i.cpu.steal > DISTURBED_CORES);
  if (hit.length === 0) return '';
  return `**Disturbed measurements**: other work on the machine (or the hypervisor) took more than ${DISTURBED_CORES} cores on average during ${hit.map((i) => `${i.what} (${(i.cpu!.other + i.cpu!.steal).toFixed(2)})`).join('; ')}. ${consequence}\n\n`;
}

/** The commit the bench ran on, "+ uncommitted changes" when the tree differs from it. */
export function codeRevision(): string {
  const git = (args: string[]) => spawnSync('git', args, { cwd: new URL('../../', import.meta.url), encoding: 'utf8' });
  const head = git(['rev-parse', '--short', 'HEAD']);
  if (head.status !== 0) return 'unknown (no git)';
  const dirty = git(['status', '--porcelain', '--untracked-files=no', '--', 'src', 'bench', 'test']).stdout.trim() !== '';
  return `commit ${head.stdout.trim()}${dirty ? ' + uncommitted changes in src/, bench/ or test/' : ''}`;
}
