/**
 * The load generator of bench/healthz.ts, run as its own process so that the client does not share
 * the measured server's event loop: autocannon (programmatic API) against one URL, printing one
 * JSON line on stdout. Besides autocannon's own summary (whole milliseconds, from its HDR
 * histogram) it keeps every 2xx response time as measured by autocannon (fractional ms).
 *
 *   node bench/lib/healthz-load.ts '{"url":"http://127.0.0.1:1234/healthz","seconds":10,"connections":4}'
 */
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';

export interface LoadOptions {
  url: string;
  seconds: number;
  connections: number;
  /** requests per second over all connections; omitted = as fast as the server answers */
  overallRate?: number;
}

export interface LoadResult {
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSeconds: number;
  requestsPerSecond: number;
  /** autocannon's own percentiles (ms, whole numbers) */
  autocannon: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  /** every 2xx response time in ms, fractional */
  samplesMs: number[];
}

interface AutocannonResult {
  requests: { total: number; average: number };
  latency: { p50: number; p90: number; p99: number; p99_9: number; max: number; average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
}
type Autocannon = (options: Record<string, unknown>) => EventEmitter & PromiseLike<AutocannonResult>;

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
  const samplesMs: number[] = [];
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    pipelining: 1,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
  });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode >= 200 && statusCode < 300) samplesMs.push(responseTime);
  });
  const r = await instance;
  const out: LoadResult = {
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    durationSeconds: r.duration,
    requestsPerSecond: r.requests.average,
    autocannon: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, p999: r.latency.p99_9, max: r.latency.max, mean: r.latency.average },
    samplesMs,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
