import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { MESSAGE_OUTCOMES } from '../core/outcome.ts';

/** The daemon's Prometheus metrics, on their own registry (no global state between tests). */
export class Metrics {
  readonly registry = new Registry();
  readonly messages = new Counter({
    name: 'spot_ingest_messages_total',
    help: 'Queue messages by final outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly stepSeconds = new Histogram({
    name: 'spot_ingest_step_duration_seconds',
    help: 'Duration of each pipeline step',
    labelNames: ['step'] as const,
    buckets: [0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({ name: 'spot_ingest_in_flight', help: 'Messages being processed', registers: [this.registry] });
  readonly visibilityExtensions = new Counter({
    name: 'spot_ingest_visibility_extensions_total',
    help: 'Lease renewals (ChangeMessageVisibility heartbeats)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly receiveErrors = new Counter({ name: 'spot_ingest_receive_errors_total', help: 'Failed ReceiveMessage calls', registers: [this.registry] });
  readonly draining = new Gauge({ name: 'spot_ingest_draining', help: '1 while the daemon drains', registers: [this.registry] });
  readonly poolBusy = new Gauge({ name: 'spot_ingest_pool_busy_workers', help: 'Document worker threads running a task', registers: [this.registry] });
  readonly poolQueued = new Gauge({ name: 'spot_ingest_pool_queued_tasks', help: 'PDF / image tasks waiting for a worker thread', registers: [this.registry] });
  readonly pages = new Counter({
    name: 'spot_ingest_pages_total',
    help: 'PDF and image pages read, by where their text came from (text-layer, ocr, blank, failed)',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly bedrockRequests = new Counter({
    name: 'spot_ingest_bedrock_requests_total',
    help: 'Bedrock embedding calls by model and result (ok, throttled, rejected, failed, circuit_open)',
    labelNames: ['model', 'result'] as const,
    registers: [this.registry],
  });
  readonly bedrockThrottles = new Counter({
    name: 'spot_ingest_bedrock_throttled_attempts_total',
    help: 'Bedrock attempts answered with throttling (including those the SDK retried)',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });
  readonly bedrockInputTokens = new Counter({
    name: 'spot_ingest_bedrock_input_tokens_total',
    help: 'Input tokens Bedrock counted, by model',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });
  readonly bedrockImages = new Counter({
    name: 'spot_ingest_bedrock_images_total',
    help: 'Images embedded, by model',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });
  readonly bedrockCost = new Counter({
    name: 'spot_ingest_bedrock_estimated_cost_usd_total',
    help: 'Estimated Bedrock on-demand cost in USD (list prices in src/adapters/embedder/models.ts), by model',
    labelNames: ['model'] as const,
    registers: [this.registry],
  });
  readonly bedrockBudgetSpent = new Gauge({
    name: 'spot_ingest_bedrock_budget_spent_usd',
    help: 'Estimated Bedrock spend today (UTC) counted against INGEST_BEDROCK_DAILY_BUDGET_USD: the fleet\'s (state table) in queue mode, this instance\'s in local mode',
    registers: [this.registry],
  });
  readonly bedrockCircuitOpen = new Gauge({
    name: 'spot_ingest_bedrock_circuit_open',
    help: '1 while the Bedrock circuit breaker is open (embedding calls fail fast; messages are retried)',
    registers: [this.registry],
  });
  readonly reusedDocuments = new Counter({
    name: 'spot_ingest_reused_documents_total',
    help: 'Documents indexed from an earlier extraction of the same bytes (no extraction, OCR or Bedrock call)',
    registers: [this.registry],
  });
  readonly reuseSavedPages = new Counter({
    name: 'spot_ingest_reuse_saved_pages_total',
    help: 'PDF and image pages not read again because their document was reused',
    registers: [this.registry],
  });
  readonly reuseSavedBedrockTokens = new Counter({
    name: 'spot_ingest_reuse_saved_bedrock_tokens_total',
    help: 'Bedrock input tokens not spent again because their document was reused',
    registers: [this.registry],
  });
  readonly embeddingsDeferred = new Counter({
    name: 'spot_ingest_embeddings_deferred_total',
    help: 'Documents indexed without vectors because the daily Bedrock budget was spent (embedding_pending)',
    registers: [this.registry],
  });

  /** Each dependency with a circuit → 1 (closed) or 0 (open), read on each scrape. */
  dependencies: () => Record<string, number> = () => ({});
  readonly dependencyUp: Gauge<'dependency'>;
  readonly jobTimeouts = new Counter({
    name: 'spot_ingest_job_timeouts_total',
    help: 'Jobs aborted at their deadline (INGEST_JOB_TIMEOUT_SECONDS), their worker thread replaced',
    registers: [this.registry],
  });
  /** Seconds receiving has been paused by open circuits so far (read on each scrape). */
  pausedSeconds: () => number = () => 0;
  readonly receivePausedSeconds: Counter;

  constructor() {
    const states = () => this.dependencies();
    this.dependencyUp = new Gauge({
      name: 'spot_ingest_dependency_up',
      help: '1 while the dependency\'s circuit is closed, 0 while it is open (receiving paused)',
      labelNames: ['dependency'] as const,
      registers: [this.registry],
      collect() {
        for (const [dependency, up] of Object.entries(states())) this.set({ dependency }, up);
      },
    });
    const source = () => this.pausedSeconds();
    this.receivePausedSeconds = new Counter({
      name: 'spot_ingest_receive_paused_seconds_total',
      help: 'Seconds receiving was paused because a dependency circuit was open',
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(source());
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'spot_ingest_' });
    for (const outcome of MESSAGE_OUTCOMES) this.messages.inc({ outcome }, 0);
  }
}
