/**
 * The embedders as the pipeline, `search` and `reembed` use them: every Bedrock call goes through
 * one circuit breaker (an outage fails fast with a retryable EMBEDDING_CIRCUIT_OPEN, so messages
 * are retried, never dead-lettered, and /readyz says why) and is accounted for: tokens, images and
 * the estimated cost per model in /metrics, charged against the daily budget. Once the budget is
 * spent `paused` is true and the pipeline indexes documents without vectors, marked for
 * `spot-ingest reembed`.
 */
import { isIngestError, transient } from '../../core/errors.ts';
import type { Metrics } from '../../observability/metrics.ts';
import { CircuitBreaker } from './circuit-breaker.ts';
import type { DailyBudget } from './daily-budget.ts';
import type { ModelSpec } from './models.ts';
import type { EmbedOptions, ImageEmbedder, ImageEmbedding, PreparedImage, TextEmbedder, TextEmbedding, TextPurpose } from './port.ts';

export interface EmbeddingServiceOptions {
  text: TextEmbedder | null;
  image: ImageEmbedder | null;
  /** Embedders used for search queries against `image_embedding` (English text into the image model's space). */
  imageQuery?: TextEmbedder | null;
  budget: DailyBudget;
  metrics?: Metrics;
  breaker?: { failureThreshold?: number; openMs?: number; now?: () => number };
  onCircuitChange?: (state: 'closed' | 'open' | 'half-open') => void;
}

export class EmbeddingService {
  readonly text: TextEmbedder | null;
  readonly image: ImageEmbedder | null;
  readonly imageQuery: TextEmbedder | null;
  readonly budget: DailyBudget;
  readonly #metrics: Metrics | undefined;
  readonly #breaker: CircuitBreaker;
  readonly #now: () => number;

  constructor(options: EmbeddingServiceOptions) {
    this.text = options.text;
    this.image = options.image;
    this.imageQuery = options.imageQuery ?? null;
    this.budget = options.budget;
    this.#metrics = options.metrics;
    this.#now = options.breaker?.now ?? Date.now;
    this.#breaker = new CircuitBreaker({
      name: 'bedrock',
      ...(options.breaker?.failureThreshold !== undefined ? { failureThreshold: options.breaker.failureThreshold } : {}),
      ...(options.breaker?.openMs !== undefined ? { openMs: options.breaker.openMs } : {}),
      ...(options.breaker?.now ? { now: options.breaker.now } : {}),
      openError: () => {
        const last = this.#breaker.lastError;
        const why = last instanceof Error ? `: ${last.message}` : '';
        return transient('EMBEDDING_CIRCUIT_OPEN', `Bedrock is failing, embedding calls are paused for a while${why}`);
      },
      onStateChange: (state) => {
        this.#metrics?.bedrockCircuitOpen.set(state === 'open' ? 1 : 0);
        options.onCircuitChange?.(state);
      },
    });
    this.#metrics?.bedrockBudgetSpent.set(this.budget.spentToday);
  }

  /** Whether any embedding model is on. */
  get enabled(): boolean {
    return this.text !== null || this.image !== null;
  }

  /** The daily budget is spent: index without vectors (embedding_pending). */
  get paused(): boolean {
    return this.budget.exhausted;
  }

  /** Why the daemon is not ready because of Bedrock (for /readyz), or undefined. */
  get problem(): string | undefined {
    // once the open period is over the next call is a trial: an idle daemon is not held unready
    if (this.#breaker.state !== 'open' || this.#breaker.trialDue) return undefined;
    const last = this.#breaker.lastError;
    return `bedrock circuit open${last instanceof Error ? ` (${last.message})` : ''}`;
  }

  /** While the circuit is open and no trial is due: how long until one is (ms), else 0. */
  get pauseMs(): number {
    if (this.#breaker.state !== 'open' || this.#breaker.trialDue) return 0;
    return Math.max(0, (this.#breaker.openUntil ?? 0) - (this.#now()));
  }

  embedText(text: string, purpose: TextPurpose, options: EmbedOptions = {}, embedder: TextEmbedder | null = this.text): Promise<TextEmbedding> {
    if (embedder === null) return Promise.reject(new TypeError('no text embedding model is configured'));
    return this.#call(embedder.model, async () => {
      const result = await embedder.embedText(text, purpose, options);
      this.#account(embedder.model, result.inputTokens, 0);
      return result;
    });
  }

  embedImage(image: PreparedImage, options: EmbedOptions = {}): Promise<ImageEmbedding> {
    const embedder = this.image;
    if (embedder === null) return Promise.reject(new TypeError('no image embedding model is configured'));
    return this.#call(embedder.model, async () => {
      const result = await embedder.embedImage(image, options);
      this.#account(embedder.model, result.inputTokens, 1);
      return result;
    });
  }

  async #call<T>(model: ModelSpec, fn: () => Promise<T>): Promise<T> {
    try {
      const result = await this.#breaker.run(fn);
      this.#metrics?.bedrockRequests.inc({ model: model.baseId, result: 'ok' });
      return result;
    } catch (err) {
      this.#metrics?.bedrockRequests.inc({ model: model.baseId, result: resultOf(err) });
      throw err;
    }
  }

  #account(model: ModelSpec, tokens: number, images: number): void {
    const usd = (tokens / 1000) * model.usdPer1kTokens + images * model.usdPerImage;
    this.budget.charge(usd);
    const m = this.#metrics;
    if (!m) return;
    m.bedrockInputTokens.inc({ model: model.baseId }, tokens);
    if (images > 0) m.bedrockImages.inc({ model: model.baseId }, images);
    m.bedrockCost.inc({ model: model.baseId }, usd);
    m.bedrockBudgetSpent.set(this.budget.spentToday);
  }

  /** Saves the day's spend (when persisted). */
  async close(): Promise<void> {
    await this.budget.close();
  }
}

function resultOf(err: unknown): string {
  if (!isIngestError(err)) return 'failed';
  switch (err.code) {
    case 'EMBEDDING_CIRCUIT_OPEN': return 'circuit_open';
    case 'EMBEDDING_THROTTLED': return 'throttled';
    case 'EMBEDDING_REJECTED': return 'rejected';
    default: return 'failed';
  }
}
