/**
 * The dependency gate (docs/design.md §4 "outages"): one circuit per dependency — OpenSearch, the state
 * table (DynamoDB), S3, and Bedrock (the embedding service's own breaker, seen through
 * `external`) — plus SQS, which the poller watches itself. While any circuit is open the consumer
 * receives nothing, so queued messages keep their receive counts however long an outage lasts.
 *
 * It owns what an operator sees of outages: `/readyz` names every open circuit,
 * `spot_ingest_dependency_up{dependency}` and `spot_ingest_receive_paused_seconds_total` are in
 * `/metrics`, and one log line is written per change of state (not one per message).
 */
import type { Dependency, IngestError } from '../core/errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { Circuit, type Probe } from './circuit.ts';

/** A circuit kept elsewhere (the Bedrock breaker, the SQS poller): the gate only reads it. */
export interface ExternalCircuit {
  dependency: Dependency;
  /** Why it is open, or undefined while closed. */
  problem(): string | undefined;
  /** Whether receiving should wait for it (false e.g. once a Bedrock trial call is due). */
  pauses(): boolean;
  /** Is it down right now? (a trial call); without one, an open circuit is the answer. */
  confirmDown?(signal?: AbortSignal): Promise<boolean>;
}

export interface GateOptions {
  logger: Logger;
  metrics?: Metrics;
  /** Outage failures in a row that open a circuit. */
  failureThreshold?: number;
  probeMinMs?: number;
  probeMaxMs?: number;
  probeTimeoutMs?: number;
}

export class DependencyGate {
  readonly #o: GateOptions;
  readonly #circuits = new Map<Dependency, Circuit>();
  readonly #external: ExternalCircuit[] = [];
  /** When receiving was last paused (epoch ms), while it is. */
  #pausedSince: number | undefined;
  #pausedMs = 0;

  constructor(options: GateOptions) {
    this.#o = options;
    // read on every scrape, so a long pause shows while it lasts
    if (options.metrics) {
      options.metrics.pausedSeconds = () => this.pausedSeconds;
      options.metrics.dependencies = () => this.#states();
    }
  }

  /** Add a probed circuit for `dependency` (idempotent: the first one stays). */
  add(dependency: Dependency, probe: Probe): Circuit {
    const existing = this.#circuits.get(dependency);
    if (existing) return existing;
    const circuit = new Circuit({
      dependency,
      probe,
      ...(this.#o.failureThreshold !== undefined ? { failureThreshold: this.#o.failureThreshold } : {}),
      ...(this.#o.probeMinMs !== undefined ? { probeMinMs: this.#o.probeMinMs } : {}),
      ...(this.#o.probeMaxMs !== undefined ? { probeMaxMs: this.#o.probeMaxMs } : {}),
      ...(this.#o.probeTimeoutMs !== undefined ? { probeTimeoutMs: this.#o.probeTimeoutMs } : {}),
      onChange: (open, why) => this.#changed(dependency, open, why),
    });
    this.#circuits.set(dependency, circuit);
    return circuit;
  }

  /** Watch a circuit that lives elsewhere (its state is read on every question). */
  watch(circuit: ExternalCircuit): void {
    this.#external.push(circuit);
  }

  /** dependency → 1 (closed) / 0 (open), for spot_ingest_dependency_up. */
  #states(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const circuit of this.#circuits.values()) out[circuit.dependency] = circuit.open ? 0 : 1;
    for (const external of this.#external) out[external.dependency] = external.problem() === undefined ? 1 : 0;
    return out;
  }

  circuit(dependency: Dependency): Circuit | undefined {
    return this.#circuits.get(dependency);
  }

  /** Every open circuit, as `/readyz` names it: `opensearch circuit open (INDEX_UNAVAILABLE: …)`. */
  problems(): string[] {
    const out: string[] = [];
    for (const circuit of this.#circuits.values()) {
      if (!circuit.open) continue;
      const why = circuit.lastError ? ` (${circuit.lastError.code}: ${circuit.lastError.message})` : '';
      out.push(`${circuit.dependency} circuit open${why}`);
    }
    for (const external of this.#external) {
      const problem = external.problem();
      if (problem !== undefined) out.push(problem);
    }
    return out;
  }

  /** Why receiving must wait right now (the first open circuit), or undefined: receive. */
  pauseReason(): string | undefined {
    const open = [...this.#circuits.values()].find((circuit) => circuit.open);
    const pausing = open === undefined ? this.#external.find((external) => external.pauses()) : undefined;
    const reason = open ? `${open.dependency} circuit open` : pausing ? (pausing.problem() ?? `${pausing.dependency} circuit open`) : undefined;
    this.#setPaused(reason !== undefined);
    return reason;
  }

  /**
   * Whether `dependency` is down now: an open circuit, or (closed) a probe that fails — which
   * opens it. Dependencies without a probed circuit answer from their external view.
   */
  async confirmDown(dependency: Dependency, signal?: AbortSignal): Promise<boolean> {
    const circuit = this.#circuits.get(dependency);
    if (circuit) return circuit.confirmDown(signal);
    for (const external of this.#external) {
      if (external.dependency !== dependency) continue;
      if (external.problem() !== undefined) return true;
      return (await external.confirmDown?.(signal)) ?? false;
    }
    return false;
  }

  /** End every probe loop (at shutdown). */
  async stop(): Promise<void> {
    await Promise.all([...this.#circuits.values()].map((circuit) => circuit.stop()));
    this.#setPaused(false);
  }

  #changed(dependency: Dependency, open: boolean, why: IngestError | undefined): void {
    if (open) {
      this.#o.logger.warn({ dependency, circuit: 'open', err: why }, `${dependency} is down: circuit open, receiving paused until a probe succeeds`);
    } else {
      const circuit = this.#circuits.get(dependency);
      const downMs = circuit ? Date.now() - circuit.openedAt : undefined;
      this.#o.logger.info({ dependency, circuit: 'closed', downMs }, `${dependency} is back: circuit closed`);
    }
    // re-evaluated here too, so the paused time stops counting when the last circuit closes
    if (!open) this.pauseReason();
  }

  #setPaused(paused: boolean): void {
    if (paused && this.#pausedSince === undefined) this.#pausedSince = Date.now();
    if (!paused && this.#pausedSince !== undefined) {
      this.#pausedMs += Date.now() - this.#pausedSince;
      this.#pausedSince = undefined;
    }
  }

  /** Seconds paused so far, including a pause still running. */
  get pausedSeconds(): number {
    return (this.#pausedMs + (this.#pausedSince === undefined ? 0 : Date.now() - this.#pausedSince)) / 1000;
  }
}
