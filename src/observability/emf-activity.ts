/**
 * The daemon's activity over one EMF interval, from its Prometheus registry: what changed since the
 * previous line (counters as deltas: messages by outcome, pages by source, Bedrock tokens, images
 * and estimated cost; step durations as the mean of the interval) and the state now (today's
 * Bedrock spend against the budget, open circuits: the four dependencies' and Bedrock's). The fleet's alarms and dashboard read these
 * (deploy/lib/alarms.ts, dashboard.ts).
 */
import type { Registry } from 'prom-client';
import type { EmfMetric } from './emf.ts';

interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** The metric names the daemon writes besides Backlog and InFlight (CloudWatch metric name → meaning). */
export const ACTIVITY_METRICS = {
  outcome: (outcome: string) => `Outcome_${outcome}`,
  pages: (source: string) => `Pages_${source}`,
  step: (step: string) => `StepSeconds_${step}`,
  bedrockInputTokens: 'BedrockInputTokens',
  bedrockImages: 'BedrockImages',
  bedrockCostUsd: 'BedrockCostUsd',
  bedrockBudgetSpentUsd: 'BedrockBudgetSpentUsd',
  openCircuits: 'OpenCircuits',
  reusedDocuments: 'ReusedDocuments',
  reuseSavedPages: 'ReuseSavedPages',
  reuseSavedBedrockTokens: 'ReuseSavedBedrockTokens',
} as const;

/** At most this many activity metrics per line (EMF allows 100 per directive; Backlog and InFlight come too). */
const MAX_METRICS = 90;

export class EmfActivity {
  readonly #registry: Registry;
  #previous = new Map<string, number>();

  constructor(registry: Registry) {
    this.#registry = registry;
  }

  /** The metrics of the interval since the last call (the first call: since start). */
  async collect(): Promise<EmfMetric[]> {
    const current = new Map<string, number>();
    const out: EmfMetric[] = [];
    let open = 0;
    const delta = (key: string, value: number) => {
      current.set(key, value);
      return Math.max(0, value - (this.#previous.get(key) ?? 0));
    };
    for (const metric of await this.#registry.getMetricsAsJSON()) {
      const values = metric.values as Sample[];
      switch (metric.name) {
        case 'spot_ingest_messages_total':
          for (const v of values) out.push({ name: ACTIVITY_METRICS.outcome(String(v.labels.outcome)), value: delta(`m:${v.labels.outcome}`, v.value), unit: 'Count' });
          break;
        case 'spot_ingest_pages_total':
          for (const v of values) out.push({ name: ACTIVITY_METRICS.pages(String(v.labels.source)), value: delta(`p:${v.labels.source}`, v.value), unit: 'Count' });
          break;
        case 'spot_ingest_step_duration_seconds': {
          const steps = new Map<string, { sum: number; count: number }>();
          for (const v of values) {
            const step = String(v.labels.step);
            const entry = steps.get(step) ?? { sum: 0, count: 0 };
            if (v.metricName?.endsWith('_sum')) entry.sum = delta(`ss:${step}`, v.value);
            else if (v.metricName?.endsWith('_count')) entry.count = delta(`sc:${step}`, v.value);
            steps.set(step, entry);
          }
          for (const [step, { sum, count }] of steps) if (count > 0) out.push({ name: ACTIVITY_METRICS.step(step), value: sum / count, unit: 'Seconds' });
          break;
        }
        case 'spot_ingest_bedrock_input_tokens_total':
          out.push({ name: ACTIVITY_METRICS.bedrockInputTokens, value: delta('bt', total(values)), unit: 'Count' });
          break;
        case 'spot_ingest_bedrock_images_total':
          out.push({ name: ACTIVITY_METRICS.bedrockImages, value: delta('bi', total(values)), unit: 'Count' });
          break;
        case 'spot_ingest_bedrock_estimated_cost_usd_total':
          out.push({ name: ACTIVITY_METRICS.bedrockCostUsd, value: delta('bc', total(values)), unit: 'None' });
          break;
        case 'spot_ingest_bedrock_budget_spent_usd':
          out.push({ name: ACTIVITY_METRICS.bedrockBudgetSpentUsd, value: total(values), unit: 'None' });
          break;
        case 'spot_ingest_reused_documents_total':
          out.push({ name: ACTIVITY_METRICS.reusedDocuments, value: delta('rd', total(values)), unit: 'Count' });
          break;
        case 'spot_ingest_reuse_saved_pages_total':
          out.push({ name: ACTIVITY_METRICS.reuseSavedPages, value: delta('rp', total(values)), unit: 'Count' });
          break;
        case 'spot_ingest_reuse_saved_bedrock_tokens_total':
          out.push({ name: ACTIVITY_METRICS.reuseSavedBedrockTokens, value: delta('rt', total(values)), unit: 'Count' });
          break;
        case 'spot_ingest_dependency_up':
          open += values.filter((v) => v.value === 0).length;
          break;
        case 'spot_ingest_bedrock_circuit_open':
          open += values.filter((v) => v.value === 1).length;
          break;
        default:
      }
    }
    out.push({ name: ACTIVITY_METRICS.openCircuits, value: open, unit: 'Count' });
    this.#previous = current;
    return out.slice(0, MAX_METRICS);
  }
}

function total(values: readonly Sample[]): number {
  return values.reduce((a, v) => a + v.value, 0);
}
