/**
 * Builds the EmbeddingService from configuration (or decides there is none, and says why once).
 * Production: Bedrock with the default credential chain; a missing region is a startup error.
 * Local mode: Bedrock only when credentials and a region can be found (or a Bedrock endpoint is
 * configured); otherwise embeddings are off — local mode must work on a laptop with no AWS account.
 */
import { join } from 'node:path';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { Config } from '../config.ts';
import { StartupError } from '../core/errors.ts';
import type { Metrics } from '../observability/metrics.ts';
import { createBedrockRuntimeClient } from '../adapters/embedder/bedrock-client.ts';
import { BedrockEmbedder } from '../adapters/embedder/bedrock.ts';
import { configuredModels, type ConfiguredModels } from '../adapters/embedder/configured-models.ts';
import { DailyBudget } from '../adapters/embedder/daily-budget.ts';
import { createDynamoDbClient } from '../adapters/aws/clients.ts';
import { DynamoDbSpendLedger } from '../adapters/state/dynamodb-spend-ledger.ts';
import { EmbeddingService } from '../adapters/embedder/embedding-service.ts';
import { probeModels } from '../adapters/embedder/probe-models.ts';
import { classifyError } from '../core/classify.ts';

export type EmbeddingsConfig = Pick<Config,
  'localMode' | 'dataDir' | 'textEmbeddingModel' | 'imageEmbeddingModel' | 'textEmbeddingDimensions' | 'imageEmbeddingDimensions' | 'bedrockDailyBudgetUsd' | 'bedrockCircuitSeconds' | 'stateTable'> &
  Partial<Pick<Config, 'env'>>;

export interface Embeddings {
  /** undefined ⇒ embeddings are off. */
  service: EmbeddingService | undefined;
  models: ConfiguredModels;
  /** One line for people: what is on, or why it is off. */
  description: string;
  close(): Promise<void>;
}

export interface CreateEmbeddingsOptions {
  env?: NodeJS.ProcessEnv;
  metrics?: Metrics;
  onWarning?: (message: string) => void;
  onCircuitChange?: (state: 'closed' | 'open' | 'half-open') => void;
  /** Local mode makes one trial call per model (default); false skips it (a search falls back to text anyway). */
  probe?: boolean;
  /** How long local mode's one trial call per model may take. */
  probeTimeoutMs?: number;
  /** How long local mode waits for the credential chain (it may try IMDS off EC2). */
  credentialTimeoutMs?: number;
}

const off = (models: ConfiguredModels, why: string): Embeddings => ({ service: undefined, models, description: `embeddings: off (${why})`, close: async () => undefined });

export async function createEmbeddings(config: EmbeddingsConfig, options: CreateEmbeddingsOptions = {}): Promise<Embeddings> {
  const env = options.env ?? config.env ?? {};
  const models = configuredModels(config); // ConfigError (exit 2) for an unknown model or dimension
  if (models.text === null && models.image === null) return off(models, 'INGEST_TEXT_EMBEDDING_MODEL and INGEST_IMAGE_EMBEDDING_MODEL are "none"');

  const client = createBedrockRuntimeClient({
    env,
    ...(options.metrics ? { onThrottle: (modelId: string) => options.metrics!.bedrockThrottles.inc({ model: modelId }) } : {}),
  });
  let region: string;
  try {
    region = await client.config.region();
  } catch {
    client.destroy();
    if (config.localMode) return off(models, 'no AWS region configured; set AWS_REGION and credentials to embed with Bedrock');
    throw new StartupError('Bedrock embeddings are on but no AWS region is configured: set AWS_REGION (or set INGEST_TEXT_EMBEDDING_MODEL / INGEST_IMAGE_EMBEDDING_MODEL to "none")');
  }
  if (config.localMode && !env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME) {
    const found = await credentialsFound(options.credentialTimeoutMs ?? 3_000);
    if (!found) {
      client.destroy();
      return off(models, 'no AWS credentials found; configure credentials (e.g. AWS_PROFILE) to embed with Bedrock');
    }
  }
  // a capped fleet adds its spend up in the state table; otherwise (and in local mode) a file per instance
  const shared = !config.localMode && config.stateTable !== undefined && config.bedrockDailyBudgetUsd !== undefined
    ? createDynamoDbClient(env) : undefined;
  const cleanup = () => { shared?.destroy(); };
  const budget = await DailyBudget.open({
    ...(config.bedrockDailyBudgetUsd !== undefined ? { limitUsd: config.bedrockDailyBudgetUsd } : {}),
    ...(shared ? { ledger: new DynamoDbSpendLedger(shared, config.stateTable!) } : { persistPath: join(config.dataDir, 'bedrock-spend.json') }),
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });
  const text = models.text ? new BedrockEmbedder({ client, model: models.text }) : null;
  const image = models.image ? new BedrockEmbedder({ client, model: models.image }) : null;
  const service = new EmbeddingService({
    text, image, imageQuery: image, budget, breaker: { openMs: config.bedrockCircuitSeconds * 1000 },
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.onCircuitChange ? { onCircuitChange: options.onCircuitChange } : {}),
  });
  if (config.localMode && options.probe !== false) {
    // a laptop's credentials may have no Bedrock access: find out once, instead of retrying every sample
    try {
      await probeModels(service, AbortSignal.timeout(options.probeTimeoutMs ?? 15_000));
    } catch (err) {
      await service.close();
      client.destroy();
      cleanup();
      const e = classifyError(err);
      return off(models, `Bedrock did not answer: ${e.code}: ${e.message}`);
    }
  }
  const on = [models.text ? `text ${models.text.id} (${models.text.dimensions})` : '', models.image ? `image ${models.image.id} (${models.image.dimensions})` : ''].filter(Boolean);
  const cap = config.bedrockDailyBudgetUsd !== undefined ? `, budget $${config.bedrockDailyBudgetUsd}/day ${shared ? 'for the fleet (state table)' : 'for this instance'}` : '';
  return {
    service, models,
    description: `embeddings: on — Bedrock in ${region}: ${on.join(', ')}${cap}`,
    close: async () => {
      await service.close();
      client.destroy();
      cleanup();
    },
  };
}

async function credentialsFound(timeoutMs: number): Promise<boolean> {
  const provider = defaultProvider();
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      provider().then((c: { accessKeyId: string }) => c.accessKeyId !== ''),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
