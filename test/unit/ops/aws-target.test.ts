/**
 * Where `send` and `dlq` talk to: the running local daemon's published stack (each way it can be
 * missing or stale says so in one line), and AWS failures a user can fix turned into one-line errors.
 */
import { afterAll, beforeAll, test } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explainAwsError, localStackClients, NO_LOCAL_DAEMON, readRunningLocalStack } from '../../../src/commands/aws-target.ts';
import { ConfigError } from '../../../src/config.ts';
import { StartupError } from '../../../src/core/errors.ts';
import { localStackFile } from '../../../src/runtime/local.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spot-ingest-target-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const info = { pid: process.pid, endpoint: 'http://127.0.0.1:1', queueUrl: 'http://127.0.0.1:1/q', dlqUrl: 'http://127.0.0.1:1/d', bucket: 'b', region: 'us-east-1' };
const startup = (pattern: RegExp) => (err: unknown) => err instanceof StartupError && err.message.startsWith(NO_LOCAL_DAEMON) && pattern.test(err.message);

test('the running daemon\'s stack is read; a missing, broken, incomplete or stale file each says why', async () => {
  assert.throws(() => readRunningLocalStack(dir), startup(/no .*local-stack\.json/));
  await writeFile(localStackFile(dir), '{not json');
  assert.throws(() => readRunningLocalStack(dir), startup(/is not valid JSON/));
  await writeFile(localStackFile(dir), JSON.stringify({ ...info, bucket: undefined }));
  assert.throws(() => readRunningLocalStack(dir), startup(/lacks pid\/endpoint/));
  await writeFile(localStackFile(dir), JSON.stringify({ ...info, pid: 2 ** 22 + 12345 }));
  assert.throws(() => readRunningLocalStack(dir), startup(/which is not running/));
  await writeFile(localStackFile(dir), JSON.stringify(info));
  assert.deepEqual(readRunningLocalStack(dir), info);
  const clients = localStackClients(info);
  try {
    assert.equal(await clients.sqs.config.region(), 'us-east-1');
  } finally {
    clients.destroy();
  }
});

test('AWS failures a user can fix become one line; bugs keep their stack', () => {
  const refused = explainAwsError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'reading the queue');
  assert.ok(refused instanceof StartupError && /^reading the queue: cannot reach the service/.test(refused.message));
  const denied = explainAwsError(Object.assign(new Error('not allowed'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }), 'listing');
  assert.ok(denied instanceof StartupError && denied.message === 'listing: AccessDenied: not allowed');
  const creds = explainAwsError(Object.assign(new Error('Could not load credentials'), { name: 'CredentialsProviderError' }), 'sending');
  assert.ok(creds instanceof StartupError);
  const region = explainAwsError(new Error('Region is missing'), 'sending');
  assert.ok(region instanceof StartupError);
  const config = new ConfigError('bad');
  assert.equal(explainAwsError(config, 'x'), config);
  const bug = new TypeError('undefined is not a function');
  assert.equal(explainAwsError(bug, 'x'), bug);
});
