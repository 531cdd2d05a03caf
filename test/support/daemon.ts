/**
 * Spawns the real `spot-ingest` executable (bin/spot-ingest → Node 24 → src/cli.ts) with
 * environment variables only, and reads its JSON log lines. Any spawned process still running at the
 * end of its test file is SIGKILLed by `killSpawned` (an afterAll of test/support/setup-env.ts:
 * vitest ends its fork workers with SIGTERM, so an 'exit' handler alone would not run), and, as a
 * last resort, by a process 'exit' handler.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait-for.ts';

export const BIN = fileURLToPath(new URL('../../bin/spot-ingest', import.meta.url));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnedDaemon {
  child: ChildProcess;
  /** Parsed JSON log lines so far (stdout). */
  logs(): Record<string, unknown>[];
  stderr(): string;
  waitForLog(predicate: (line: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<Exit>;
  /** Send a signal and wait for the exit. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
}

const running = new Set<ChildProcess>();
let hooked = false;

export function spawnDaemon(env: Record<string, string>, args: string[] = ['run']): SpawnedDaemon {
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const child of running) child.kill('SIGKILL');
    });
  }
  const child = spawn(BIN, args, { env: { ...process.env, LOG_LEVEL: 'debug', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  // A daemon a failed test left running must not keep this process alive (the 'exit' handler
  // above then kills it): unref the child and its pipes.
  child.unref();
  (child.stdout as unknown as { unref?: () => void }).unref?.();
  (child.stderr as unknown as { unref?: () => void }).unref?.();
  const lines: Record<string, unknown>[] = [];
  let partial = '';
  let errText = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const part of parts) {
      if (part.trim() === '') continue;
      try {
        lines.push(JSON.parse(part) as Record<string, unknown>);
      } catch {
        lines.push({ msg: part, unparsed: true });
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (errText += chunk.toString()));
  // 'close', not 'exit': only then has every line the process wrote been read from its pipes
  let closed = false;
  const exited = new Promise<Exit>((resolve) =>
    child.once('close', (code, signal) => {
      closed = true;
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  const daemon: SpawnedDaemon = {
    child,
    logs: () => lines,
    stderr: () => errText,
    exited,
    async waitForLog(predicate, what, timeoutMs = 20_000) {
      return waitFor(() => {
        const found = lines.find(predicate);
        if (found) return found;
        if (closed) {
          throw Object.assign(new Error(`daemon exited (${child.exitCode ?? child.signalCode}) before ${what}; stderr: ${errText}`), { final: true });
        }
        return undefined;
      }, { what, timeoutMs });
    },
    async stop(signal = 'SIGTERM', timeoutMs = 60_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          exited,
          new Promise<Exit>((_, reject) => (timer = setTimeout(() => reject(new Error(`daemon did not exit within ${timeoutMs} ms of ${signal}`)), timeoutMs))),
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
  return daemon;
}

/** SIGKILLs every spawned process still running and waits for their exits. */
export async function killSpawned(): Promise<void> {
  const exits = [...running].map((child) => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  }));
  await Promise.all(exits);
}

/** Whether a log line reports a settled message (it carries `outcome` and `ms`). */
export const isOutcomeLine = (l: Record<string, unknown>) => typeof l.outcome === 'string' && typeof l.ms === 'number';

/** The log lines that report a settled message. */
export const outcomeLines = (logs: Record<string, unknown>[]) => logs.filter(isOutcomeLine);

/** The outcome the daemon logged for this SQS message, once it has settled it. */
export const outcomeOf = async (daemon: SpawnedDaemon, messageId: string, what = messageId, timeoutMs = 60_000) =>
  (await daemon.waitForLog((l) => l.messageId === messageId && isOutcomeLine(l), `outcome of ${what}`, timeoutMs)).outcome;

/** Run a one-shot command (e.g. `setup`) to completion. */
export async function runCli(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<Exit & { stdout: string; stderr: string }> {
  const child = spawn(BIN, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exit = await new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  clearTimeout(timer);
  return { ...exit, stdout, stderr };
}
