/**
 * One isolated stack per test file for end-to-end tests: a queue with its DLQ, a bucket, a
 * DynamoDB table, an OpenSearch index on the recorder, and a data dir — plus the environment a
 * spawned daemon needs to use them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { startOpenSearchRecorder, type OpenSearchRecorder } from './opensearch-recorder.ts';
import { documentId } from '../../src/adapters/index/document-id.ts';
import { createBucket, createQueuePair, dynamoEndpoint, fauxqsEndpoint, putObject, testDynamo, testS3, testSqs, uniqueName } from './aws.ts';
import assert from 'node:assert/strict';
import { runCli, type SpawnedDaemon } from './daemon.ts';

export interface E2eStack {
  name: string;
  queueUrl: string;
  dlqUrl: string;
  bucket: string;
  table: string;
  index: string;
  dataDir: string;
  recorder: OpenSearchRecorder;
  sqs: ReturnType<typeof testSqs>;
  s3: ReturnType<typeof testS3>;
  /** Environment for `spot-ingest run` against this stack (override with `extra`). */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Upload `count` small text objects under `prefix`; returns their keys. */
  upload(prefix: string, count: number): Promise<string[]>;
  /** Whether the recorder holds the document of this key. */
  indexed(key: string): boolean;
  close(): Promise<void>;
}

/** `env`: variables for setup and every daemon of this stack (e.g. the embedding models and their dimensions). */
export async function createE2eStack(prefix: string, options: { maxReceiveCount?: number; env?: Record<string, string> } = {}): Promise<E2eStack> {
  const name = uniqueName(prefix);
  const sqs = testSqs();
  const s3 = testS3();
  const { queueUrl, dlqUrl } = await createQueuePair(sqs, name, options.maxReceiveCount ?? 5);
  const bucket = name.toLowerCase();
  await createBucket(s3, bucket);
  const recorder = await startOpenSearchRecorder();
  const dataDir = await mkdtemp(join(tmpdir(), 'spot-ingest-e2e-'));
  const stack: E2eStack = {
    name, queueUrl, dlqUrl, bucket, table: `${name}-files`, index: `${name}-files`, dataDir, recorder, sqs, s3,
    env: (extra = {}) => ({
      AWS_ENDPOINT_URL_SQS: fauxqsEndpoint(),
      AWS_ENDPOINT_URL_S3: fauxqsEndpoint(),
      AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint(),
      INGEST_QUEUE_URL: queueUrl,
      INGEST_STATE_TABLE: `${name}-files`,
      INGEST_OPENSEARCH_URL: recorder.url,
      INGEST_OPENSEARCH_INDEX: `${name}-files`,
      INGEST_DATA_DIR: dataDir,
      INGEST_HTTP_PORT: '0',
      INGEST_IMDS: 'off',
      INGEST_RETRY_BASE_SECONDS: '1',
      INGEST_CONCURRENCY: '4',
      ...options.env,
      ...extra,
    }),
    async upload(prefix, count) {
      const keys = Array.from({ length: count }, (_, i) => `${prefix}/file-${i}.txt`);
      for (const key of keys) await putObject(s3, bucket, key, `contents of ${key}`);
      return keys;
    },
    indexed: (key) => recorder.documents(`${name}-files`).has(documentId(bucket, key)),
    async close() {
      const dynamo = testDynamo();
      await dynamo.send(new DeleteTableCommand({ TableName: `${name}-files` })).catch(() => undefined);
      dynamo.destroy();
      await recorder.close();
      sqs.destroy();
      s3.destroy();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  const setup = await runCli(['setup', '--create-table'], stack.env());
  if (setup.code !== 0) {
    await stack.close(); // the recorder would keep the test process alive
    throw new Error(`setup failed (${setup.code}): ${setup.stderr}`);
  }
  return stack;
}

/**
 * The usual end of an e2e file: SIGTERM the daemon, expect exit 0 and well-formed OpenSearch
 * requests (plus `check` on its stderr), and close the stack whatever failed — a recorder left
 * open would keep the test process alive until the runner's timeout.
 */
export async function stopDaemonAndClose(stack: E2eStack, daemon: SpawnedDaemon, check?: (stderr: string) => void): Promise<void> {
  try {
    const exit = await daemon.stop('SIGTERM');
    assert.equal(exit.code, 0, `clean exit after SIGTERM; stderr: ${daemon.stderr()}`);
    check?.(daemon.stderr());
    assert.deepEqual(stack.recorder.violations, [], 'every request the daemon sent OpenSearch was well-formed');
  } finally {
    await stack.close();
  }
}
