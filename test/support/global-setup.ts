/**
 * Vitest global setup (vitest.config.ts): starts the real local servers once for the whole run (no
 * Docker) and hands their endpoints, with a safe AWS environment, to every test file. The values go
 * through vitest's `provide`; test/support/setup-env.ts (a setup file of every project) copies them
 * into each test worker's process.env, where the tests and the processes they spawn read them.
 *   TEST_FAUXQS_ENDPOINT   SQS + S3 (fauxqs)
 *   TEST_DYNAMODB_ENDPOINT DynamoDB Local
 * A run of the unit project alone (`npm run test:unit`) starts no server.
 */
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal, type RunningService } from './dynamodb-local.ts';
import { startFauxqsServer } from './fauxqs-server.ts';
import { applyTestEnv, type TestEnv } from './test-env.ts';

const running: RunningService[] = [];

/** Starts the servers (unless `servers` is false) and returns the environment for the tests. */
async function start(servers: boolean): Promise<TestEnv> {
  const env: TestEnv = {
    // Never let a test reach real AWS with a developer's credentials. Bedrock is off unless a test
    // turns it on against its own stand-in (test/support/bedrock-stand-in.ts).
    unset: ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL', 'INGEST_QUEUE_URL', 'AWS_ENDPOINT_URL_BEDROCK_RUNTIME'],
    set: {
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      INGEST_TEXT_EMBEDDING_MODEL: 'none',
      INGEST_IMAGE_EMBEDDING_MODEL: 'none',
    },
  };
  if (servers) {
    const [fauxqs, dynamo] = await Promise.all([startFauxqsServer(), startDynamoDbLocal()]);
    running.push(fauxqs, dynamo);
    env.set.TEST_FAUXQS_ENDPOINT = fauxqs.endpoint;
    env.set.TEST_DYNAMODB_ENDPOINT = dynamo.endpoint;
  }
  return env;
}

/** Vitest's global setup. */
export async function setup(project: TestProject): Promise<void> {
  const env = await start(project.vitest.projects.some((p) => p.name !== 'unit'));
  applyTestEnv(env); // this process too, for anything in it that reads the environment
  project.provide('testEnv', env);
}

/** Vitest's global teardown. */
export async function teardown(): Promise<void> {
  await Promise.allSettled(running.splice(0).map((s) => s.stop()));
}

/** The same outside vitest (bench/interruption.ts): servers started, this process's environment set. */
export async function globalSetup(): Promise<void> {
  applyTestEnv(await start(true));
}

export const globalTeardown = teardown;
