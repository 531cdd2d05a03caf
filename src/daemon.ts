/**
 * Composition root: builds the runtime (AWS, or the embedded local stack when INGEST_QUEUE_URL is
 * unset), starts consuming, and drains on SIGTERM / SIGINT (docs/design.md §7): stop receiving at once,
 * /readyz 503, let in-flight work finish within the grace period, release the rest (visibility 0),
 * exit 0. A second signal releases all in-flight work immediately. The IMDS watcher (INGEST_IMDS)
 * starts the same drain on a spot interruption notice (deadline: notice time − safety margin), a
 * rebalance recommendation (no deadline; INGEST_REBALANCE) or the ASG lifecycle state Terminated.
 * With IMDS the lease owner is the instance id (unless INGEST_INSTANCE_ID); the Auto Scaling side
 * (src/spot/asg/: scale-in protection while busy, the termination lifecycle action completed after
 * the drain) and the EMF backlog metrics (INGEST_EMF) are optional.
 */
import { hostname } from 'node:os';
import { createAwsRuntime } from './runtime/aws.ts';
import type { Config } from './config.ts';
import { Acknowledger } from './consumer/acknowledger.ts';
import { Consumer } from './consumer/consumer.ts';
import { p90Remaining } from './consumer/finish-predictor.ts';
import { queueNameOf, readQueueDepth } from './consumer/queue-depth.ts';
import { Shutdown } from './consumer/shutdown.ts';
import { startHttpServer, type RunningHttpServer } from './http/server.ts';
import { createLocalRuntime } from './runtime/local.ts';
import { backlogRecord, EmfPublisher } from './observability/emf.ts';
import { EmfActivity } from './observability/emf-activity.ts';
import { createEmfShipping, type EmfShipping } from './runtime/emf-shipping.ts';
import type { Logger } from './observability/logger.ts';
import { Metrics } from './observability/metrics.ts';
import { createMessageProcessor } from './pipeline/process-message.ts';
import { createDocumentReader } from './pool/create-document-reader.ts';
import { createEmbeddings, type Embeddings } from './runtime/embeddings.ts';
import { createContentReuse } from './runtime/reuse.ts';
import { DependencyGate } from './gate/gate.ts';
import { DlqSweeper } from './consumer/dlq-sweeper.ts';
import { gateRuntime } from './gate/gate-runtime.ts';
import { isOutage } from './core/outage.ts';
import { probeModels } from './adapters/embedder/probe-models.ts';
import { classifyError } from './core/classify.ts';
import { TempFiles } from './pipeline/temp-files.ts';
import type { Runtime } from './runtime/runtime.ts';
import { createAsgFeatures, type AsgFeatures } from './runtime/asg.ts';
import { createSpotWatcher, effectiveImdsMode } from './spot/create-watcher.ts';
import { InstanceIdentity } from './spot/instance-identity.ts';
import type { SpotWatcher } from './spot/watcher.ts';

export async function runDaemon(config: Config, logger: Logger): Promise<number> {
  const temp = new TempFiles(config.dataDir);
  await temp.prepare();
  const metrics = new Metrics();
  // before the runtime: a missing OCR language is a configuration error (exit 2), found at once
  const reader = await createDocumentReader(config, config.dataDir, { log: logger, metrics });
  let runtime: Runtime;
  let embeddings: Embeddings | undefined;
  try {
    embeddings = await createEmbeddings(config, {
      metrics,
      onWarning: (message) => logger.warn(message),
      onCircuitChange: (state) => logger[state === 'open' ? 'warn' : 'info']({ circuit: state }, `Bedrock circuit ${state}`),
    });
    logger.info({ models: embeddings.models }, embeddings.description);
    runtime = config.localMode
      ? await createLocalRuntime(config, logger, process.stdout, embeddings.description)
      : await createAwsRuntime(config, logger, embeddings.models);
  } catch (err) {
    await embeddings?.close();
    await reader.close();
    throw err;
  }
  const embedder = embeddings.service;
  const gate = new DependencyGate({
    logger, metrics, failureThreshold: config.circuitFailures,
    probeMinMs: config.circuitProbeMinSeconds * 1000, probeMaxMs: config.circuitProbeMaxSeconds * 1000,
  });
  // OpenSearch, the state table and S3 each behind a circuit; Bedrock keeps its own breaker, watched here
  runtime = gateRuntime(runtime, gate, config.thumbnailBucket);
  if (embedder?.enabled) {
    gate.watch({
      dependency: 'bedrock',
      problem: () => embedder.problem,
      pauses: () => embedder.pauseMs > 0,
      // one tiny call per model (a few tokens) before a last attempt that failed on Bedrock is dead-lettered
      confirmDown: (signal) => probeModels(embedder, signal).then(() => false, (err: unknown) => isOutage(classifyError(err))),
    });
  }
  let http: RunningHttpServer | undefined;
  let watcher: SpotWatcher | undefined;
  let asg: AsgFeatures | undefined;
  let emf: EmfPublisher | undefined;
  let shipping: EmfShipping | undefined;
  let sweeper: DlqSweeper | undefined;
  let onSignal: ((signal: NodeJS.Signals) => void) | undefined;
  try {
    // before the consumer: the instance id (IMDS) is the lease owner
    watcher = await createSpotWatcher({ mode: effectiveImdsMode(config), logger, ...(config.imdsEndpoint ? { endpoint: config.imdsEndpoint } : {}) });
    const identity = new InstanceIdentity({ imds: watcher?.imds, asgName: config.asgName, configuredInstanceId: config.instanceId });
    let owner = config.instanceId ?? (await identity.instanceId());
    if (owner === undefined) {
      if (watcher) logger.warn('instance id not read from IMDS: the lease owner is the host name');
      owner = hostname();
    }
    asg = await createAsgFeatures({ config, identity, imds: watcher?.imds, logger });
    const protection = asg?.protection;
    const reuse = createContentReuse(config, runtime.contents, embedder);
    const consumer = new Consumer({
      sqs: runtime.sqs,
      queueUrl: runtime.queueUrl,
      acknowledger: new Acknowledger({ sqs: runtime.sqs, queueUrl: runtime.queueUrl, dlqUrl: runtime.dlqUrl }),
      capacity: config.concurrency,
      visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
      backoff: { baseSeconds: config.retryBaseSeconds, maxSeconds: 900 },
      maxReceiveCount: runtime.maxReceiveCount,
      confirmDown: (dependency) => gate.confirmDown(dependency),
      anyDown: () => gate.problems().length > 0,
      jobTimeout: { baseMs: config.jobTimeoutSeconds * 1000, perPageMs: config.jobTimeoutPerPageSeconds * 1000 },
      logger,
      metrics,
      ...(runtime.settled ? { onSettled: runtime.settled } : {}),
      ...(protection ? { onInFlightChange: (n: number) => protection.update(n) } : {}),
      // an open circuit leaves messages in the queue rather than failing them one by one
      pauseReceiving: () => {
        const reason = gate.pauseReason();
        return reason === undefined ? undefined : { ms: 1_000, reason };
      },
      process: createMessageProcessor({
        state: runtime.state,
        index: runtime.index,
        storage: runtime.storage,
        temp,
        owner,
        leaseSeconds: config.visibilityTimeoutSeconds,
        maxFileBytes: config.maxFileBytes,
        reader,
        ...(embedder ? { embeddings: embedder } : {}),
        ...(runtime.thumbnails ? { thumbnails: runtime.thumbnails } : {}),
        ...(runtime.checkpoints ? { checkpoints: runtime.checkpoints } : {}),
        ...(reuse ? { reuse } : {}),
        ocrLowConfidence: config.ocrLowConfidence,
        metrics,
      }),
    });

    // the poller backs off failed receives itself; the gate only reports SQS
    gate.watch({ dependency: 'sqs', problem: () => consumer.queueProblem, pauses: () => false });

    // One drain, whichever trigger comes first (signal, spot notice, rebalance, lifecycle); a later
    // trigger with an earlier deadline may only shorten it (shutdown.ts).
    const shutdown = new Shutdown({ target: consumer, logger, predict: p90Remaining, onStart: () => metrics.draining.set(1) });
    if (config.httpPort !== 0) {
      http = await startHttpServer({
        host: config.httpHost,
        port: config.httpPort,
        metrics,
        readiness: () => {
          const reason = shutdown.reason;
          const trigger = reason !== undefined && !reason.startsWith('SIG') ? [reason] : [];
          const reasons = [...(shutdown.requested ? ['draining', ...trigger] : []), ...gate.problems()];
          return { ready: reasons.length === 0, reasons };
        },
      });
      logger.info({ port: http.port, host: config.httpHost }, 'http endpoints listening');
    }

    const graceDeadline = () => Date.now() + config.shutdownGraceSeconds * 1000;
    onSignal = (signal: NodeJS.Signals) => {
      if (!shutdown.requested) shutdown.request(signal, graceDeadline(), { signal, graceSeconds: config.shutdownGraceSeconds });
      else shutdown.forceNow(`second signal`, { signal });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);

    watcher
      ?.on('interruption', ({ action, time }) => {
        shutdown.request('spot interruption', time.getTime() - config.spotSafetyMarginSeconds * 1000, { action, noticeTime: time.toISOString(), safetyMarginSeconds: config.spotSafetyMarginSeconds });
      })
      .on('rebalance', ({ noticeTime }) => {
        if (config.rebalance === 'ignore') logger.info({ noticeTime: noticeTime.toISOString() }, 'rebalance recommendation ignored (INGEST_REBALANCE=ignore)');
        else shutdown.request('rebalance recommendation', Number.POSITIVE_INFINITY, { noticeTime: noticeTime.toISOString() });
      })
      .on('lifecycle', ({ state }) => {
        asg?.observeLifecycle(state);
        if (state === 'Terminated') shutdown.request('lifecycle Terminated', graceDeadline(), { graceSeconds: config.shutdownGraceSeconds });
      })
      .start();

    consumer.start();
    const { dlqUrl, maxReceiveCount } = runtime;
    if (config.dlqSweepSeconds > 0 && dlqUrl !== undefined && maxReceiveCount !== undefined && dlqUrl !== runtime.queueUrl) {
      sweeper = new DlqSweeper({
        sqs: runtime.sqs, queueUrl: runtime.queueUrl, dlqUrl, maxReceiveCount, giveUpAfter: Math.max(10, 4 * maxReceiveCount),
        intervalMs: config.dlqSweepSeconds * 1000, logger,
      }).start();
    }
    if (config.emf) {
      const activity = new EmfActivity(metrics.registry);
      shipping = createEmfShipping(config, (signal) => identity.instanceId(signal));
      const ship = shipping?.ship;
      emf = new EmfPublisher({
        ...(ship ? { ship } : {}),
        intervalMs: config.emfIntervalSeconds * 1000,
        logger,
        collect: async (signal) => {
          const depth = await readQueueDepth(runtime.sqs, runtime.queueUrl, signal);
          const [groupName, instanceId] = [await identity.asgName(signal), await identity.instanceId(signal)];
          return backlogRecord({ groupName, queueName: queueNameOf(runtime.queueUrl), backlog: depth.visible, inFlight: consumer.inFlight, instanceId, activity: await activity.collect() });
        },
      }).start();
    }
    logger.info(
      {
        mode: runtime.mode, queueUrl: runtime.queueUrl, dlqUrl: runtime.dlqUrl, concurrency: config.concurrency, index: config.openSearchIndex,
        table: config.stateTable, imds: watcher !== undefined, leaseOwner: owner, emf: emf !== undefined, emfLogGroup: config.emfLogGroup,
      },
      'consuming',
    );
    await runtime.started?.();
    // a finite deadline also releases at once what is not expected to finish before it
    await shutdown.done;
    logger.info('drained: every received message is done or back on the queue');
    await asg?.afterDrain();
    return 0;
  } finally {
    await sweeper?.stop();
    await gate.stop();
    await emf?.stop();
    shipping?.close();
    await asg?.close();
    // after everything that reads IMDS through watcher.imds (identity, EMF, Auto Scaling): stop() closes its agent
    await watcher?.stop();
    await http?.close();
    await reader.close();
    await runtime.close();
    await embeddings.close();
    // last: a signal during the cleanup above must still find the drain handler, not the default kill
    if (onSignal) {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
  }
}
