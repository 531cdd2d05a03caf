/**
 * `spot-ingest send <file or dir>…`: upload files and enqueue one native FILE_UPLOADED message
 * each — into the running local daemon's embedded stack (local mode), or to INGEST_QUEUE_URL and
 * the bucket given by --bucket.
 */
import type { Command } from 'commander';
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, normalize, resolve, sep } from 'node:path';
import type { AwsClients } from '../adapters/aws/clients.ts';
import { createAwsClients } from '../adapters/aws/clients.ts';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { enqueueFiles, type FileToEnqueue } from '../local/enqueue-files.ts';
import { MAX_KEY_BYTES } from '../messages/fields.ts';
import { explainAwsError, localStackClients, readRunningLocalStack } from './aws-target.ts';

export const DEFAULT_PREFIX = 'uploads/';

const slashes = (path: string) => path.split(sep).join('/');

/** Files under `dir`, relative to it, sorted; dotfiles and dot-directories skipped; symlinked directories not followed. */
async function walk(dir: string, rel = ''): Promise<string[]> {
  const entries: Dirent[] = await readdir(join(dir, rel), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = rel === '' ? entry.name : join(rel, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(dir, path)));
    else if (entry.isFile()) out.push(path);
    else if (entry.isSymbolicLink() && (await stat(join(dir, path)).catch(() => undefined))?.isFile()) out.push(path);
  }
  return out;
}

/**
 * What `send` uploads: a file argument as `<prefix><its name>`, a directory argument as
 * `<prefix><path inside it>` for each file in it (recursively, no dotfiles). Keys use `/` and
 * Unicode NFC (macOS may hand out decomposed names). Usage errors are ConfigErrors.
 */
export async function collectFiles(paths: string[], prefix: string): Promise<FileToEnqueue[]> {
  const files: FileToEnqueue[] = [];
  for (const given of paths) {
    const info = await stat(given).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') throw new ConfigError(`${given}: no such file or directory`);
      throw err;
    });
    if (info.isDirectory()) {
      for (const rel of await walk(given)) {
        files.push({ path: join(given, rel), key: `${prefix}${slashes(rel).normalize('NFC')}`, originalPath: slashes(normalize(join(given, rel))) });
      }
    } else if (info.isFile()) {
      files.push({ path: given, key: `${prefix}${basename(given).normalize('NFC')}`, originalPath: slashes(normalize(given)) });
    } else {
      throw new ConfigError(`${given}: not a regular file or directory`);
    }
  }
  if (files.length === 0) throw new ConfigError(`nothing to send: no files in ${paths.join(', ')} (dotfiles are skipped)`);
  const byKey = new Map<string, FileToEnqueue>();
  for (const f of files) {
    const earlier = byKey.get(f.key);
    if (earlier !== undefined) {
      if (resolve(earlier.path) === resolve(f.path)) continue; // the same file named twice
      throw new ConfigError(`${earlier.path} and ${f.path} would both be uploaded as "${f.key}"`);
    }
    if (Buffer.byteLength(f.key) > MAX_KEY_BYTES) throw new ConfigError(`${f.path}: the key "${f.key.slice(0, 60)}…" is longer than S3's ${MAX_KEY_BYTES} bytes`);
    byKey.set(f.key, f);
  }
  return [...byKey.values()];
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

interface SendTarget {
  bucket: string;
  queueUrl: string;
  clients: AwsClients;
  /** How the summary names where the files went. */
  where: string;
  note: string;
}

/** Local mode: the running daemon's embedded stack (exit 1 when none runs); else INGEST_QUEUE_URL and `bucket`. */
function resolveTarget(config: Config, bucket: string | undefined): SendTarget {
  if (config.localMode) {
    const stack = readRunningLocalStack(config.dataDir);
    if (bucket !== undefined && bucket !== stack.bucket) {
      throw new ConfigError(`--bucket: local mode has one bucket, "${stack.bucket}" (set INGEST_QUEUE_URL to send to a real queue and bucket)`);
    }
    return {
      bucket: stack.bucket, queueUrl: stack.queueUrl, clients: localStackClients(stack),
      where: `the local spot-ingest (pid ${stack.pid}) at ${stack.endpoint}`,
      note: 'the daemon prints a progress line for each as it processes it\n',
    };
  }
  return { bucket: bucket!, queueUrl: config.queueUrl!, clients: createAwsClients(config.env), where: config.queueUrl!, note: '' };
}

export async function sendCommand(
  config: Config,
  paths: string[],
  options: { prefix: string; bucket?: string },
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  if (!config.localMode && (options.bucket === undefined || options.bucket === '')) {
    throw new ConfigError('--bucket: required when INGEST_QUEUE_URL is set (the S3 bucket the daemon reads from)');
  }
  const files = await collectFiles(paths, options.prefix);
  const { bucket, queueUrl, clients, where, note } = resolveTarget(config, options.bucket);
  let total = 0;
  try {
    const sent = await enqueueFiles({
      s3: clients.s3, sqs: clients.sqs, bucket, queueUrl, files,
      onEnqueued: (f) => {
        total += f.size;
        out.write(`sent  s3://${f.bucket}/${f.key}  ${formatBytes(f.size)}  ← ${f.originalPath}\n`);
      },
    });
    out.write(`${sent.length} file${sent.length === 1 ? '' : 's'} (${formatBytes(total)}) uploaded and enqueued on ${where}\n${note}`);
    return 0;
  } catch (err) {
    throw explainAwsError(err, `uploading to s3://${bucket} and enqueueing on ${queueUrl}`);
  } finally {
    clients.destroy();
  }
}

export function registerSend(program: Command): void {
  program
    .command('send')
    .description('upload files and enqueue one FILE_UPLOADED message each (local mode: into the running `npm start` daemon)')
    .argument('<paths...>', 'files and/or directories (a directory: every file in it, recursively, skipping dotfiles)')
    .option('--prefix <prefix>', 'S3 key prefix; the key is <prefix><file name, or path inside the directory given>', DEFAULT_PREFIX)
    .option('--bucket <bucket>', 'S3 bucket to upload to: required with INGEST_QUEUE_URL (local mode uses the embedded bucket)')
    .addHelpText(
      'after',
      `
Local mode (INGEST_QUEUE_URL unset): sends to the daemon running on INGEST_DATA_DIR (default
./.spot-ingest), found through its local-stack.json; fails (exit 1) when none is running.
With INGEST_QUEUE_URL: uploads to --bucket and sends the messages to that queue.
Each message: {"eventType":"FILE_UPLOADED","s3Bucket","s3Key","fileSize","originalPath","timestamp"}.

Example:
  spot-ingest send ./invoices --prefix inbox/     # inbox/2026/請求書.txt, inbox/notes.md, …`,
    )
    .action(async (paths: string[], options: { prefix: string; bucket?: string }) => {
      process.exitCode = await sendCommand(loadConfig(), paths, options);
    });
}
