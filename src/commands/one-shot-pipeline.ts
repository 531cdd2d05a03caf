/**
 * The production pipeline (createMessageProcessor) run in this process without a queue, for the
 * one-shot commands `replay` and `process`: SQLite state + index on a throw-away database in a
 * private temp directory (removed by close()), or on `<dataDir>/spot-ingest.db` when a data dir is
 * given; temp files under the temp directory; SIGINT / SIGTERM abort the running message (a second
 * one exits at once with 130).
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { SqliteIndex } from '../adapters/index/sqlite.ts';
import { openDatabase } from '../adapters/sqlite/open.ts';
import { SqliteState } from '../adapters/state/sqlite.ts';
import { SqliteContents } from '../adapters/content/sqlite.ts';
import { createContentReuse } from '../runtime/reuse.ts';
import type { StoragePort } from '../pipeline/ports/storage.ts';
import type { Config } from '../config.ts';
import type { QueueMessage } from '../consumer/queue-message.ts';
import { parseMessageBody } from '../messages/parse.ts';
import type { FileEvent } from '../messages/file-event.ts';
import { localDatabasePath } from '../runtime/local.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import type { JobContext, JobResult } from '../consumer/processor.ts';
import { createMessageProcessor } from '../pipeline/process-message.ts';
import { TempFiles } from '../pipeline/temp-files.ts';
import type { ThumbnailTarget } from '../pipeline/process-event.ts';
import { DirectoryStorage } from '../adapters/storage/directory.ts';
import { createDocumentReader, type DocumentConfig } from '../pool/create-document-reader.ts';
import type { DocumentPool } from '../pool/document-pool.ts';

export type OneShotConfig = Pick<Config, 'maxFileBytes' | 'visibilityTimeoutSeconds' | 'instanceId' | 'ocrLowConfidence' | 'thumbnailPrefix'> &
  Partial<Pick<Config, 'logLevelSetting' | 'env' | 'reuse'>> & DocumentConfig;

export interface OneShotOptions {
  storage: StoragePort;
  config: OneShotConfig;
  /** Keep the state records and the index in `<dataDir>/spot-ingest.db` (the local-mode database) instead of a throw-away one. */
  dataDir?: string | undefined;
  /** Defaults to LOG_LEVEL when set, else 'warn'; logs go to stderr. */
  logLevel?: string;
  /** Called when the first SIGINT / SIGTERM aborts the work. */
  onInterrupt?: (signal: NodeJS.Signals) => void;
}

export interface OneShotPipeline {
  state: SqliteState;
  index: SqliteIndex;
  databasePath: string;
  /** Aborted by SIGINT / SIGTERM. */
  signal: AbortSignal;
  log: Logger;
  run(message: QueueMessage): Promise<JobResult>;
  /** Closes the database, removes the temp directory, restores the default signal handling. Idempotent. */
  close(): Promise<void>;
}

/** A QueueMessage as the poller would have made it, for a body that never was on a queue. */
export function fakeMessage(messageId: string, body: string): QueueMessage {
  return { messageId, receiptHandle: 'replay', body, receiveCount: 1, receivedAt: Date.now() };
}

/** The FileEvents of a body, as createMessageProcessor will see them ([] when it does not parse or is a test event). */
export function eventsOf(message: QueueMessage): FileEvent[] {
  try {
    const parsed = parseMessageBody(message.body, new Date(message.receivedAt));
    return parsed.kind === 'events' ? parsed.events : [];
  } catch {
    return [];
  }
}

export async function openOneShotPipeline(o: OneShotOptions): Promise<OneShotPipeline> {
  const tempDir = await mkdtemp(join(tmpdir(), 'spot-ingest-oneshot-'));
  const databasePath = o.dataDir !== undefined ? localDatabasePath(o.dataDir) : join(tempDir, 'state.db');
  let db;
  try {
    db = openDatabase(databasePath);
  } catch (err) {
    await rm(tempDir, { recursive: true, force: true });
    throw err;
  }
  let state: SqliteState;
  let index: SqliteIndex;
  const temp = new TempFiles(tempDir);
  try {
    state = new SqliteState(db);
    index = new SqliteIndex(db);
    await temp.prepare();
  } catch (err) {
    db.close();
    await rm(tempDir, { recursive: true, force: true });
    throw err;
  }
  const log = createLogger(o.logLevel ?? o.config.logLevelSetting ?? 'warn', pino.destination({ dest: 2, sync: true }));
  const leaseSeconds = o.config.visibilityTimeoutSeconds;
  let reader: DocumentPool;
  try {
    reader = await createDocumentReader(o.config, o.dataDir ?? tempDir, { log });
  } catch (err) {
    await index.close();
    await state.close();
    db.close();
    await rm(tempDir, { recursive: true, force: true });
    throw err;
  }
  // with a data dir, thumbnails are kept as files there (as local mode does); else not at all
  const thumbnails: ThumbnailTarget | undefined = o.dataDir !== undefined
    ? { storage: new DirectoryStorage(o.dataDir, { bucketSubdirectories: false }), bucket: 'local', prefix: o.config.thumbnailPrefix }
    : undefined;
  // copies among the files of one run (and, with a data dir, of earlier runs) are indexed from the first one's extraction
  const reuse = createContentReuse({ ...o.config, reuse: o.config.reuse ?? true }, new SqliteContents(db), undefined);
  const processor = createMessageProcessor({
    state, index, storage: o.storage, temp, reader, ocrLowConfidence: o.config.ocrLowConfidence,
    ...(thumbnails ? { thumbnails } : {}),
    ...(reuse ? { reuse } : {}),
    owner: `${o.config.instanceId ?? hostname()}/one-shot-${randomUUID().slice(0, 8)}`,
    leaseSeconds,
    maxFileBytes: o.config.maxFileBytes,
  });

  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      // second signal: give up at once
      rmSync(tempDir, { recursive: true, force: true });
      process.exit(130);
    }
    o.onInterrupt?.(signal);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // The lease is renewed every third of its length while a file is worked on, as the daemon's heartbeat does.
  const keepAlive: JobContext['keepAlive'] = (renew) => {
    const timer = setInterval(() => {
      renew().catch((err: unknown) => log.warn({ err }, 'could not renew the lease'));
    }, Math.max(1, Math.floor(leaseSeconds / 3)) * 1000);
    timer.unref();
    return () => clearInterval(timer);
  };

  let closed = false;
  return {
    state, index, databasePath, log,
    signal: controller.signal,
    run(message) {
      return processor(message, { signal: controller.signal, log: log.child({ messageId: message.messageId }), keepAlive });
    },
    async close() {
      if (closed) return;
      closed = true;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await reader.close();
      await index.close();
      await state.close();
      db.close();
      await rm(tempDir, { recursive: true, force: true });
    },
  };
}
