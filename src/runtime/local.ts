import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import { SqliteIndex } from '../adapters/index/sqlite.ts';
import { openDatabase } from '../adapters/sqlite/open.ts';
import { SqliteState } from '../adapters/state/sqlite.ts';
import { SqliteContents } from '../adapters/content/sqlite.ts';
import { S3Storage } from '../adapters/storage/s3.ts';
import { DirectoryStorage } from '../adapters/storage/directory.ts';
import type { ThumbnailTarget } from '../pipeline/process-event.ts';
import { StorageCheckpoints } from '../adapters/checkpoint/storage.ts';
import type { Logger } from '../observability/logger.ts';
import type { Runtime } from './runtime.ts';
import { LOCAL_MAX_RECEIVE_COUNT, LOCAL_REGION, startEmbeddedStack } from '../local/embedded-stack.ts';
import { printProgress } from '../local/progress.ts';
import { seedSamples } from '../local/seed-samples.ts';

export const localDatabasePath = (dataDir: string) => join(dataDir, 'spot-ingest.db');

/** Where a running local-mode daemon publishes its embedded stack for other commands (send, dlq). */
export const localStackFile = (dataDir: string) => join(dataDir, 'local-stack.json');

export interface LocalStackInfo {
  pid: number;
  endpoint: string;
  queueUrl: string;
  dlqUrl: string;
  bucket: string;
  region: string;
}

/**
 * Local mode (docs/design.md §8): the embedded SQS/S3 emulator on loopback, and one SQLite database
 * under INGEST_DATA_DIR for the state records and a local search index that mirrors the
 * OpenSearch document.
 */
export async function createLocalRuntime(config: Config, logger: Logger, out: NodeJS.WritableStream = process.stdout, embeddings = 'embeddings: off'): Promise<Runtime> {
  const stack = await startEmbeddedStack();
  const db = openDatabase(localDatabasePath(config.dataDir));
  const state = new SqliteState(db);
  const index = new SqliteIndex(db);
  const info: LocalStackInfo = {
    pid: process.pid, endpoint: stack.endpoint, queueUrl: stack.queueUrl, dlqUrl: stack.dlqUrl, bucket: stack.bucket, region: LOCAL_REGION,
  };
  writeFileSync(localStackFile(config.dataDir), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  logger.info({ endpoint: stack.endpoint, database: localDatabasePath(config.dataDir) }, 'local mode: embedded SQS/S3 on loopback, SQLite state and search index');
  out.write(
    `spot-ingest local mode — SQS/S3 emulator on ${stack.endpoint}, index in ${localDatabasePath(config.dataDir)}\n` +
      `${embeddings}\n`,
  );
  return {
    mode: 'local',
    sqs: stack.clients.sqs,
    queueUrl: stack.queueUrl,
    dlqUrl: stack.dlqUrl,
    maxReceiveCount: LOCAL_MAX_RECEIVE_COUNT,
    storage: new S3Storage(stack.clients.s3),
    thumbnails: localThumbnails(config),
    checkpoints: localCheckpoints(config),
    state,
    contents: new SqliteContents(db),
    index,
    async started() {
      const seeded = await seedSamples({ dataDir: config.dataDir, sqs: stack.clients.sqs, s3: stack.clients.s3, queueUrl: stack.queueUrl, bucket: stack.bucket });
      out.write(seeded > 0 ? `seeded ${seeded} sample files from samples/ — processing:\n` : 'samples already seeded earlier (delete the data dir to seed again); waiting for messages\n');
    },
    settled(message, outcome, result) {
      printProgress(out, message, outcome, result);
    },
    async close() {
      rmSync(localStackFile(config.dataDir), { force: true });
      await index.close();
      await state.close();
      db.close();
      await stack.close();
    },
  };
}

/**
 * Thumbnails in local mode are files under `<data dir>/<INGEST_THUMBNAIL_PREFIX>` (by default
 * `.spot-ingest/thumbnails/<document id>.webp`), where a developer can open them.
 */
function localThumbnails(config: Config): ThumbnailTarget {
  return { storage: new DirectoryStorage(config.dataDir, { bucketSubdirectories: false }), bucket: 'local', prefix: config.thumbnailPrefix };
}

/** Checkpoints in local mode: files under `<data dir>/<INGEST_CHECKPOINT_PREFIX>`. */
export function localCheckpoints(config: Pick<Config, 'dataDir' | 'checkpointPrefix'>): StorageCheckpoints {
  return new StorageCheckpoints(new DirectoryStorage(config.dataDir, { bucketSubdirectories: false }), 'local', config.checkpointPrefix);
}
