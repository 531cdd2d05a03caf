/**
 * Composition root: builds the adapters from configuration, starts consuming, and drains on
 * SIGTERM / SIGINT (DESIGN.md §7): stop receiving at once, /readyz 503, let in-flight work finish
 * within the grace period, release the rest (visibility 0), exit 0. A second signal releases all
 * in-flight work immediately.
 */
import { hostname } from 'node:os';
import { createAwsClients } from './adapters/aws/clients.ts';
import { OpenSearchIndex } from './adapters/index/opensearch.ts';
import { DynamoDbState } from './adapters/state/dynamodb.ts';
import { S3Storage } from './adapters/storage/s3.ts';
import { ConfigError, requireForQueueMode, type Config } from './config.ts';
import { Acknowledger } from './consumer/acknowledger.ts';
import { Consumer } from './consumer/consumer.ts';
import { discoverDlqUrl } from './consumer/dlq-discovery.ts';
import { startHttpServer, type RunningHttpServer } from './http/server.ts';
import type { Logger } from './observability/logger.ts';
import { Metrics } from './observability/metrics.ts';
import { classifyError } from './pipeline/classify.ts';
import { createMessageProcessor } from './pipeline/process-message.ts';
import { TempFiles } from './pipeline/temp-files.ts';

export async function runDaemon(config: Config, logger: Logger): Promise<number> {
  if (config.localMode) {
    throw new ConfigError(
      'INGEST_QUEUE_URL is not set. This version needs a queue: set INGEST_QUEUE_URL, INGEST_STATE_TABLE and ' +
        'INGEST_OPENSEARCH_URL (see README "Configuration"); the embedded local stack is not built yet.',
    );
  }
  requireForQueueMode(config);
  const queueUrl = config.queueUrl!;
  const metrics = new Metrics();
  const clients = createAwsClients();
  const index = new OpenSearchIndex({ url: config.openSearchUrl!, index: config.openSearchIndex });
  const state = new DynamoDbState({ client: clients.dynamodb, table: config.stateTable! });
  const temp = new TempFiles(config.dataDir);
  let http: RunningHttpServer | undefined;
  try {
    await temp.prepare();
    const described = await index.describeIndex();
    if (!described.exists) {
      logger.fatal({ index: config.openSearchIndex }, `OpenSearch index "${config.openSearchIndex}" does not exist: run "spot-ingest setup" first`);
      return 1;
    }
    let dlqUrl = config.dlqUrl;
    if (dlqUrl === undefined) {
      dlqUrl = await discoverDlqUrl(clients.sqs, queueUrl).catch((err: unknown) => {
        logger.warn({ err: classifyError(err) }, 'could not read the queue RedrivePolicy');
        return undefined;
      });
    }
    if (dlqUrl === undefined) logger.warn('no dead-letter queue known: permanent failures are left to SQS redrive');

    const acknowledger = new Acknowledger({ sqs: clients.sqs, queueUrl, dlqUrl });
    const consumer = new Consumer({
      sqs: clients.sqs,
      queueUrl,
      acknowledger,
      capacity: config.concurrency,
      visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
      backoff: { baseSeconds: config.retryBaseSeconds, maxSeconds: 900 },
      logger,
      metrics,
      process: createMessageProcessor({
        state, index, storage: new S3Storage(clients.s3), temp,
        owner: config.instanceId ?? hostname(),
        leaseSeconds: config.visibilityTimeoutSeconds,
        maxFileBytes: config.maxFileBytes,
        metrics,
      }),
    });

    let draining = false;
    if (config.httpPort !== 0) {
      http = await startHttpServer({
        host: config.httpHost,
        port: config.httpPort,
        metrics,
        readiness: () => (draining ? { ready: false, reasons: ['draining'] } : { ready: true, reasons: [] }),
      });
      logger.info({ port: http.port, host: config.httpHost }, 'http endpoints listening');
    }

    const stopped = new Promise<string>((resolve) => {
      const onSignal = (signal: NodeJS.Signals) => {
        if (!draining) {
          draining = true;
          metrics.draining.set(1);
          logger.info({ signal, graceSeconds: config.shutdownGraceSeconds, inFlight: consumer.inFlight }, 'draining: stopped receiving');
          resolve(signal);
        } else {
          logger.warn({ signal, inFlight: consumer.inFlight }, 'second signal: releasing all in-flight messages now');
          consumer.releaseAll(`second ${signal}`);
        }
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    });

    consumer.start();
    logger.info({ queueUrl, dlqUrl, concurrency: config.concurrency, index: config.openSearchIndex, table: config.stateTable }, 'consuming');
    await stopped;
    await consumer.drain(Date.now() + config.shutdownGraceSeconds * 1000);
    logger.info('drained: every received message is done or back on the queue');
    return 0;
  } finally {
    await http?.close();
    // Every message is settled by now; a write still in flight belongs to released work.
    await index.close({ timeoutMs: 2_000 }).catch(() => undefined);
    await state.close().catch(() => undefined);
    clients.destroy();
  }
}
