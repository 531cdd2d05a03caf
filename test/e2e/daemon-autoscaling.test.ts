/**
 * The Auto Scaling side with the spawned daemon, the IMDS simulator and the Auto Scaling API
 * stand-in (AWS_ENDPOINT_URL_AUTO_SCALING): the lease owner is the IMDS instance id; the target
 * lifecycle state Terminated drains, then CompleteLifecycleAction (CONTINUE, instance id, group and
 * hook from IMDS / configuration) and exit 0; scale-in protection on while a message is processed
 * and off after the idle time; an EMF line on stdout, and in the log group (CloudWatch Logs stand-in).
 */
import { test, beforeEach, afterEach } from 'vitest';
import assert from 'node:assert/strict';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { send, testDynamo } from '../support/aws.ts';
import { startAutoScalingSimulator, type AutoScalingSimulator } from '../support/autoscaling-simulator.ts';
import { outcomeLines, spawnDaemon, type Exit, type SpawnedDaemon } from '../support/daemon.ts';
import { createE2eStack, type E2eStack } from '../support/e2e-stack.ts';
import { nativeEvent } from '../support/events.ts';
import { startImdsSimulator, type ImdsSimulator } from '../support/imds-simulator.ts';
import { startLogsStandIn, type LogsStandIn } from '../support/cloudwatch-logs-stand-in.ts';
import { waitFor } from '../support/wait-for.ts';

const INSTANCE = 'i-0e2e4a5b6c7d8e9f0';
const GROUP = 'spot-ingest-asg';

let stack: E2eStack;
let imds: ImdsSimulator;
let asg: AutoScalingSimulator;
let logs: LogsStandIn | undefined;
beforeEach(async () => {
  [stack, imds, asg] = await Promise.all([createE2eStack('e2e-asg'), startImdsSimulator(), startAutoScalingSimulator()]);
  imds.setInstanceId(INSTANCE);
});
afterEach(async () => {
  assert.deepEqual(stack.recorder.violations, []);
  assert.deepEqual(asg.violations, [], 'every Auto Scaling request looked like the SDK’s');
  await Promise.all([imds.close(), asg.close(), logs?.close()]);
  logs = undefined;
  await stack.close();
});

const asgEnv = (extra: Record<string, string> = {}) =>
  stack.env({ INGEST_IMDS: 'on', AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url, AWS_ENDPOINT_URL_AUTO_SCALING: asg.url, ...extra });

async function exitWithin(daemon: SpawnedDaemon, timeoutMs: number): Promise<Exit> {
  await waitFor(() => daemon.child.exitCode !== null || daemon.child.signalCode !== null, { what: 'the daemon to exit on its own', timeoutMs, intervalMs: 20 });
  return await daemon.exited;
}

/** The state record of an object, read behind the daemon's back. */
async function stateRecord(key: string): Promise<Record<string, string | undefined> | undefined> {
  const dynamo = testDynamo();
  try {
    const out = await dynamo.send(new GetItemCommand({ TableName: stack.table, Key: { pk: { S: `${stack.bucket}/${key}` } }, ConsistentRead: true }));
    return out.Item ? Object.fromEntries(Object.entries(out.Item).map(([k, v]) => [k, v.S ?? v.N])) : undefined;
  } finally {
    dynamo.destroy();
  }
}

test('lifecycle Terminated: the lease owner is the IMDS instance id; the drain finishes the work, then CompleteLifecycleAction, exit 0; EMF lines on stdout', async () => {
  imds.setTag('aws:autoscaling:groupName', GROUP);
  const [key] = await stack.upload('lifecycle', 1);
  logs = await startLogsStandIn();
  logs.createGroup('spot-ingest-fleet');
  const daemon = spawnDaemon(asgEnv({
    INGEST_LIFECYCLE_HOOK_NAME: 'drain-hook', INGEST_EMF: 'on', INGEST_EMF_INTERVAL_SECONDS: '1',
    INGEST_EMF_LOG_GROUP: 'spot-ingest-fleet', AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: logs.url,
  }));
  const started = await daemon.waitForLog((l) => l.msg === 'consuming', 'daemon to start');
  assert.equal(started.leaseOwner, INSTANCE);
  assert.equal(started.imds, true);
  assert.ok(daemon.logs().some((l) => l.msg === 'Auto Scaling integration on' && l.group === GROUP && l.instanceId === INSTANCE && l.lifecycleHook === 'drain-hook'));

  const emf = await daemon.waitForLog((l) => typeof l._aws === 'object', 'an EMF line', 10_000);
  const directives = (emf._aws as { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit?: string }> }> }).CloudWatchMetrics;
  assert.equal(directives.length, 1);
  assert.equal(directives[0]!.Namespace, 'SpotIngest');
  assert.deepEqual(directives[0]!.Dimensions, [['AutoScalingGroupName']]);
  assert.deepEqual(directives[0]!.Metrics.slice(0, 2), [{ Name: 'Backlog', Unit: 'Count' }, { Name: 'InFlight', Unit: 'Count' }]);
  // the interval's activity comes with them (src/observability/emf-activity.ts): nothing open yet
  assert.ok(directives[0]!.Metrics.some((m) => m.Name === 'OpenCircuits'));
  assert.equal(emf.OpenCircuits, 0);
  assert.equal(emf.AutoScalingGroupName, GROUP);
  assert.equal(emf.QueueName, stack.queueUrl.split('/').at(-1));
  assert.equal(emf.InstanceId, INSTANCE);
  assert.equal(typeof emf.Backlog, 'number');
  assert.equal(typeof emf.InFlight, 'number');
  assert.ok(Math.abs(((emf._aws as { Timestamp: number }).Timestamp) - Date.now()) < 60_000, 'Timestamp is now, in ms');
  // the same lines reach the log group, in the instance's stream, without a log agent
  const group = logs;
  const shipped = await waitFor(() => group.events('spot-ingest-fleet')[0], { what: 'an EMF line in the log group', timeoutMs: 10_000 });
  assert.equal(shipped.stream, INSTANCE);
  assert.equal((JSON.parse(shipped.message) as { AutoScalingGroupName: string }).AutoScalingGroupName, GROUP);
  assert.deepEqual(group.violations, []);

  stack.recorder.delayResponses(2_500); // the message is still in flight when the group takes the instance
  await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, key!));
  const record = await waitFor(async () => {
    const r = await stateRecord(key!);
    return r?.status === 'PROCESSING' ? r : undefined;
  }, { what: 'the message to be claimed', timeoutMs: 15_000 });
  // the pipeline suffixes the owner per job ("<owner>#<8 hex>") so two attempts never share a lease
  assert.match(String(record.leaseOwner), new RegExp(`^${INSTANCE}#[0-9a-f]{8}$`), 'the lease owner in the state record is the IMDS instance id');
  await daemon.waitForLog((l) => typeof l._aws === 'object' && l.InFlight === 1, 'an EMF line counting the message in flight', 10_000);

  imds.setLifecycle('Terminated');
  const drain = await daemon.waitForLog((l) => l.msg === 'draining: stopped receiving', 'drain to start', 15_000);
  assert.equal(drain.reason, 'lifecycle Terminated');
  const exit = await exitWithin(daemon, 30_000);
  assert.equal(exit.code, 0, daemon.stderr());

  const done = outcomeLines(daemon.logs()).filter((l) => l.outcome === 'done');
  assert.equal(done.length, 1, 'the message in flight finished during the drain');
  const completions = asg.succeeded('CompleteLifecycleAction');
  assert.equal(completions.length, 1);
  assert.deepEqual(
    { hook: completions[0]!.params.LifecycleHookName, group: completions[0]!.params.AutoScalingGroupName, instance: completions[0]!.params.InstanceId, result: completions[0]!.params.LifecycleActionResult },
    { hook: 'drain-hook', group: GROUP, instance: INSTANCE, result: 'CONTINUE' },
  );
  assert.ok(completions[0]!.at >= Date.parse(String(done[0]!.time)), 'completed after the work was done');
  const lines = daemon.logs().map((l) => l.msg);
  assert.ok(lines.indexOf('lifecycle action completed') > lines.indexOf('drained: every received message is done or back on the queue'));
  assert.equal(asg.calls('SetInstanceProtection').length, 0, 'protection is off unless asked for');
});

test('scale-in protection: on while a message is processed, off once idle (INGEST_ASG_NAME, no tag); a failing call is retried', async () => {
  const [key] = await stack.upload('protect', 1);
  asg.failNext(3, 500, { action: 'SetInstanceProtection' }); // the first call fails (the SDK's 3 attempts)
  const daemon = spawnDaemon(asgEnv({ INGEST_SCALE_IN_PROTECTION: 'on', INGEST_SCALE_IN_IDLE_SECONDS: '1', INGEST_ASG_NAME: 'configured-asg' }));
  await daemon.waitForLog((l) => l.msg === 'consuming', 'daemon to start');
  // idle from the start: unprotected once (the first attempt fails and is retried with backoff)
  await waitFor(() => asg.protectionHistory(INSTANCE).length === 1, { what: 'the idle instance to be unprotected', timeoutMs: 15_000 });
  assert.deepEqual(asg.protectionHistory(INSTANCE), [false]);
  assert.ok(daemon.logs().some((l) => l.msg === 'SetInstanceProtection failed; retrying with backoff'));

  stack.recorder.delayResponses(2_000);
  await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, key!));
  await waitFor(() => asg.protectionHistory(INSTANCE).length === 2, { what: 'protection on', timeoutMs: 15_000 });
  assert.deepEqual(asg.protectionHistory(INSTANCE), [false, true]);
  assert.equal(outcomeLines(daemon.logs()).length, 0, 'protected while the message is processed');
  const doneLine = await daemon.waitForLog((l) => l.outcome === 'done', 'the message to be done', 15_000);
  await waitFor(() => asg.protectionHistory(INSTANCE).length === 3, { what: 'protection off once idle', timeoutMs: 10_000 });
  assert.deepEqual(asg.protectionHistory(INSTANCE), [false, true, false]);
  const calls = asg.succeeded('SetInstanceProtection');
  assert.ok(calls.every((c) => c.params.AutoScalingGroupName === 'configured-asg' && c.params['InstanceIds.member.1'] === INSTANCE));
  // the idle second starts when the job frees its slot, a little before its outcome line (that waits
  // for the batched delete): at least half of it lies after the line however slow the delete was
  assert.ok(calls[2]!.at - Date.parse(String(doneLine.time)) >= 500, 'off only after the idle time');

  const exit = await daemon.stop('SIGTERM');
  assert.equal(exit.code, 0, daemon.stderr());
  assert.deepEqual(asg.protectionHistory(INSTANCE), [false, true, false], 'already off: no call at shutdown');
  assert.equal(asg.calls('CompleteLifecycleAction').length, 0);
});
