/**
 * The Auto Scaling side against the API stand-in (real HTTP, the real SDK client, AWS Query
 * protocol): the three calls and their parameters, the endpoint variable the SDK reads, errors as
 * AsgErrors with stable codes, timeouts and aborts; scale-in protection toggling and the lifecycle
 * completion end to end through the SDK adapter (with the IMDS simulator for the lifecycle state).
 */
import { test, beforeEach, afterEach } from 'vitest';
import assert from 'node:assert/strict';
import { AutoScalingClient, SetInstanceProtectionCommand } from '@aws-sdk/client-auto-scaling';
import { createAutoScalingClient } from '../../../src/adapters/aws/clients.ts';
import { ImdsClient } from '../../../src/spot/imds-client.ts';
import { LIFECYCLE_PATH } from '../../../src/spot/watcher.ts';
import { isAsgError, type AsgTarget } from '../../../src/spot/asg/port.ts';
import { ScaleInProtection } from '../../../src/spot/asg/scale-in-protection.ts';
import { SdkAutoScaling } from '../../../src/spot/asg/sdk-auto-scaling.ts';
import { TerminationLifecycle } from '../../../src/spot/asg/termination-lifecycle.ts';
import { startAutoScalingSimulator, type AutoScalingSimulator } from '../../support/autoscaling-simulator.ts';
import { startImdsSimulator } from '../../support/imds-simulator.ts';
import { memoryLogger } from '../../support/silent-logger.ts';
import { waitFor } from '../../support/wait-for.ts';

const TARGET: AsgTarget = { instanceId: 'i-0123456789abcdef0', groupName: 'spot-ingest-asg' };
const STATIC = { credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, region: 'us-east-1' };

let sim: AutoScalingSimulator;
let client: AutoScalingClient;
beforeEach(async () => {
  sim = await startAutoScalingSimulator();
  client = createAutoScalingClient({ AWS_ENDPOINT_URL_AUTO_SCALING: sim.url }, STATIC);
});
afterEach(async () => {
  client.destroy();
  assert.deepEqual(sim.violations, [], 'every request looked like the SDK’s');
  await sim.close();
});

test('the three calls reach the stand-in with the parameters AWS documents', async () => {
  const asg = new SdkAutoScaling({ client });
  await asg.setInstanceProtection({ ...TARGET, protectedFromScaleIn: true });
  await asg.setInstanceProtection({ ...TARGET, protectedFromScaleIn: false });
  await asg.recordLifecycleActionHeartbeat({ ...TARGET, hookName: 'drain-hook' });
  await asg.completeLifecycleAction({ ...TARGET, hookName: 'drain-hook', result: 'CONTINUE' });
  const strip = ({ Action, Version, ...rest }: Record<string, string>) => ({ Action, Version, rest });
  assert.deepEqual(sim.calls().map((c) => strip(c.params)), [
    { Action: 'SetInstanceProtection', Version: '2011-01-01', rest: { 'InstanceIds.member.1': TARGET.instanceId, AutoScalingGroupName: TARGET.groupName, ProtectedFromScaleIn: 'true' } },
    { Action: 'SetInstanceProtection', Version: '2011-01-01', rest: { 'InstanceIds.member.1': TARGET.instanceId, AutoScalingGroupName: TARGET.groupName, ProtectedFromScaleIn: 'false' } },
    { Action: 'RecordLifecycleActionHeartbeat', Version: '2011-01-01', rest: { LifecycleHookName: 'drain-hook', AutoScalingGroupName: TARGET.groupName, InstanceId: TARGET.instanceId } },
    {
      Action: 'CompleteLifecycleAction', Version: '2011-01-01',
      rest: { LifecycleHookName: 'drain-hook', AutoScalingGroupName: TARGET.groupName, LifecycleActionResult: 'CONTINUE', InstanceId: TARGET.instanceId },
    },
  ]);
  assert.deepEqual(sim.protectionHistory(TARGET.instanceId), [true, false]);
});

test('the SDK itself reads AWS_ENDPOINT_URL_AUTO_SCALING (serviceId "Auto Scaling")', async () => {
  const saved = process.env.AWS_ENDPOINT_URL_AUTO_SCALING;
  process.env.AWS_ENDPOINT_URL_AUTO_SCALING = sim.url;
  const plain = new AutoScalingClient(STATIC);
  try {
    await plain.send(new SetInstanceProtectionCommand({ AutoScalingGroupName: 'g', InstanceIds: ['i-0123456789abcdef0'], ProtectedFromScaleIn: true }));
    assert.equal(sim.succeeded('SetInstanceProtection').length, 1);
  } finally {
    plain.destroy();
    if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_AUTO_SCALING;
    else process.env.AWS_ENDPOINT_URL_AUTO_SCALING = saved;
  }
});

test('errors become AsgErrors with stable codes: rejected (not retried), access denied, throttled and 5xx (retried by the SDK)', async () => {
  const asg = new SdkAutoScaling({ client });
  sim.failNext(1, 400, { message: 'No active Lifecycle Action found with instance ID i-0123456789abcdef0' });
  await assert.rejects(asg.completeLifecycleAction({ ...TARGET, hookName: 'h', result: 'CONTINUE' }), (err: unknown) => {
    assert.ok(isAsgError(err));
    assert.equal(err.code, 'ASG_REJECTED');
    assert.equal(err.retryable, false);
    assert.equal(err.awsCode, 'ValidationError');
    assert.equal(err.action, 'CompleteLifecycleAction');
    assert.match(err.message, /No active Lifecycle Action/);
    return true;
  });
  assert.equal(sim.calls().length, 1, 'a ValidationError is not retried');

  sim.failNext(1, 403, { code: 'AccessDenied', message: 'not authorized to perform: autoscaling:SetInstanceProtection' });
  await assert.rejects(asg.setInstanceProtection({ ...TARGET, protectedFromScaleIn: true }), (err: unknown) => isAsgError(err) && err.code === 'ASG_ACCESS_DENIED' && !err.retryable);

  const before = sim.calls().length;
  sim.failNext(3, 400, { code: 'Throttling', message: 'Rate exceeded' });
  await assert.rejects(asg.setInstanceProtection({ ...TARGET, protectedFromScaleIn: true }), (err: unknown) => isAsgError(err) && err.code === 'ASG_THROTTLED' && err.retryable);
  assert.equal(sim.calls().length - before, 3, 'the SDK retried the throttled call (3 attempts)');

  sim.failNext(3, 500);
  await assert.rejects(asg.setInstanceProtection({ ...TARGET, protectedFromScaleIn: true }), (err: unknown) => isAsgError(err) && err.code === 'ASG_UNAVAILABLE' && err.retryable);
  sim.failNext(1, 503);
  await asg.setInstanceProtection({ ...TARGET, protectedFromScaleIn: true }); // one 503, then the SDK's retry succeeds
  assert.deepEqual(sim.protectionHistory(TARGET.instanceId), [true]);
});

test('a slow API is cut off by the call timeout (ASG_TIMEOUT); the caller’s abort rejects with its reason', async () => {
  const asg = new SdkAutoScaling({ client, timeoutMs: 150 });
  sim.delay(2_000);
  // the API answers only after 2 s: ASG_TIMEOUT can only come from the 150 ms call timeout
  await assert.rejects(asg.setInstanceProtection({ ...TARGET, protectedFromScaleIn: true }), (err: unknown) => isAsgError(err) && err.code === 'ASG_TIMEOUT' && err.retryable);
  const controller = new AbortController();
  const reason = new Error('daemon stopping');
  setTimeout(() => controller.abort(reason), 50);
  await assert.rejects(asg.recordLifecycleActionHeartbeat({ ...TARGET, hookName: 'h' }, controller.signal), (err: unknown) => err === reason);
  sim.delay(0);
});

test('scale-in protection through the SDK: on with work, off after the idle debounce, one call per transition, recovering from failures', async () => {
  const { logger, lines } = memoryLogger();
  const protection = new ScaleInProtection({ asg: new SdkAutoScaling({ client }), target: async () => TARGET, logger, idleMs: 150, minBackoffMs: 20, maxBackoffMs: 100 });
  try {
    protection.update(1);
    for (let n = 2; n <= 5; n++) protection.update(n);
    await waitFor(() => protection.protected === true, { what: 'protection on' });
    protection.update(3);
    protection.update(0);
    protection.update(1); // work again before the debounce ends: stays on, no call
    protection.update(0);
    await waitFor(() => protection.protected === false, { what: 'protection off after the idle time' });
    assert.deepEqual(sim.protectionHistory(TARGET.instanceId), [true, false], 'one call per transition');

    sim.failNext(6, 500, { action: 'SetInstanceProtection' }); // two whole SDK calls (3 attempts each) fail
    protection.update(1);
    await waitFor(() => protection.protected === true, { what: 'protection on after the failures', timeoutMs: 10_000 });
    assert.deepEqual(sim.protectionHistory(TARGET.instanceId), [true, false, true]);
    const warnings = lines().filter((l) => l.msg === 'SetInstanceProtection failed; retrying with backoff');
    assert.deepEqual(warnings.map((w) => w.consecutiveFailures), [1, 2]);
    assert.ok(lines().some((l) => l.msg === 'SetInstanceProtection answers again'));

    await protection.removeProtection();
    assert.equal(protection.protected, false, 'removeProtection() turned it off and waited for the call');
    protection.update(4);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(sim.protectionHistory(TARGET.instanceId), [true, false, true, false], 'nothing turns it on after removeProtection()');
  } finally {
    await protection.close();
  }
});

test('the lifecycle action is completed after the drain when IMDS says Terminated, and not otherwise', async () => {
  const imds = await startImdsSimulator();
  const { logger, lines } = memoryLogger();
  const imdsClient = new ImdsClient({ endpoint: imds.url });
  const make = () =>
    new TerminationLifecycle({
      asg: new SdkAutoScaling({ client }), target: async () => TARGET, hookName: 'drain-hook', logger,
      readState: (signal) => imdsClient.get(LIFECYCLE_PATH, signal),
    });
  try {
    const inService = make();
    assert.equal(await inService.complete(), false, 'InService: nothing to complete (a plain SIGTERM)');
    assert.equal(sim.calls('CompleteLifecycleAction').length, 0);

    imds.setLifecycle('Terminated');
    const terminating = make();
    assert.equal(await terminating.complete(), true);
    assert.equal(await terminating.complete(), true, 'completed once');
    const calls = sim.succeeded('CompleteLifecycleAction');
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.params.LifecycleActionResult, 'CONTINUE');
    assert.equal(calls[0]?.params.InstanceId, TARGET.instanceId);

    sim.failNext(1, 400, { message: 'No active Lifecycle Action found' });
    const rejected = make();
    rejected.observe('Terminated');
    assert.equal(await rejected.complete(), false, 'a failure is logged, never thrown');
    assert.ok(lines().some((l) => l.msg === 'CompleteLifecycleAction failed; the group terminates the instance when the hook times out'));
    await Promise.all([inService.close(), terminating.close(), rejected.close()]);
  } finally {
    await imdsClient.close();
    await imds.close();
  }
});

test('while a termination drain runs, heartbeats keep the hook alive; they stop when the action is completed', async () => {
  const { logger } = memoryLogger();
  const lifecycle = new TerminationLifecycle({ asg: new SdkAutoScaling({ client }), target: async () => TARGET, hookName: 'drain-hook', logger, heartbeatMs: 40 });
  try {
    lifecycle.observe('InService');
    lifecycle.observe('Terminated');
    await waitFor(() => sim.succeeded('RecordLifecycleActionHeartbeat').length >= 2, { what: 'two heartbeats' });
    assert.equal(await lifecycle.complete(), true);
    const beats = sim.succeeded('RecordLifecycleActionHeartbeat').length;
    await new Promise((r) => setTimeout(r, 150)); // a window in which a leaked timer would beat again
    assert.equal(sim.succeeded('RecordLifecycleActionHeartbeat').length, beats, 'no heartbeat after completion');
  } finally {
    await lifecycle.close();
  }
});
