/**
 * Ships the EMF lines straight to a CloudWatch Logs group (INGEST_EMF_LOG_GROUP), where CloudWatch
 * extracts the metrics: no log agent on the instance is needed for the scaling policy, the alarms
 * and the dashboard. One PutLogEvents per line (one line a minute); the stream (the instance id) is
 * created on first use, or again when it was deleted. Failures reach the EMF publisher, which logs
 * them with backoff and tries again at the next interval.
 */
import {
  CreateLogStreamCommand, PutLogEventsCommand, ResourceAlreadyExistsException, ResourceNotFoundException, type CloudWatchLogsClient,
} from '@aws-sdk/client-cloudwatch-logs';

export interface LogShipperOptions {
  client: CloudWatchLogsClient;
  logGroup: string;
  logStream: string;
}

export class CloudWatchLogsShipper {
  readonly #o: LogShipperOptions;
  #streamReady = false;

  constructor(options: LogShipperOptions) {
    this.#o = options;
  }

  async ship(line: string, timestamp: number, signal: AbortSignal): Promise<void> {
    const { client, logGroup, logStream } = this.#o;
    const put = () => client.send(new PutLogEventsCommand({
      logGroupName: logGroup, logStreamName: logStream, logEvents: [{ timestamp, message: line.trimEnd() }],
    }), { abortSignal: signal });
    if (!this.#streamReady) await this.#createStream(signal);
    try {
      await put();
    } catch (err) {
      if (!(err instanceof ResourceNotFoundException)) throw err;
      // the stream was deleted since (retention, an operator): make it again, once
      await this.#createStream(signal);
      await put();
    }
  }

  async #createStream(signal: AbortSignal): Promise<void> {
    try {
      await this.#o.client.send(new CreateLogStreamCommand({ logGroupName: this.#o.logGroup, logStreamName: this.#o.logStream }), { abortSignal: signal });
    } catch (err) {
      if (!(err instanceof ResourceAlreadyExistsException)) throw err;
    }
    this.#streamReady = true;
  }
}
