/**
 * createAsgFeatures with the IMDS simulator and an in-memory AutoScalingPort: which features start
 * from which configuration (and the one warning when they cannot), and afterDrain(): complete the
 * lifecycle action when terminating, otherwise take scale-in protection off.
 */
import { test, beforeEach, afterEach } from 'vitest';
import assert from 'node:assert/strict';
import { createAsgFeatures, type AsgSetup } from '../../../src/runtime/asg.ts';
import type { AutoScalingPort } from '../../../src/spot/asg/port.ts';
import { ImdsClient } from '../../../src/spot/imds-client.ts';
import { InstanceIdentity } from '../../../src/spot/instance-identity.ts';
import { startImdsSimulator, type ImdsSimulator } from '../../support/imds-simulator.ts';
import { memoryLogger } from '../../support/silent-logger.ts';
import { waitFor } from '../../support/wait-for.ts';

let imds: ImdsSimulator;
beforeEach(async () => {
  imds = await startImdsSimulator();
});
afterEach(async () => {
  await imds.close();
});

function recordingPort() {
  const calls: Array<{ action: string; input: Record<string, unknown> }> = [];
  const port: AutoScalingPort = {
    async completeLifecycleAction(input) {
      calls.push({ action: 'CompleteLifecycleAction', input: { ...input } });
    },
    async recordLifecycleActionHeartbeat(input) {
      calls.push({ action: 'RecordLifecycleActionHeartbeat', input: { ...input } });
    },
    async setInstanceProtection(input) {
      calls.push({ action: 'SetInstanceProtection', input: { ...input } });
    },
  };
  return { port, calls };
}

const base = { localMode: false, lifecycleHookName: undefined, lifecycleHeartbeatSeconds: 0, scaleInProtection: false, scaleInIdleSeconds: 30 };

function setup(config: Partial<AsgSetup['config']>, options: { withImds?: boolean; asgName?: string } = {}) {
  const { logger, lines } = memoryLogger();
  const { port, calls } = recordingPort();
  const client = options.withImds === false ? undefined : new ImdsClient({ endpoint: imds.url });
  const identity = new InstanceIdentity({ imds: client, asgName: options.asgName });
  return { lines, calls, create: () => createAsgFeatures({ config: { ...base, ...config }, identity, imds: client, logger, asg: port }) };
}

test('off unless asked for; ignored in local mode; a hook without IMDS is left to its timeout', async () => {
  const none = setup({});
  assert.equal(await none.create(), undefined);
  assert.deepEqual(none.lines(), []);
  const local = setup({ localMode: true, scaleInProtection: true });
  assert.equal(await local.create(), undefined);
  assert.ok(local.lines().some((l) => l.level === 'warn' && /ignored in local mode/.test(String(l.msg))));
  const noImds = setup({ lifecycleHookName: 'h' }, { withImds: false, asgName: 'g' });
  assert.equal(await noImds.create(), undefined);
  assert.ok(noImds.lines().some((l) => l.level === 'warn' && /needs IMDS/.test(String(l.msg))));
});

test('no group name (tags in metadata off, no INGEST_ASG_NAME): one warning and nothing else', async () => {
  const s = setup({ lifecycleHookName: 'h', scaleInProtection: true });
  assert.equal(await s.create(), undefined);
  const warning = s.lines().find((l) => l.msg === 'Auto Scaling integration off (lifecycle hook, scale-in protection)');
  assert.match(String(warning?.reason), /INGEST_ASG_NAME/);
  assert.deepEqual(s.calls, []);
});

test('terminating: afterDrain completes the lifecycle action (CONTINUE) and leaves protection alone', async () => {
  imds.setTag('aws:autoscaling:groupName', 'tagged-asg');
  const s = setup({ lifecycleHookName: 'drain-hook', scaleInProtection: true });
  const features = await s.create();
  assert.ok(features?.lifecycle && features.protection);
  try {
    features.protection.update(1);
    await waitFor(() => s.calls.length === 1, { what: 'protection on' });
    features.observeLifecycle('InService');
    features.observeLifecycle('Terminated');
    features.protection.update(0);
    await features.afterDrain();
    assert.deepEqual(s.calls, [
      { action: 'SetInstanceProtection', input: { instanceId: 'i-0123456789abcdef0', groupName: 'tagged-asg', protectedFromScaleIn: true } },
      { action: 'CompleteLifecycleAction', input: { instanceId: 'i-0123456789abcdef0', groupName: 'tagged-asg', hookName: 'drain-hook', result: 'CONTINUE' } },
    ]);
  } finally {
    await features.close();
  }
});

test('not terminating (a SIGTERM): IMDS is asked once, nothing is completed, protection goes off', async () => {
  const s = setup({ lifecycleHookName: 'drain-hook', scaleInProtection: true }, { asgName: 'configured' });
  const features = await s.create();
  assert.ok(features?.protection);
  try {
    features.protection.update(2);
    await waitFor(() => features.protection?.protected === true, { what: 'protection on' });
    await features.afterDrain();
    assert.deepEqual(s.calls.map((c) => [c.action, c.input.protectedFromScaleIn]), [['SetInstanceProtection', true], ['SetInstanceProtection', false]]);
    assert.equal(imds.count('/latest/meta-data/autoscaling/target-lifecycle-state'), 1);
  } finally {
    await features.close();
  }
});

test('IMDS failing at start: the features start anyway and identify the instance at their first call', async () => {
  imds.setTag('aws:autoscaling:groupName', 'g');
  imds.failNext(1, 500, (path) => path === '/latest/meta-data/instance-id');
  const s = setup({ scaleInProtection: true });
  const features = await s.create();
  assert.ok(features?.protection);
  try {
    assert.ok(s.lines().some((l) => l.msg === 'instance identity not known yet; asking again at the first Auto Scaling call'));
    features.protection.update(1);
    await waitFor(() => features.protection?.protected === true, { what: 'protection on' });
    assert.equal(s.calls[0]?.input.instanceId, 'i-0123456789abcdef0');
  } finally {
    await features.close();
  }
});
