/**
 * CloudWatch embedded metric format (EMF): one JSON object per line on stdout, which the journal
 * and the CloudWatch agent carry to CloudWatch Logs, where the metrics are extracted. The document:
 *   {"_aws":{"Timestamp":<epoch ms>,"CloudWatchMetrics":[{"Namespace","Dimensions":[[names…]],
 *    "Metrics":[{"Name","Unit"}…]}]}, "<dimension>":"<value>"…, "<metric>":<number>…, …}
 * (dimension values are strings, metric values numbers, both as members of the root; at most 30
 * dimensions and 100 metrics per directive; other root members are plain properties for Logs).
 *
 * buildEmf() is pure; EmfPublisher writes one line every interval (the first at once) from a
 * `collect` callback, logs failures with backoff (1st, 2nd, 4th… in a row), never throws, and
 * leaves no timer behind: the timer is unref'd and stop() clears it and aborts a collection.
 */
import { IngestError } from '../core/errors.ts';
import type { Logger } from './logger.ts';

/** The namespace of the daemon's own metrics. */
export const EMF_NAMESPACE = 'SpotIngest';

/** CloudWatch units (the subset that makes sense here). */
export type EmfUnit = 'Count' | 'Count/Second' | 'Percent' | 'Seconds' | 'Milliseconds' | 'Bytes' | 'None';

export interface EmfMetric {
  name: string;
  value: number;
  unit?: EmfUnit;
}

export interface EmfRecord {
  namespace: string;
  /** One dimension set: name → value. */
  dimensions: Record<string, string>;
  metrics: EmfMetric[];
  /** More root members (not metrics): searchable in CloudWatch Logs Insights. */
  properties?: Record<string, string | number | boolean>;
}

export interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit?: EmfUnit }> }>;
  };
  [member: string]: unknown;
}

/** A record that cannot be a valid EMF document (a bug in the caller, never retried). */
export class EmfError extends IngestError {
  constructor(message: string) {
    super('EMF_INVALID', message, { retryable: false });
    this.name = 'EmfError';
  }
}

/** The EMF document of one record at `timestamp` (epoch ms). Throws EmfError when it would be invalid. */
export function buildEmf(record: EmfRecord, timestamp: number): EmfDocument {
  const { namespace, dimensions, metrics, properties = {} } = record;
  if (namespace.length < 1 || namespace.length > 255 || namespace.startsWith(':')) throw new EmfError(`namespace ${JSON.stringify(namespace)}: 1-255 characters, not starting with ':'`);
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new EmfError(`timestamp ${timestamp}: must be epoch milliseconds`);
  const dimensionNames = Object.keys(dimensions);
  if (dimensionNames.length > 30) throw new EmfError(`${dimensionNames.length} dimensions: at most 30`);
  if (metrics.length < 1 || metrics.length > 100) throw new EmfError(`${metrics.length} metrics: 1 to 100`);
  const members = new Set<string>(['_aws']);
  const claim = (name: string, what: string) => {
    if (name.length < 1 || name.length > 1024) throw new EmfError(`${what} name ${JSON.stringify(name)}: 1-1024 characters`);
    if (members.has(name)) throw new EmfError(`${what} ${JSON.stringify(name)}: the root already has a member of that name`);
    members.add(name);
  };
  const root: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(dimensions)) {
    claim(name, 'dimension');
    if (value.length < 1 || value.length > 1024) throw new EmfError(`dimension ${name}: value must be 1-1024 characters`);
    root[name] = value;
  }
  for (const metric of metrics) {
    claim(metric.name, 'metric');
    if (!Number.isFinite(metric.value)) throw new EmfError(`metric ${metric.name}: value ${metric.value} is not a finite number`);
    root[metric.name] = metric.value;
  }
  for (const [name, value] of Object.entries(properties)) {
    claim(name, 'property');
    root[name] = value;
  }
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [dimensionNames],
          Metrics: metrics.map((m) => (m.unit ? { Name: m.name, Unit: m.unit } : { Name: m.name })),
        },
      ],
    },
    ...root,
  };
}

/** One EMF line (JSON + newline). */
export function emfLine(record: EmfRecord, timestamp: number): string {
  return `${JSON.stringify(buildEmf(record, timestamp))}\n`;
}

export interface BacklogSample {
  /** The instance's Auto Scaling group (the dimension when known). */
  groupName: string | undefined;
  queueName: string;
  /** ApproximateNumberOfMessages: visible, waiting for a worker (the whole queue). */
  backlog: number;
  /** Messages this instance is working on. */
  inFlight: number;
  instanceId?: string | undefined;
  /** More metrics of the interval (emf-activity.ts). */
  activity?: EmfMetric[];
}

/**
 * The daemon's scaling metrics (namespace SpotIngest), dimension AutoScalingGroupName when known,
 * else QueueName: `Backlog` (the queue's visible messages: every instance reports the same number,
 * read it with the Maximum statistic) and `InFlight` (this instance's messages in flight: the
 * Average statistic is the work per instance). Together with AWS/AutoScaling
 * GroupInServiceInstances a target-tracking policy's metric math gives the load per instance,
 * Backlog / instances + InFlight (README "Auto Scaling").
 */
export function backlogRecord(sample: BacklogSample): EmfRecord {
  const dimensions: Record<string, string> = sample.groupName ? { AutoScalingGroupName: sample.groupName } : { QueueName: sample.queueName };
  return {
    namespace: EMF_NAMESPACE,
    dimensions,
    metrics: [
      { name: 'Backlog', value: sample.backlog, unit: 'Count' },
      { name: 'InFlight', value: sample.inFlight, unit: 'Count' },
      ...(sample.activity ?? []),
    ],
    properties: {
      ...(sample.groupName ? { QueueName: sample.queueName } : {}),
      ...(sample.instanceId ? { InstanceId: sample.instanceId } : {}),
    },
  };
}

export interface EmfPublisherOptions {
  intervalMs: number;
  /** The record to publish now (may read a queue: honour the signal). */
  collect: (signal: AbortSignal) => Promise<EmfRecord>;
  logger: Logger;
  /** Where lines go (default: stdout). */
  write?: (line: string) => void;
  /** Also sends each line elsewhere (a CloudWatch Logs group); a failure counts as a failed publication. */
  ship?: (line: string, timestamp: number, signal: AbortSignal) => Promise<void>;
  now?: () => number;
}

export class EmfPublisher {
  readonly #o: EmfPublisherOptions;
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> | undefined;
  #started = false;
  #stopped = false;
  #failures = 0;
  #published = 0;

  constructor(options: EmfPublisherOptions) {
    this.#o = options;
  }

  /** Lines written so far. */
  get published(): number {
    return this.#published;
  }

  /** A publication is scheduled (false after stop()). */
  get scheduled(): boolean {
    return this.#timer !== undefined;
  }

  /** Publish now, then every interval. Calling it again, or after stop(), does nothing. */
  start(): this {
    if (this.#started || this.#stopped) return this;
    this.#started = true;
    this.#schedule(0);
    return this;
  }

  /** Clears the timer, aborts a collection in progress and waits for it. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort.abort(new Error('EMF publisher stopped'));
    await this.#tick;
  }

  /** Collect and write one line; false (and a log line, with backoff) when that failed. */
  async publishOnce(signal: AbortSignal = this.#abort.signal): Promise<boolean> {
    try {
      const record = await this.#o.collect(signal);
      if (this.#stopped) return false;
      const timestamp = Math.round((this.#o.now ?? Date.now)());
      const line = emfLine(record, timestamp);
      (this.#o.write ?? ((l: string) => process.stdout.write(l)))(line);
      if (this.#o.ship) await this.#o.ship(line, timestamp, signal);
      this.#published += 1;
      if (this.#failures > 0) this.#o.logger.info({ afterFailures: this.#failures }, 'EMF metrics published again');
      this.#failures = 0;
      return true;
    } catch (err) {
      if (this.#stopped) return false;
      this.#failures += 1;
      const n = this.#failures;
      if ((n & (n - 1)) === 0) {
        const e = err as { code?: unknown; message?: unknown };
        this.#o.logger.warn({ err: { code: e.code, message: String(e.message ?? err) }, consecutiveFailures: n }, 'EMF metrics not published; trying again next interval');
      }
      return false;
    }
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#tick = this.publishOnce().then(
        () => {
          this.#tick = undefined;
          this.#schedule(this.#o.intervalMs);
        },
      );
    }, delayMs);
    this.#timer.unref();
  }
}
