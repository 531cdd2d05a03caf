import { startFauxqs } from 'fauxqs';
import { freePort } from './free-port.ts';
import type { RunningService } from './dynamodb-local.ts';

/** The fauxqs SQS + S3 emulator, in-process on a free loopback port. */
export async function startFauxqsServer(): Promise<RunningService> {
  const port = await freePort();
  const server = await startFauxqs({ port, logger: false, host: 'localhost' });
  return { endpoint: `http://127.0.0.1:${server.port}`, stop: () => server.stop() };
}
