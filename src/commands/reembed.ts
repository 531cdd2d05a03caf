/**
 * `spot-ingest reembed`: embeds the documents indexed without vectors (`embedding_pending`, set
 * while the daily Bedrock budget was spent, or by `setup --roll --reindex` after a dimension
 * change). Pages through them in a stable order and writes each back with its vectors. Stops,
 * saying how many remain, when the budget is spent again or Bedrock keeps failing; run it again
 * later to continue.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { createAwsClients, type AwsClients } from '../adapters/aws/clients.ts';
import { createEmbeddings } from '../runtime/embeddings.ts';
import type { EmbeddingService } from '../adapters/embedder/embedding-service.ts';
import { createOpenSearchIndex } from '../adapters/index/create-opensearch.ts';
import type { IndexPort } from '../pipeline/ports/index.ts';
import type { IndexDocument } from '../core/index-document.ts';
import { SqliteIndex } from '../adapters/index/sqlite.ts';
import { S3Storage } from '../adapters/storage/s3.ts';
import type { StoragePort } from '../pipeline/ports/storage.ts';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { isIngestError, StartupError } from '../core/errors.ts';
import { localDatabasePath } from '../runtime/local.ts';
import { classifyError } from '../core/classify.ts';
import { downloadObject } from '../pipeline/download.ts';
import { embedDocument } from '../pipeline/embed-document.ts';
import { TempFiles } from '../pipeline/temp-files.ts';
import { localStackClients, readRunningLocalStack } from './aws-target.ts';

export interface ReembedReport {
  embedded: number;
  /** Image documents left pending because their file could not be read (local mode without a running daemon). */
  skipped: number;
  failed: number;
  /** Why it stopped early: `budget`, `bedrock`, or undefined when every pending document was done. */
  stoppedBy?: 'budget' | 'bedrock' | 'limit';
}

export interface ReembedDeps {
  index: IndexPort;
  embeddings: EmbeddingService;
  /** Where image files are read from; undefined ⇒ image documents are skipped. */
  storage: StoragePort | undefined;
  temp: TempFiles;
  maxFileBytes: number;
  limit?: number;
  signal?: AbortSignal;
  onDocument?: (doc: IndexDocument, result: 'embedded' | 'skipped' | 'failed', detail?: string) => void;
}

const PAGE = 50;
/** Consecutive failures after which the run stops (Bedrock is down, not this document). */
const MAX_CONSECUTIVE_FAILURES = 3;

export async function reembed(deps: ReembedDeps): Promise<ReembedReport> {
  const report: ReembedReport = { embedded: 0, skipped: 0, failed: 0 };
  const signal = deps.signal ?? new AbortController().signal;
  let after: string | undefined;
  let consecutiveFailures = 0;
  for (;;) {
    const page = await deps.index.listPendingEmbeddings({ size: PAGE, ...(after !== undefined ? { after } : {}), signal });
    for (const doc of page.docs) {
      if (deps.limit !== undefined && report.embedded + report.failed >= deps.limit) return { ...report, stoppedBy: 'limit' };
      if (deps.embeddings.paused) return { ...report, stoppedBy: 'budget' };
      const isImage = doc.content_type.startsWith('image/') && deps.embeddings.image !== null;
      if (isImage && deps.storage === undefined) {
        report.skipped++;
        deps.onDocument?.(doc, 'skipped', 'the image file cannot be read: start the local daemon (npm start) and run reembed again');
        continue;
      }
      const path = isImage ? deps.temp.path() : undefined;
      try {
        if (path !== undefined) {
          await downloadObject({ storage: deps.storage!, bucket: doc.bucket, key: doc.key, path, maxBytes: deps.maxFileBytes, signal });
        }
        const { fields, warnings } = await embedDocument(deps.embeddings, { text: doc.content, imagePath: path ?? null, signal });
        if (fields.embedding_pending) return { ...report, stoppedBy: 'budget' };
        const kept = doc.warnings.filter((w) => !w.startsWith('EMBEDDING_'));
        await deps.index.upsert({ ...doc, ...fields, warnings: [...kept, ...warnings] }, { signal });
        report.embedded++;
        consecutiveFailures = 0;
        deps.onDocument?.(doc, 'embedded');
      } catch (err) {
        if (signal.aborted) throw err;
        const error = classifyError(err);
        report.failed++;
        deps.onDocument?.(doc, 'failed', `${error.code}: ${error.message}`);
        if (error.retryable && ++consecutiveFailures >= MAX_CONSECUTIVE_FAILURES) return { ...report, stoppedBy: 'bedrock' };
      } finally {
        if (path !== undefined) await deps.temp.remove(path);
      }
    }
    if (page.next === undefined) return report;
    after = page.next;
  }
}

export async function reembedCommand(config: Config, options: { limit?: number }, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const embeddings = await createEmbeddings(config);
  if (embeddings.service === undefined) throw new ConfigError(`nothing to do: ${embeddings.description}`);
  let index: IndexPort;
  let clients: AwsClients | undefined;
  let storage: StoragePort | undefined;
  if (config.openSearchUrl !== undefined) {
    index = createOpenSearchIndex(config);
    clients = createAwsClients(config.env);
    storage = new S3Storage(clients.s3);
  } else {
    const path = localDatabasePath(config.dataDir);
    if (!existsSync(path)) throw new StartupError(`no local index at ${path} yet: run "npm start" (local mode) first, or set INGEST_OPENSEARCH_URL`);
    index = new SqliteIndex(path);
    try {
      clients = localStackClients(readRunningLocalStack(config.dataDir));
      storage = new S3Storage(clients.s3);
    } catch (err) {
      if (!(err instanceof StartupError)) throw err;
      out.write(`note: ${err.message}; image documents are skipped (their files live in the running daemon's emulator)\n`);
    }
  }
  // a private scratch directory: a daemon may be using the data dir's own
  const scratch = await mkdtemp(join(tmpdir(), 'spot-ingest-reembed-'));
  const temp = new TempFiles(scratch);
  await temp.prepare();
  const controller = new AbortController();
  const onSignal = () => controller.abort(new StartupError('interrupted'));
  process.once('SIGINT', onSignal);
  try {
    out.write(`${embeddings.description}\n`);
    const report = await reembed({
      index, embeddings: embeddings.service, storage, temp, maxFileBytes: config.maxFileBytes, signal: controller.signal,
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
      onDocument: (doc, result, detail) => out.write(`${result.padEnd(8)} s3://${doc.bucket}/${doc.key}${detail ? `  ${detail}` : ''}\n`),
    });
    const why = { budget: 'stopped: the daily Bedrock budget is spent (INGEST_BEDROCK_DAILY_BUDGET_USD); run again tomorrow', bedrock: 'stopped: Bedrock keeps failing; run again later', limit: 'stopped at --limit' };
    out.write(`${report.embedded} embedded, ${report.failed} failed, ${report.skipped} skipped${report.stoppedBy ? ` — ${why[report.stoppedBy]}` : ''}\n`);
    return report.failed > 0 || report.stoppedBy === 'bedrock' ? 1 : 0;
  } catch (err) {
    if (isIngestError(err)) throw new StartupError(`reembed: ${err.code}: ${err.message}`, { cause: err });
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    await index.close();
    clients?.destroy();
    await embeddings.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

export function registerReembed(program: Command): void {
  program
    .command('reembed')
    .description('embed the documents indexed without vectors (embedding_pending: the daily Bedrock budget was spent, or the index was rolled)')
    .option('--limit <n>', 'embed at most this many documents', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number ≥ 1');
      return n;
    })
    .action(async (options: { limit?: number }) => {
      process.exitCode = await reembedCommand(loadConfig(), options);
    });
}
