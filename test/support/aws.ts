/**
 * Test-side AWS clients and helpers against the emulators the global setup started
 * (TEST_FAUXQS_ENDPOINT for SQS + S3, TEST_DYNAMODB_ENDPOINT for DynamoDB Local).
 */
import { randomUUID } from 'node:crypto';
import {
  CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export function fauxqsEndpoint(): string {
  const endpoint = process.env.TEST_FAUXQS_ENDPOINT;
  if (!endpoint) throw new Error('TEST_FAUXQS_ENDPOINT is not set: run tests through `npm test` (global setup)');
  return endpoint;
}

export function dynamoEndpoint(): string {
  const endpoint = process.env.TEST_DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('TEST_DYNAMODB_ENDPOINT is not set: run tests through `npm test` (global setup)');
  return endpoint;
}

export const testSqs = () => new SQSClient({ endpoint: fauxqsEndpoint(), useQueueUrlAsEndpoint: false });
export const testS3 = () => new S3Client({ endpoint: fauxqsEndpoint(), forcePathStyle: true });
export const testDynamo = () => new DynamoDBClient({ endpoint: dynamoEndpoint() });

export const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

export interface QueuePair {
  queueUrl: string;
  dlqUrl: string;
}

/** A queue with a DLQ attached by RedrivePolicy. */
export async function createQueuePair(sqs: SQSClient, name: string, maxReceiveCount = 5): Promise<QueuePair> {
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl!, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const q = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: String(maxReceiveCount) }) },
    }),
  );
  return { queueUrl: q.QueueUrl!, dlqUrl: dlq.QueueUrl! };
}

export async function send(sqs: SQSClient, queueUrl: string, body: string | object): Promise<string> {
  const out = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: typeof body === 'string' ? body : JSON.stringify(body) }));
  return out.MessageId!;
}

/** Visible + in-flight + delayed message counts. */
export async function queueCounts(sqs: SQSClient, queueUrl: string): Promise<{ visible: number; inFlight: number; delayed: number; total: number }> {
  const a = (
    await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
      }),
    )
  ).Attributes ?? {};
  const visible = Number(a.ApproximateNumberOfMessages ?? 0);
  const inFlight = Number(a.ApproximateNumberOfMessagesNotVisible ?? 0);
  const delayed = Number(a.ApproximateNumberOfMessagesDelayed ?? 0);
  return { visible, inFlight, delayed, total: visible + inFlight + delayed };
}

/** Receive what is visible right now (short poll), with all attributes. */
export async function receiveVisible(sqs: SQSClient, queueUrl: string, visibilityTimeout = 30): Promise<Message[]> {
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: visibilityTimeout,
      MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'],
    }),
  );
  return out.Messages ?? [];
}

export async function createBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
}

export async function putObject(s3: S3Client, bucket: string, key: string, body: string | Uint8Array, contentType?: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...(contentType ? { ContentType: contentType } : {}) }));
}
