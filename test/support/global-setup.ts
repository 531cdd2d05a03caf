/**
 * `npm test` global setup: starts the real local servers once for the whole run (no Docker) and
 * hands their endpoints to every test file through the environment.
 *   TEST_FAUXQS_ENDPOINT   SQS + S3 (fauxqs)
 *   TEST_DYNAMODB_ENDPOINT DynamoDB Local
 */
import { startDynamoDbLocal, type RunningService } from './dynamodb-local.ts';
import { startFauxqsServer } from './fauxqs-server.ts';

const running: RunningService[] = [];

export async function globalSetup(): Promise<void> {
  // Never let a test reach real AWS with a developer's credentials.
  for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL', 'INGEST_QUEUE_URL']) delete process.env[name];
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  // Bedrock is off unless a test turns it on against its own stand-in (test/support/bedrock-stand-in.ts).
  delete process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME;
  process.env.INGEST_TEXT_EMBEDDING_MODEL = 'none';
  process.env.INGEST_IMAGE_EMBEDDING_MODEL = 'none';

  const [fauxqs, dynamo] = await Promise.all([startFauxqsServer(), startDynamoDbLocal()]);
  running.push(fauxqs, dynamo);
  process.env.TEST_FAUXQS_ENDPOINT = fauxqs.endpoint;
  process.env.TEST_DYNAMODB_ENDPOINT = dynamo.endpoint;
}

export async function globalTeardown(): Promise<void> {
  await Promise.allSettled(running.map((s) => s.stop()));
}
