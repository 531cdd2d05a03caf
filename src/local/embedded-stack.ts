/**
 * The embedded, loopback-only stack of local mode (docs/design.md §8): the fauxqs SQS + S3 emulator
 * in this process on 127.0.0.1 (fauxqs's own start helper listens on 0.0.0.0, so it is built and
 * bound here instead), with a queue, its dead-letter queue and a bucket.
 */
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { buildApp } from 'fauxqs';
import type { AddressInfo } from 'node:net';
import { createAwsClients, type AwsClients } from '../adapters/aws/clients.ts';


/** The embedded queue's RedrivePolicy maxReceiveCount. */
export const LOCAL_MAX_RECEIVE_COUNT = 3;
export const LOCAL_QUEUE = 'spot-ingest-local';
export const LOCAL_BUCKET = 'spot-ingest-local';
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
export const LOCAL_REGION = 'us-east-1';

export interface EmbeddedStack {
  endpoint: string;
  queueUrl: string;
  dlqUrl: string;
  bucket: string;
  /** SDK clients pointed at the emulator. */
  clients: AwsClients;
  close(): Promise<void>;
}

export async function startEmbeddedStack(options: { port?: number } = {}): Promise<EmbeddedStack> {
  const app = buildApp({ logger: false, host: 'localhost', defaultRegion: LOCAL_REGION });
  await app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${port}`;
  const clients = createAwsClients(
    { AWS_ENDPOINT_URL_SQS: endpoint, AWS_ENDPOINT_URL_S3: endpoint },
    { credentials: LOCAL_CREDENTIALS, region: LOCAL_REGION },
  );
  try {
    const dlq = await clients.sqs.send(new CreateQueueCommand({ QueueName: `${LOCAL_QUEUE}-dlq` }));
    const dlqArn = (await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl!, AttributeNames: ['QueueArn'] })))
      .Attributes!.QueueArn!;
    const queue = await clients.sqs.send(
      new CreateQueueCommand({
        QueueName: LOCAL_QUEUE,
        Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: String(LOCAL_MAX_RECEIVE_COUNT) }) },
      }),
    );
    await clients.s3.send(new CreateBucketCommand({ Bucket: LOCAL_BUCKET }));
    return {
      endpoint, queueUrl: queue.QueueUrl!, dlqUrl: dlq.QueueUrl!, bucket: LOCAL_BUCKET, clients,
      async close() {
        clients.destroy();
        await app.close();
      },
    };
  } catch (err) {
    clients.destroy();
    await app.close();
    throw err;
  }
}
