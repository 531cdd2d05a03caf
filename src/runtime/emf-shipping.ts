/**
 * INGEST_EMF_LOG_GROUP: the EMF lines also go to that CloudWatch Logs group, in a stream named after
 * the instance (its IMDS id, else host and pid), so the fleet's metrics need no log agent.
 */
import { hostname } from 'node:os';
import { createLogsClient } from '../adapters/aws/clients.ts';
import { CloudWatchLogsShipper } from '../adapters/logs/cloudwatch-logs.ts';
import type { Config } from '../config.ts';

export interface EmfShipping {
  ship(line: string, timestamp: number, signal: AbortSignal): Promise<void>;
  close(): void;
}

export function createEmfShipping(config: Config, instanceId: (signal: AbortSignal) => Promise<string | undefined>): EmfShipping | undefined {
  const logGroup = config.emfLogGroup;
  if (logGroup === undefined) return undefined;
  const client = createLogsClient(config.env);
  let shipper: CloudWatchLogsShipper | undefined;
  return {
    async ship(line, timestamp, signal) {
      shipper ??= new CloudWatchLogsShipper({ client, logGroup, logStream: (await instanceId(signal)) ?? `${hostname()}-${process.pid}` });
      await shipper.ship(line, timestamp, signal);
    },
    close: () => client.destroy(),
  };
}
