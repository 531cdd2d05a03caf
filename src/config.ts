/**
 * All configuration, from environment variables (docs/design.md §3), parsed once by one zod schema.
 * A bad value is a ConfigError naming the variable; the CLI turns it into exit code 2.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './core/errors.ts';

export { ConfigError };

const optionalString = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v));

const url = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' });
const optionalUrl = optionalString.pipe(url.optional());

/** Unset or empty (docs/design.md §3.1) ⇒ undefined, the default. */
function int(min: number, max: number) {
  return optionalString.pipe(
    z
      .string()
      .regex(/^\d+$/, 'must be a whole number')
      .transform(Number)
      .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
      .optional(),
  );
}

/** Seconds, whole or decimal (e.g. 0.5), within [min, max]. */
function seconds(min: number, max: number) {
  return optionalString.pipe(
    z
      .string()
      .regex(/^\d+(\.\d+)?$/, 'must be a number of seconds such as 30 or 0.5')
      .transform(Number)
      .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
      .optional(),
  );
}

const modelId = optionalString.transform((v) => (v === 'none' ? null : v));

const schema = z.object({
  INGEST_QUEUE_URL: optionalUrl,
  INGEST_DLQ_URL: optionalUrl,
  INGEST_STATE_TABLE: optionalString.pipe(
    z.string().regex(/^[a-zA-Z0-9_.-]{3,255}$/, 'must be a DynamoDB table name (3-255 of a-z A-Z 0-9 _ . -)').optional(),
  ),
  INGEST_OPENSEARCH_URL: optionalUrl,
  INGEST_OPENSEARCH_INDEX: optionalString.pipe(
    z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'must be a lowercase OpenSearch index or alias name').optional(),
  ),
  // read by src/adapters/index/create-opensearch.ts; validated here with everything else
  INGEST_OPENSEARCH_SIGV4: optionalString.pipe(z.enum(['es', 'aoss', 'off']).optional()),
  INGEST_THUMBNAIL_BUCKET: optionalString,
  INGEST_THUMBNAIL_PREFIX: optionalString,
  INGEST_TEXT_EMBEDDING_MODEL: modelId,
  INGEST_IMAGE_EMBEDDING_MODEL: modelId,
  INGEST_TEXT_EMBEDDING_DIMENSIONS: int(1, 16_000).optional(),
  INGEST_IMAGE_EMBEDDING_DIMENSIONS: int(1, 16_000).optional(),
  INGEST_BEDROCK_DAILY_BUDGET_USD: optionalString.pipe(
    z.string().regex(/^\d+(\.\d+)?$/, 'must be an amount in USD such as 5 or 2.50').transform(Number).optional(),
  ),
  INGEST_BEDROCK_CIRCUIT_SECONDS: int(1, 3600).optional(),
  INGEST_OCR_LANGS: optionalString.pipe(z.string().regex(/^[a-z_]+(\+[a-z_]+)*$/, 'must look like jpn+eng').optional()),
  INGEST_CONCURRENCY: int(1, 1000).optional(),
  INGEST_MAX_FILE_BYTES: int(1, Number.MAX_SAFE_INTEGER).optional(),
  INGEST_VISIBILITY_TIMEOUT: int(10, 43_200).optional(),
  INGEST_HTTP_PORT: int(0, 65_535).optional(),
  INGEST_HTTP_HOST: optionalString,
  INGEST_IMDS: optionalString.pipe(z.enum(['on', 'off', 'auto']).optional()),
  INGEST_SPOT_SAFETY_MARGIN_SECONDS: int(0, 110).optional(),
  INGEST_REBALANCE: optionalString.pipe(z.enum(['drain', 'ignore']).optional()),
  AWS_EC2_METADATA_SERVICE_ENDPOINT: optionalUrl,
  INGEST_DATA_DIR: optionalString,
  INGEST_SHUTDOWN_GRACE_SECONDS: int(1, 3600).optional(),
  INGEST_INSTANCE_ID: optionalString,
  INGEST_RETRY_BASE_SECONDS: int(1, 3600).optional(),
  INGEST_POOL_SIZE: int(1, 256).optional(),
  INGEST_POOL_RECYCLE_PAGES: int(1, 1_000_000).optional(),
  INGEST_PDF_MAX_PAGES: int(1, 100_000).optional(),
  INGEST_PDF_MIN_TEXT_CHARS: int(0, 100_000).optional(),
  INGEST_OCR_DPI: int(72, 600).optional(),
  INGEST_OCR_LOW_CONFIDENCE: int(0, 100).optional(),
  INGEST_THUMBNAIL_SIZE: int(0, 4096).optional(),
  INGEST_CHECKPOINT_BUCKET: optionalString,
  INGEST_CHECKPOINT_PREFIX: optionalString,
  INGEST_REUSE: optionalString.pipe(z.enum(['on', 'off']).optional()),
  INGEST_CONTENT_PREFIX: optionalString,
  INGEST_ASG_NAME: optionalString.pipe(z.string().max(255, 'must be an Auto Scaling group name (at most 255 characters)').optional()),
  INGEST_LIFECYCLE_HOOK_NAME: optionalString.pipe(
    z.string().regex(/^[A-Za-z0-9_/-]{1,255}$/, 'must be a lifecycle hook name (1-255 of A-Z a-z 0-9 - _ /)').optional(),
  ),
  INGEST_LIFECYCLE_HEARTBEAT_SECONDS: int(0, 7200).optional(),
  INGEST_SCALE_IN_PROTECTION: optionalString.pipe(z.enum(['on', 'off']).optional()),
  INGEST_SCALE_IN_IDLE_SECONDS: int(0, 3600).optional(),
  INGEST_EMF: optionalString.pipe(z.enum(['on', 'off']).optional()),
  INGEST_EMF_INTERVAL_SECONDS: int(1, 3600).optional(),
  INGEST_EMF_LOG_GROUP: optionalString,
  INGEST_JOB_TIMEOUT_SECONDS: int(1, 43_200).optional(),
  INGEST_JOB_TIMEOUT_PER_PAGE_SECONDS: int(0, 3600).optional(),
  INGEST_CIRCUIT_FAILURES: int(1, 1000).optional(),
  INGEST_CIRCUIT_PROBE_MIN_SECONDS: seconds(0.05, 3600).optional(),
  INGEST_CIRCUIT_PROBE_MAX_SECONDS: seconds(0.05, 3600).optional(),
  INGEST_DLQ_SWEEP_SECONDS: int(0, 86_400).optional(),
  INGEST_TEST_HANG_MARKER: optionalString,
  LOG_LEVEL: optionalString.pipe(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional()),
});

export interface Config {
  /** true when INGEST_QUEUE_URL is unset: the embedded local stack (docs/design.md §8). */
  localMode: boolean;
  queueUrl: string | undefined;
  dlqUrl: string | undefined;
  stateTable: string | undefined;
  openSearchUrl: string | undefined;
  openSearchIndex: string;
  thumbnailBucket: string | undefined;
  thumbnailPrefix: string;
  /** Where finished pages of long jobs are checkpointed (default: the thumbnail bucket); undefined ⇒ no checkpoints. */
  checkpointBucket: string | undefined;
  checkpointPrefix: string;
  /** Index a file whose bytes were extracted before from that extraction (INGEST_REUSE, default on). */
  reuse: boolean;
  /** Key prefix, in the checkpoint bucket, of content records too large for a state-table item. */
  contentPrefix: string;
  textEmbeddingModel: string | null;
  imageEmbeddingModel: string | null;
  /** Vector length asked of the text / image model; undefined ⇒ the model's default (1024). */
  textEmbeddingDimensions: number | undefined;
  imageEmbeddingDimensions: number | undefined;
  /** Estimated Bedrock spend per UTC day after which embedding pauses; undefined ⇒ no cap. */
  bedrockDailyBudgetUsd: number | undefined;
  /** How long the Bedrock circuit stays open (embedding calls fail fast) before one trial call. */
  bedrockCircuitSeconds: number;
  ocrLangs: string;
  /** Worker threads for PDF parsing / rendering and OCR. */
  poolSize: number;
  /** OCR pages after which a worker thread is replaced (caps its memory). */
  poolRecyclePages: number;
  /** PDF pages (and TIFF pages) read at most; the rest are skipped with a warning. */
  pdfMaxPages: number;
  /** A PDF page whose text layer has fewer non-space characters is rendered and OCRed. */
  pdfMinTextChars: number;
  /** Resolution pages are rendered at, and images reduced to, for OCR. */
  ocrDpi: number;
  /** OCR pages with a lower mean confidence are marked with a warning. */
  ocrLowConfidence: number;
  /** Long side of thumbnails in px; 0 = no thumbnails. */
  thumbnailSize: number;
  concurrency: number;
  maxFileBytes: number;
  visibilityTimeoutSeconds: number;
  httpPort: number;
  httpHost: string;
  imds: 'on' | 'off' | 'auto';
  /** IMDS base URL (AWS_EC2_METADATA_SERVICE_ENDPOINT); undefined ⇒ http://169.254.169.254. */
  imdsEndpoint: string | undefined;
  /** A spot interruption drains until (notice time − this margin), then releases what is left. */
  spotSafetyMarginSeconds: number;
  /** What a rebalance recommendation does: drain (no deadline) or nothing. */
  rebalance: 'drain' | 'ignore';
  dataDir: string;
  /** How long SIGTERM waits for in-flight work before releasing it (keep below systemd's TimeoutStopSec). */
  shutdownGraceSeconds: number;
  /** Lease owner identity (INGEST_INSTANCE_ID); unset ⇒ the EC2 instance id from IMDS, else the host name. */
  instanceId: string | undefined;
  /** First retry delay; later ones double, with jitter, up to 15 minutes. */
  retryBaseSeconds: number;
  /** The instance's Auto Scaling group; undefined ⇒ the IMDS tag aws:autoscaling:groupName. */
  asgName: string | undefined;
  /** Termination lifecycle hook completed (CONTINUE) after the drain; undefined ⇒ off. */
  lifecycleHookName: string | undefined;
  /** RecordLifecycleActionHeartbeat this often while a termination drain runs; 0 = never. */
  lifecycleHeartbeatSeconds: number;
  /** SetInstanceProtection true while work is in flight, false when idle. */
  scaleInProtection: boolean;
  /** Idle this long before scale-in protection is taken off. */
  scaleInIdleSeconds: number;
  /** CloudWatch embedded-metric-format lines (Backlog, InFlight) on stdout. */
  emf: boolean;
  emfIntervalSeconds: number;
  /** A CloudWatch Logs group the EMF lines are also sent to (no log agent needed); undefined ⇒ stdout only. */
  emfLogGroup: string | undefined;
  /** A job's deadline: this long, plus jobTimeoutPerPageSeconds per finished page (src/consumer/job-deadline.ts). */
  jobTimeoutSeconds: number;
  jobTimeoutPerPageSeconds: number;
  /** Outage failures in a row that open a dependency's circuit (receiving pauses). */
  circuitFailures: number;
  /** An open circuit's probe runs after this long, doubling up to circuitProbeMaxSeconds. */
  circuitProbeMinSeconds: number;
  circuitProbeMaxSeconds: number;
  /** How often the DLQ is swept for dead letters SQS moved without a reason (src/consumer/dlq-sweeper.ts); 0 = never. */
  dlqSweepSeconds: number;
  /** Test hook only: a PDF or image whose bytes contain this string hangs its worker thread (never set it in production). */
  testHangMarker: string | undefined;
  logLevel: string;
  /** LOG_LEVEL as set (undefined: unset): the one-shot commands default to `warn` instead. */
  logLevelSetting: string | undefined;
  /** AWS_EC2_METADATA_DISABLED=true: the AWS SDK's own switch for "there is no IMDS here". */
  imdsDisabled: boolean;
  /**
   * The environment this configuration was read from, for the AWS SDK clients: they read their own
   * variables (AWS_REGION, AWS_ENDPOINT_URL_*, AWS_PROFILE…) from it. No other module reads
   * process.env.
   */
  env: Readonly<NodeJS.ProcessEnv>;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      const value = env[name];
      const shown = value === undefined ? '' : ` (got ${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)})`;
      return `${name}: ${issue.message}${shown}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  const localMode = e.INGEST_QUEUE_URL === undefined;
  // unset or empty ⇒ the default model; `none` ⇒ null (off)
  const textModel = e.INGEST_TEXT_EMBEDDING_MODEL === undefined ? 'amazon.titan-embed-text-v2:0' : e.INGEST_TEXT_EMBEDDING_MODEL;
  const imageModel = e.INGEST_IMAGE_EMBEDDING_MODEL === undefined ? 'amazon.titan-embed-image-v1' : e.INGEST_IMAGE_EMBEDDING_MODEL;
  return {
    localMode,
    queueUrl: e.INGEST_QUEUE_URL,
    dlqUrl: e.INGEST_DLQ_URL,
    stateTable: e.INGEST_STATE_TABLE,
    openSearchUrl: e.INGEST_OPENSEARCH_URL,
    openSearchIndex: e.INGEST_OPENSEARCH_INDEX ?? 'files',
    thumbnailBucket: e.INGEST_THUMBNAIL_BUCKET,
    thumbnailPrefix: e.INGEST_THUMBNAIL_PREFIX ?? 'thumbnails/',
    checkpointBucket: e.INGEST_CHECKPOINT_BUCKET ?? e.INGEST_THUMBNAIL_BUCKET,
    checkpointPrefix: e.INGEST_CHECKPOINT_PREFIX ?? 'checkpoints/',
    reuse: e.INGEST_REUSE !== 'off',
    contentPrefix: e.INGEST_CONTENT_PREFIX ?? 'content/',
    textEmbeddingModel: textModel,
    imageEmbeddingModel: imageModel,
    textEmbeddingDimensions: e.INGEST_TEXT_EMBEDDING_DIMENSIONS,
    imageEmbeddingDimensions: e.INGEST_IMAGE_EMBEDDING_DIMENSIONS,
    bedrockDailyBudgetUsd: e.INGEST_BEDROCK_DAILY_BUDGET_USD,
    bedrockCircuitSeconds: e.INGEST_BEDROCK_CIRCUIT_SECONDS ?? 30,
    ocrLangs: e.INGEST_OCR_LANGS ?? 'jpn+eng',
    poolSize: e.INGEST_POOL_SIZE ?? availableParallelism(),
    poolRecyclePages: e.INGEST_POOL_RECYCLE_PAGES ?? 200,
    pdfMaxPages: e.INGEST_PDF_MAX_PAGES ?? 1000,
    pdfMinTextChars: e.INGEST_PDF_MIN_TEXT_CHARS ?? 20,
    ocrDpi: e.INGEST_OCR_DPI ?? 300,
    ocrLowConfidence: e.INGEST_OCR_LOW_CONFIDENCE ?? 60,
    thumbnailSize: e.INGEST_THUMBNAIL_SIZE ?? 256,
    concurrency: e.INGEST_CONCURRENCY ?? 2 * availableParallelism(),
    maxFileBytes: e.INGEST_MAX_FILE_BYTES ?? 536_870_912,
    visibilityTimeoutSeconds: e.INGEST_VISIBILITY_TIMEOUT ?? 120,
    httpPort: e.INGEST_HTTP_PORT ?? 9400,
    httpHost: e.INGEST_HTTP_HOST ?? (localMode ? '127.0.0.1' : '0.0.0.0'),
    imds: e.INGEST_IMDS ?? 'auto',
    imdsEndpoint: e.AWS_EC2_METADATA_SERVICE_ENDPOINT,
    spotSafetyMarginSeconds: e.INGEST_SPOT_SAFETY_MARGIN_SECONDS ?? 15,
    rebalance: e.INGEST_REBALANCE ?? 'drain',
    dataDir: resolve(e.INGEST_DATA_DIR ?? (localMode ? './.spot-ingest' : '/var/lib/spot-ingest')),
    shutdownGraceSeconds: e.INGEST_SHUTDOWN_GRACE_SECONDS ?? 90,
    instanceId: e.INGEST_INSTANCE_ID,
    retryBaseSeconds: e.INGEST_RETRY_BASE_SECONDS ?? 10,
    asgName: e.INGEST_ASG_NAME,
    lifecycleHookName: e.INGEST_LIFECYCLE_HOOK_NAME,
    lifecycleHeartbeatSeconds: e.INGEST_LIFECYCLE_HEARTBEAT_SECONDS ?? 0,
    scaleInProtection: e.INGEST_SCALE_IN_PROTECTION === 'on',
    scaleInIdleSeconds: e.INGEST_SCALE_IN_IDLE_SECONDS ?? 30,
    emf: e.INGEST_EMF === 'on',
    emfIntervalSeconds: e.INGEST_EMF_INTERVAL_SECONDS ?? 60,
    emfLogGroup: e.INGEST_EMF_LOG_GROUP,
    jobTimeoutSeconds: e.INGEST_JOB_TIMEOUT_SECONDS ?? 600,
    jobTimeoutPerPageSeconds: e.INGEST_JOB_TIMEOUT_PER_PAGE_SECONDS ?? 30,
    circuitFailures: e.INGEST_CIRCUIT_FAILURES ?? 3,
    circuitProbeMinSeconds: e.INGEST_CIRCUIT_PROBE_MIN_SECONDS ?? 1,
    circuitProbeMaxSeconds: Math.max(e.INGEST_CIRCUIT_PROBE_MAX_SECONDS ?? 30, e.INGEST_CIRCUIT_PROBE_MIN_SECONDS ?? 1),
    testHangMarker: e.INGEST_TEST_HANG_MARKER,
    dlqSweepSeconds: e.INGEST_DLQ_SWEEP_SECONDS ?? 60,
    // local mode prints a progress line per file; its JSON log (on stderr) keeps to warnings
    logLevel: e.LOG_LEVEL ?? (localMode ? 'warn' : 'info'),
    logLevelSetting: e.LOG_LEVEL,
    imdsDisabled: env.AWS_EC2_METADATA_DISABLED?.trim().toLowerCase() === 'true',
    env,
  };
}

/** The variables `spot-ingest run` needs against real AWS (not in local mode). */
export function requireForQueueMode(config: Config): void {
  const missing: string[] = [];
  if (config.stateTable === undefined) missing.push('INGEST_STATE_TABLE');
  if (config.openSearchUrl === undefined) missing.push('INGEST_OPENSEARCH_URL');
  if (missing.length > 0) {
    throw new ConfigError(`invalid configuration:\n  ${missing.map((m) => `${m}: required when INGEST_QUEUE_URL is set`).join('\n  ')}`);
  }
}
