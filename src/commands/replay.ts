/**
 * `spot-ingest replay <fixture.json | dir>…`: fixture message bodies through the production
 * pipeline in this process (no SQS), against a directory standing for the bucket
 * (DirectoryStorage), with SQLite state + index on a throw-away database (docs/design.md §8).
 * A progress bar on stderr (TTY only), then a summary table on stdout, or JSON with --json.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { documentId } from '../adapters/index/document-id.ts';
import { DirectoryStorage } from '../adapters/storage/directory.ts';
import { loadConfig } from '../config.ts';
import { MESSAGE_OUTCOMES, type MessageOutcome } from '../core/outcome.ts';
import { eventsOf, fakeMessage, openOneShotPipeline, type OneShotConfig } from './one-shot-pipeline.ts';
import { textTable } from '../lib/text-table.ts';
import type { Reused } from '../consumer/processor.ts';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** One message body read from a fixture file. */
export interface Fixture {
  /** The fixture file name, plus `#<index>` when the file holds an array of bodies. */
  messageId: string;
  /** Path of the fixture file. */
  fixture: string;
  index: number;
  body: string;
}

export interface ReplayEventResult {
  bucket: string | null;
  key: string;
  kind: 'upsert' | 'delete';
  outcome: MessageOutcome;
  code: string | null;
  textSource: string | null;
  characters: number | null;
  pages: number | null;
  warnings: string[];
  /** Milliseconds per pipeline step. */
  steps: Record<string, number>;
  /** Indexed from an earlier extraction of the same bytes: where it was made, and what that saved. */
  reused: Reused | null;
}

export interface ReplayMessageResult {
  messageId: string;
  fixture: string;
  index: number;
  outcome: MessageOutcome;
  error: { code: string; message: string } | null;
  /** What the body was: an s3:TestEvent has no events, nor has a body that did not parse. */
  test: boolean;
  events: ReplayEventResult[];
}

export interface ReplayReport {
  files: string;
  /** The database kept (with --data-dir), or null for the throw-away one. */
  database: string | null;
  interrupted: boolean;
  messages: ReplayMessageResult[];
  counts: Partial<Record<MessageOutcome, number>>;
  exitCode: number;
}

/** Outcomes that make replay exit 1: the message would have gone to the DLQ, been retried, or was not replayed. */
const FAILED: ReadonlySet<MessageOutcome> = new Set<MessageOutcome>(['dead-letter', 'retry', 'released']);

/**
 * Fixture files → message bodies. A file holds one body (any format; text that is not JSON is
 * still a body, which then dead-letters as MESSAGE_INVALID_JSON) or a JSON array of bodies
 * (strings are taken verbatim, anything else re-serialised). A directory means its *.json
 * files, sorted by name.
 */
export async function loadFixtures(paths: string[]): Promise<Fixture[]> {
  const files: string[] = [];
  for (const p of paths) {
    const path = resolve(p);
    let info;
    try {
      info = await stat(path);
    } catch {
      throw new UsageError(`no such fixture file or directory: ${p}`);
    }
    if (info.isDirectory()) {
      const entries = await readdir(path, { withFileTypes: true });
      const names = entries.filter((e) => e.isFile() && e.name.toLowerCase().endsWith('.json')).map((e) => e.name).sort();
      if (names.length === 0) throw new UsageError(`no *.json fixtures in ${p}`);
      files.push(...names.map((n) => join(path, n)));
    } else {
      files.push(path);
    }
  }
  const fixtures: Fixture[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8');
    const name = basename(file);
    let value: unknown;
    try {
      value = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
    } catch {
      value = undefined;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        fixtures.push({ messageId: `${name}#${i}`, fixture: file, index: i, body: typeof item === 'string' ? item : JSON.stringify(item) });
      });
    } else {
      fixtures.push({ messageId: name, fixture: file, index: 0, body: text });
    }
  }
  return fixtures;
}

export interface ReplayOptions {
  files: string;
  dataDir?: string | undefined;
  config: OneShotConfig;
  /** Draw a progress bar on this stream (the caller decides: stderr, and only on a TTY). */
  progress?: NodeJS.WritableStream | undefined;
}

export async function replayFixtures(fixtures: Fixture[], options: ReplayOptions): Promise<ReplayReport> {
  const files = resolve(options.files);
  const storage = new DirectoryStorage(files);
  let bar: SingleBar | undefined;
  const pipeline = await openOneShotPipeline({
    storage, config: options.config, dataDir: options.dataDir,
    onInterrupt: (signal) => {
      bar?.stop();
      bar = undefined;
      process.stderr.write(`spot-ingest replay: ${signal}: stopping after the current message (again to quit at once)\n`);
    },
  });
  const messages: ReplayMessageResult[] = [];
  try {
    if (options.progress) {
      bar = new SingleBar({
        stream: options.progress, format: 'replay [{bar}] {value}/{total}  {current}', hideCursor: true, clearOnComplete: true,
        barCompleteChar: '█', barIncompleteChar: '░', barsize: 30, fps: 10,
      });
      bar.start(fixtures.length, 0, { current: '' });
    }
    for (const fixture of fixtures) {
      if (pipeline.signal.aborted) {
        messages.push({
          messageId: fixture.messageId, fixture: fixture.fixture, index: fixture.index, outcome: 'released', test: false,
          error: { code: 'INTERRUPTED', message: 'not replayed: interrupted' }, events: [],
        });
        continue;
      }
      bar?.update({ current: fixture.messageId });
      const message = fakeMessage(fixture.messageId, fixture.body);
      const parsed = eventsOf(message);
      const result = await pipeline.run(message);
      const events: ReplayEventResult[] = [];
      for (const [i, e] of result.events.entries()) {
        const event = parsed[i];
        let pages: number | null = null;
        if (event !== undefined && e.kind === 'upsert' && e.outcome === 'done') {
          pages = (await pipeline.index.get(documentId(event.bucket, event.key)))?.page_count ?? null;
        }
        events.push({
          bucket: event?.bucket ?? null, key: e.key, kind: e.kind, outcome: e.outcome, code: e.code ?? null,
          textSource: e.textSource ?? null, characters: e.characters ?? null, pages, warnings: e.warnings ?? [], steps: e.steps ?? {},
          reused: e.reused ?? null,
        });
      }
      messages.push({
        messageId: fixture.messageId, fixture: fixture.fixture, index: fixture.index, outcome: result.outcome,
        error: result.error ? { code: result.error.code, message: result.error.message } : null,
        test: result.outcome === 'done' && result.events.length === 0 && result.error === undefined && parsed.length === 0,
        events,
      });
      bar?.increment();
    }
  } finally {
    bar?.stop();
    await pipeline.close();
  }
  const counts: Partial<Record<MessageOutcome, number>> = {};
  for (const m of messages) counts[m.outcome] = (counts[m.outcome] ?? 0) + 1;
  return {
    files,
    database: options.dataDir !== undefined ? pipeline.databasePath : null,
    interrupted: pipeline.signal.aborted,
    messages,
    counts,
    exitCode: messages.some((m) => FAILED.has(m.outcome)) ? 1 : 0,
  };
}

/** The summary table: one row per file event (one per message when it named no file), then the counts and the errors. */
export function formatReport(report: ReplayReport): string {
  const header = ['MESSAGE', 'FILE/KEY', 'OUTCOME', 'SOURCE', 'CHARS', 'PAGES', 'MS PER STEP', 'CODE'];
  const right = new Set([4, 5]);
  const rows: string[][] = [];
  for (const m of report.messages) {
    if (m.events.length === 0) {
      const what = m.test ? '(s3:TestEvent)' : m.outcome === 'released' ? '(not replayed)' : m.outcome === 'done' ? '(no files)' : '(no file: body rejected)';
      rows.push([m.messageId, what, m.outcome, '—', '—', '—', '—', m.error?.code ?? '']);
      continue;
    }
    m.events.forEach((e, i) => {
      const key = e.kind === 'delete' ? `${e.key} (delete)` : e.key;
      const steps = Object.entries(e.steps).map(([step, ms]) => `${step} ${ms}`).join(', ');
      const code = e.code ?? (e.outcome === 'retry' || e.outcome === 'dead-letter' ? (m.error?.code ?? '') : '');
      rows.push([
        i === 0 ? m.messageId : '', key, e.reused ? `${e.outcome} (reused)` : e.outcome, e.textSource ?? '—',
        e.characters === null ? '—' : String(e.characters), e.pages === null ? '—' : String(e.pages), steps || '—', code,
      ]);
    });
  }
  const out = [...textTable(header, rows, { right, rule: true }), ''];
  const counts = MESSAGE_OUTCOMES.filter((o) => report.counts[o]).map((o) => `${report.counts[o]} ${o}`).join(', ');
  const n = report.messages.length;
  out.push(`${n} message${n === 1 ? '' : 's'} from ${report.files}: ${counts || 'nothing replayed'}${report.interrupted ? ' (interrupted)' : ''}`);
  const reused = report.messages.flatMap((m) => m.events).filter((e) => e.reused !== null);
  if (reused.length > 0) {
    const pages = reused.reduce((a, e) => a + e.reused!.savedPages, 0);
    out.push(`${reused.length} ${reused.length === 1 ? 'document' : 'documents'} reused from an earlier extraction of the same bytes (${pages} ${pages === 1 ? 'page' : 'pages'} not read again):`);
    for (const e of reused) out.push(`  ${e.key} ← ${e.reused!.from}`);
  }
  const failures = report.messages.filter((m) => m.error !== null && FAILED.has(m.outcome));
  for (const m of failures) out.push(`  ${m.outcome} ${m.messageId}: ${m.error!.code}: ${m.error!.message}`);
  if (report.database !== null) out.push(`state and index kept in ${report.database}`);
  return `${out.join('\n')}\n`;
}

const HELP_AFTER = `
A fixture file holds one SQS message body (native event, S3 notification, EventBridge, SNS-wrapped,
s3:TestEvent — see test/fixtures/messages/) or a JSON array of bodies; a directory means every
*.json file in it, sorted by name. Each body goes through the same parser and pipeline as the
daemon; a body that does not parse is a dead-letter row with its error code.

The bucket is a directory (--files): s3://BUCKET/KEY is read from DIR/BUCKET/KEY when that file
exists, else from DIR/KEY. Keys that would leave the directory ("../", absolute) are refused
(OBJECT_KEY_UNSAFE, dead-letter); a missing file makes the event stale, as a deleted S3 object.

State and index live in a throw-away SQLite database (removed afterwards), so a replay never
touches the local-mode database; with --data-dir they go to DIR/spot-ingest.db instead (then
\`INGEST_DATA_DIR=DIR spot-ingest search …\` finds the replayed documents).

Exit status: 0 when every message ended done, duplicate or stale; 1 when any was dead-lettered,
or ended "retry" (a transient error, e.g. the --files directory went missing, or Ctrl-C), or was
not replayed because of Ctrl-C; 2 on bad usage.
`;

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('run fixture messages through the pipeline in this process (no SQS) against a directory standing for the bucket')
    .argument('<fixtures...>', 'fixture .json files (one body, or an array of bodies) or directories of them')
    .option('--files <dir>', 'the directory standing for the bucket (default: the current directory)')
    .option('--data-dir <dir>', 'keep state and index in <dir>/spot-ingest.db instead of a throw-away database')
    .option('--json', 'print machine-readable results instead of the table')
    .addHelpText('after', HELP_AFTER)
    .action(async (paths: string[], options: { files?: string; dataDir?: string; json?: boolean }, command: Command) => {
      const files = resolve(options.files ?? '.');
      const isDir = await stat(files).then((s) => s.isDirectory(), () => false);
      if (!isDir) command.error(`error: --files ${options.files ?? '.'}: no such directory`, { exitCode: 2, code: 'spot-ingest.usage' });
      let fixtures: Fixture[];
      try {
        fixtures = await loadFixtures(paths);
      } catch (err) {
        if (err instanceof UsageError) command.error(`error: ${err.message}`, { exitCode: 2, code: 'spot-ingest.usage' });
        throw err;
      }
      const config = loadConfig();
      const report = await replayFixtures(fixtures, {
        files, dataDir: options.dataDir, config,
        progress: process.stderr.isTTY ? process.stderr : undefined,
      });
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
      process.exitCode = report.exitCode;
    });
}
