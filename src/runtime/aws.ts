import { requireForQueueMode, type Config } from '../config.ts';
import { readRedrivePolicy, type RedrivePolicy } from '../consumer/dlq-discovery.ts';
import type { Logger } from '../observability/logger.ts';
import { StartupError } from '../core/errors.ts';
import { classifyError } from '../core/classify.ts';
import type { Runtime } from './runtime.ts';
import { createOpenSearchIndex } from '../adapters/index/create-opensearch.ts';
import { DynamoDbState } from '../adapters/state/dynamodb.ts';
import { DynamoDbContents } from '../adapters/content/dynamodb.ts';
import { S3Storage } from '../adapters/storage/s3.ts';
import { StorageCheckpoints } from '../adapters/checkpoint/storage.ts';
import { createAwsClients } from '../adapters/aws/clients.ts';
import type { ConfiguredModels } from '../adapters/embedder/configured-models.ts';
import { checkIndexDimensions } from '../adapters/embedder/index-dimensions.ts';

/** The production runtime: SQS, S3, DynamoDB and OpenSearch from configuration. */
export async function createAwsRuntime(config: Config, logger: Logger, models: ConfiguredModels = { text: null, image: null }): Promise<Runtime> {
  requireForQueueMode(config);
  const queueUrl = config.queueUrl!;
  const index = createOpenSearchIndex(config); // before the clients: a ConfigError leaves nothing open
  const clients = createAwsClients(config.env);
  const state = new DynamoDbState({ client: clients.dynamodb, table: config.stateTable! });
  const close = async () => {
    // Every message is settled by now; a write still in flight belongs to released work.
    await index.close({ timeoutMs: 2_000 }).catch(() => undefined);
    await state.close().catch(() => undefined);
    clients.destroy();
  };
  try {
    const described = await index.describeIndex();
    if (!described.exists) {
      throw new StartupError(`OpenSearch index "${config.openSearchIndex}" does not exist: run "spot-ingest setup" first`);
    }
    checkIndexDimensions(config.openSearchIndex, described.dims, models);
    const redrive = await readRedrivePolicy(clients.sqs, queueUrl).catch((err: unknown): RedrivePolicy => {
      logger.warn({ err: classifyError(err) }, 'could not read the queue RedrivePolicy');
      return { dlqUrl: undefined, maxReceiveCount: undefined };
    });
    const dlqUrl = config.dlqUrl ?? redrive.dlqUrl;
    const maxReceiveCount = redrive.maxReceiveCount;
    if (dlqUrl === undefined) logger.warn('no dead-letter queue known: permanent failures are left to SQS redrive');
    const storage = new S3Storage(clients.s3);
    const thumbnails = config.thumbnailBucket ? { storage, bucket: config.thumbnailBucket, prefix: config.thumbnailPrefix } : undefined;
    const checkpoints = config.checkpointBucket ? new StorageCheckpoints(storage, config.checkpointBucket, config.checkpointPrefix) : undefined;
    if (!checkpoints) logger.info('no INGEST_CHECKPOINT_BUCKET (nor INGEST_THUMBNAIL_BUCKET): long jobs that are released start over, and extractions too large for a state-table item are not kept for reuse');
    const contents = new DynamoDbContents({
      client: clients.dynamodb, table: config.stateTable!,
      ...(config.checkpointBucket ? { objects: { storage, bucket: config.checkpointBucket, prefix: config.contentPrefix } } : {}),
    });
    const probes = {
      opensearch: async (signal: AbortSignal) => void (await index.describeIndex({ signal })),
      dynamodb: (signal: AbortSignal) => state.probe(signal),
      s3: (bucket: string, signal: AbortSignal) => storage.probeBucket(bucket, signal),
    };
    return { mode: 'aws', sqs: clients.sqs, queueUrl, dlqUrl, maxReceiveCount, probes, storage, ...(thumbnails ? { thumbnails } : {}), ...(checkpoints ? { checkpoints } : {}), state, contents, index, close };
  } catch (err) {
    await close();
    throw err;
  }
}
