/**
 * Composition root: builds the runtime (AWS, or the embedded local stack when INGEST_QUEUE_URL is
 * unset), starts consuming, and drains on SIGTERM / SIGINT (DESIGN.md §7): stop receiving at once,
 * /readyz 503, let in-flight work finish within the grace period, release the rest (visibility 0),
 * exit 0. A second signal releases all in-flight work immediately.
 */
import { hostname } from 'node:os';
import { createAwsRuntime } from './adapters/aws/runtime.ts';
import type { Config } from './config.ts';
import { Acknowledger } from './consumer/acknowledger.ts';
import { Consumer } from './consumer/consumer.ts';
import { startHttpServer, type RunningHttpServer } from './http/server.ts';
import { createLocalRuntime } from './local/runtime.ts';
import type { Logger } from './observability/logger.ts';
import { Metrics } from './observability/metrics.ts';
import { createMessageProcessor } from './pipeline/process-message.ts';
import { TempFiles } from './pipeline/temp-files.ts';
import type { Runtime } from './runtime.ts';

export async function runDaemon(config: Config, logger: Logger): Promise<number> {
  const temp = new TempFiles(config.dataDir);
  await temp.prepare();
  const runtime: Runtime = config.localMode ? await createLocalRuntime(config, logger) : await createAwsRuntime(config, logger);
  const metrics = new Metrics();
  let http: RunningHttpServer | undefined;
  try {
    const consumer = new Consumer({
      sqs: runtime.sqs,
      queueUrl: runtime.queueUrl,
      acknowledger: new Acknowledger({ sqs: runtime.sqs, queueUrl: runtime.queueUrl, dlqUrl: runtime.dlqUrl }),
      capacity: config.concurrency,
      visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
      backoff: { baseSeconds: config.retryBaseSeconds, maxSeconds: 900 },
      logger,
      metrics,
      ...(runtime.settled ? { onSettled: runtime.settled } : {}),
      process: createMessageProcessor({
        state: runtime.state,
        index: runtime.index,
        storage: runtime.storage,
        temp,
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
        readiness: () => {
          const reasons = [...(draining ? ['draining'] : []), ...(consumer.queueProblem ? [consumer.queueProblem] : [])];
          return { ready: reasons.length === 0, reasons };
        },
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
    logger.info(
      { mode: runtime.mode, queueUrl: runtime.queueUrl, dlqUrl: runtime.dlqUrl, concurrency: config.concurrency, index: config.openSearchIndex, table: config.stateTable },
      'consuming',
    );
    await runtime.started?.();
    await stopped;
    await consumer.drain(Date.now() + config.shutdownGraceSeconds * 1000);
    logger.info('drained: every received message is done or back on the queue');
    return 0;
  } finally {
    await http?.close();
    await runtime.close();
  }
}
