import { test } from 'vitest';
import assert from 'node:assert/strict';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { SQSClient, CreateQueueCommand } from '@aws-sdk/client-sqs';

test('global setup started fauxqs and DynamoDB Local', async () => {
  const dynamo = new DynamoDBClient({ endpoint: process.env.TEST_DYNAMODB_ENDPOINT });
  const sqs = new SQSClient({ endpoint: process.env.TEST_FAUXQS_ENDPOINT });
  try {
    assert.ok(Array.isArray((await dynamo.send(new ListTablesCommand({}))).TableNames));
    const q = await sqs.send(new CreateQueueCommand({ QueueName: `svc-${process.pid}` }));
    assert.match(q.QueueUrl ?? '', /svc-/);
  } finally {
    dynamo.destroy();
    sqs.destroy();
  }
});
