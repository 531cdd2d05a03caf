/** The SDK clients' endpoints, credentials and region come from what they are given. */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { createAutoScalingClient, createAwsClients, createDynamoDbClient } from '../../../src/adapters/aws/clients.ts';

const endpointOf = async (client: { config: { endpoint?: unknown } }) => {
  const provider = client.config.endpoint as (() => Promise<{ hostname: string; port?: number }>) | undefined;
  if (provider === undefined) return undefined;
  const e = await provider();
  return `${e.hostname}:${e.port ?? ''}`;
};

test('a service-specific endpoint wins over AWS_ENDPOINT_URL; overrides set credentials and region', async () => {
  const clients = createAwsClients(
    { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000', AWS_ENDPOINT_URL_SQS: '' },
    { credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, region: 'ap-northeast-1' },
  );
  try {
    assert.equal(await endpointOf(clients.s3), '127.0.0.1:9000');
    assert.equal(await endpointOf(clients.sqs), undefined, 'an empty service variable means: no override for it');
    assert.equal(await endpointOf(clients.dynamodb), '127.0.0.1:4566');
    assert.equal(await clients.sqs.config.region(), 'ap-northeast-1');
    assert.equal((await clients.s3.config.credentials()).accessKeyId, 'a');
    assert.equal(clients.s3.config.forcePathStyle, true, 'emulators need path-style addressing');
  } finally {
    clients.destroy();
  }
});

test('without overrides the SDK resolves endpoints itself; DynamoDB and Auto Scaling alone take theirs', async () => {
  const dynamo = createDynamoDbClient({ AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000' }, { region: 'us-east-1' });
  const asg = createAutoScalingClient({ AWS_ENDPOINT_URL_AUTO_SCALING: 'http://127.0.0.1:5000' }, { region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const plain = createAutoScalingClient({}, { region: 'eu-west-1' });
  const clients = createAwsClients({}, { region: 'eu-west-1' });
  try {
    assert.equal(await endpointOf(dynamo), '127.0.0.1:8000');
    assert.equal(await endpointOf(asg), '127.0.0.1:5000');
    assert.equal(await endpointOf(plain), undefined);
    assert.equal(await endpointOf(clients.sqs), undefined);
    assert.notEqual(clients.s3.config.forcePathStyle, true);
  } finally {
    dynamo.destroy();
    asg.destroy();
    plain.destroy();
    clients.destroy();
  }
});
