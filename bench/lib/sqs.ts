/** Bench-side SQS plumbing: the in-process fauxqs emulator, clients, queues, bulk sends. */
import {
  CreateQueueCommand, SendMessageBatchCommand, SQSClient,
} from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';

export interface Emulator {
  endpoint: string;
  stop(): Promise<void>;
}

/** fauxqs in this process on a free loopback port (port 0: the OS picks one). */
export async function startEmulator(): Promise<Emulator> {
  const server = await startFauxqs({ port: 0, logger: false, host: 'localhost' });
  return { endpoint: `http://127.0.0.1:${server.port}`, stop: () => server.stop() };
}

/**
 * A client that talks to the emulator's endpoint, not to the queue URL's host (fauxqs URLs use a
 * *.localhost host that does not resolve everywhere). Fixed dummy credentials: never real AWS.
 */
export function sqsClient(endpoint: string): SQSClient {
  return new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    useQueueUrlAsEndpoint: false,
    maxAttempts: 1,
  });
}

export async function createQueue(sqs: SQSClient, name: string): Promise<string> {
  const out = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  if (out.QueueUrl === undefined) throw new Error(`CreateQueue ${name}: no QueueUrl`);
  return out.QueueUrl;
}

/** Sends every body with SendMessageBatch (10 per call, a few calls at a time). */
export async function sendAll(sqs: SQSClient, queueUrl: string, bodies: string[], parallel = 4): Promise<void> {
  const batches: string[][] = [];
  for (let i = 0; i < bodies.length; i += 10) batches.push(bodies.slice(i, i + 10));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      const out = await sqs.send(
        new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.map((MessageBody, i) => ({ Id: String(i), MessageBody })) }),
      );
      if ((out.Failed ?? []).length > 0) throw new Error(`SendMessageBatch: ${out.Failed!.length} entries failed: ${out.Failed![0]!.Code}`);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}
