/**
 * CloudWatchLogsShipper (src/adapters/logs/cloudwatch-logs.ts) with the real SDK client against the
 * CloudWatch Logs stand-in: the stream is made on first use and again when it is deleted; a missing
 * group is an error for the caller (the EMF publisher logs it and tries again next interval).
 */
import { afterAll, beforeAll, test } from 'vitest';
import assert from 'node:assert/strict';
import { ResourceNotFoundException } from '@aws-sdk/client-cloudwatch-logs';
import { createLogsClient } from '../../../src/adapters/aws/clients.ts';
import { CloudWatchLogsShipper } from '../../../src/adapters/logs/cloudwatch-logs.ts';
import { startLogsStandIn, type LogsStandIn } from '../../support/cloudwatch-logs-stand-in.ts';

let logs: LogsStandIn;
beforeAll(async () => {
  logs = await startLogsStandIn();
});
afterAll(() => logs?.close());

const client = () => createLogsClient({ AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: logs.url }, { credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, region: 'ap-northeast-1' });

test('the first line creates the stream, then every line is one event with its timestamp', async () => {
  logs.createGroup('fleet');
  const c = client();
  const shipper = new CloudWatchLogsShipper({ client: c, logGroup: 'fleet', logStream: 'i-0abc' });
  await shipper.ship('{"_aws":{}}\n', 1_700_000_000_000, AbortSignal.timeout(5_000));
  await shipper.ship('{"_aws":{},"n":2}\n', 1_700_000_060_000, AbortSignal.timeout(5_000));
  assert.deepEqual(logs.streams('fleet'), ['i-0abc']);
  assert.deepEqual(logs.events('fleet').map((e) => [e.stream, e.timestamp, e.message]), [
    ['i-0abc', 1_700_000_000_000, '{"_aws":{}}'],
    ['i-0abc', 1_700_000_060_000, '{"_aws":{},"n":2}'],
  ]);
  assert.deepEqual(logs.violations, []);
  c.destroy();
});

test('a stream that exists already is used; a deleted one is made again', async () => {
  logs.createGroup('again');
  const c = client();
  await new CloudWatchLogsShipper({ client: c, logGroup: 'again', logStream: 's' }).ship('one', 1, AbortSignal.timeout(5_000));
  const second = new CloudWatchLogsShipper({ client: c, logGroup: 'again', logStream: 's' });
  await second.ship('two', 2, AbortSignal.timeout(5_000)); // CreateLogStream answers "already exists"
  logs.deleteStream('again', 's');
  await second.ship('three', 3, AbortSignal.timeout(5_000));
  assert.deepEqual(logs.events('again').map((e) => e.message), ['one', 'two', 'three']);
  c.destroy();
});

test('a missing log group fails the shipment with ResourceNotFoundException', async () => {
  const c = client();
  const shipper = new CloudWatchLogsShipper({ client: c, logGroup: 'nope', logStream: 's' });
  await assert.rejects(shipper.ship('x', 1, AbortSignal.timeout(5_000)), ResourceNotFoundException);
  c.destroy();
});
