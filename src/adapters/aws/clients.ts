import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent } from 'node:https';
import { Agent as HttpAgent } from 'node:http';

/**
 * AWS SDK clients with the SDK's own retry (standard mode) and explicit socket timeouts.
 * Endpoint overrides (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_SQS/_S3/_DYNAMODB) are passed explicitly:
 * the SQS client otherwise prefers the queue URL's host, and S3 needs path-style addressing on
 * emulators.
 */
export interface AwsClients {
  sqs: SQSClient;
  s3: S3Client;
  dynamodb: DynamoDBClient;
  destroy(): void;
}

function endpointFor(service: 'SQS' | 'S3' | 'DYNAMODB' | 'AUTO_SCALING' | 'CLOUDWATCH_LOGS', env: NodeJS.ProcessEnv): string | undefined {
  const value = env[`AWS_ENDPOINT_URL_${service}`] ?? env.AWS_ENDPOINT_URL;
  return value === undefined || value === '' ? undefined : value;
}

function handler(requestTimeoutMs: number): NodeHttpHandler {
  const agentOptions = { keepAlive: true, maxSockets: 64 };
  return new NodeHttpHandler({
    connectionTimeout: 5_000,
    requestTimeout: requestTimeoutMs,
    httpAgent: new HttpAgent(agentOptions),
    httpsAgent: new Agent(agentOptions),
  });
}

export interface ClientOverrides {
  /** Fixed credentials (the embedded local stack); otherwise the SDK's default chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  region?: string;
}

export function createAwsClients(env: Readonly<NodeJS.ProcessEnv>, overrides: ClientOverrides = {}): AwsClients {
  const sqsEndpoint = endpointFor('SQS', env);
  const s3Endpoint = endpointFor('S3', env);
  const common = {
    ...(overrides.credentials ? { credentials: overrides.credentials } : {}),
    ...(overrides.region ? { region: overrides.region } : {}),
  };
  const sqs = new SQSClient({
    ...common,
    // a long poll is 20 s; the socket timeout must outlast it
    requestHandler: handler(35_000),
    ...(sqsEndpoint ? { endpoint: sqsEndpoint, useQueueUrlAsEndpoint: false } : {}),
  });
  const s3 = new S3Client({
    ...common,
    requestHandler: handler(60_000),
    ...(s3Endpoint ? { endpoint: s3Endpoint, forcePathStyle: true } : {}),
  });
  const dynamodb = createDynamoDbClient(env, overrides);
  return {
    sqs, s3, dynamodb,
    destroy() {
      sqs.destroy();
      s3.destroy();
      dynamodb.destroy();
    },
  };
}

/** The DynamoDB client alone (AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL), for those that need nothing else. */
export function createDynamoDbClient(env: Readonly<NodeJS.ProcessEnv>, overrides: ClientOverrides = {}): DynamoDBClient {
  return new DynamoDBClient(smallClientConfig('DYNAMODB', env, overrides));
}

/**
 * The Auto Scaling client (lifecycle actions, scale-in protection): few, small calls, so a short
 * socket timeout; the endpoint from AWS_ENDPOINT_URL_AUTO_SCALING (the SDK's own name for this
 * service, serviceId "Auto Scaling") or AWS_ENDPOINT_URL.
 */
export function createAutoScalingClient(env: Readonly<NodeJS.ProcessEnv>, overrides: ClientOverrides = {}): AutoScalingClient {
  return new AutoScalingClient(smallClientConfig('AUTO_SCALING', env, overrides));
}

/**
 * The CloudWatch Logs client (the EMF lines, INGEST_EMF_LOG_GROUP): one small call a minute; the
 * endpoint from AWS_ENDPOINT_URL_CLOUDWATCH_LOGS (the SDK's name for this service) or AWS_ENDPOINT_URL.
 */
export function createLogsClient(env: Readonly<NodeJS.ProcessEnv>, overrides: ClientOverrides = {}): CloudWatchLogsClient {
  return new CloudWatchLogsClient(smallClientConfig('CLOUDWATCH_LOGS', env, overrides));
}

/** Settings of a client that makes small calls: a 10 s socket timeout, the service's endpoint override. */
function smallClientConfig(service: 'DYNAMODB' | 'AUTO_SCALING' | 'CLOUDWATCH_LOGS', env: Readonly<NodeJS.ProcessEnv>, overrides: ClientOverrides) {
  const endpoint = endpointFor(service, env);
  return {
    ...(overrides.credentials ? { credentials: overrides.credentials } : {}),
    ...(overrides.region ? { region: overrides.region } : {}),
    requestHandler: handler(10_000),
    ...(endpoint ? { endpoint } : {}),
  };
}
