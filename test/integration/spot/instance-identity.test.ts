/**
 * InstanceIdentity against the IMDS simulator (real HTTP, IMDSv2 tokens): the instance id and the
 * aws:autoscaling:groupName instance tag (404 while tags in metadata are off), INGEST_ASG_NAME
 * winning over the tag, answers kept and failures asked again, and asgTarget()'s error codes.
 */
import { test, beforeEach, afterEach } from 'vitest';
import assert from 'node:assert/strict';
import { ImdsClient } from '../../../src/spot/imds-client.ts';
import { ASG_NAME_TAG_PATH, INSTANCE_ID_PATH, InstanceIdentity, isInstanceId } from '../../../src/spot/instance-identity.ts';
import { isAsgError } from '../../../src/spot/asg/port.ts';
import { startImdsSimulator, type ImdsSimulator } from '../../support/imds-simulator.ts';

let imds: ImdsSimulator;
beforeEach(async () => {
  imds = await startImdsSimulator();
});
afterEach(async () => {
  await imds.close();
});

const client = () => new ImdsClient({ endpoint: imds.url });

test('the instance id and the group tag come from IMDS (with a token), each read once', async () => {
  imds.setTag('aws:autoscaling:groupName', 'spot-ingest-asg');
  const identity = new InstanceIdentity({ imds: client() });
  assert.equal(await identity.instanceId(), 'i-0123456789abcdef0');
  assert.equal(await identity.asgName(), 'spot-ingest-asg');
  assert.deepEqual(await identity.asgTarget(), { instanceId: 'i-0123456789abcdef0', groupName: 'spot-ingest-asg' });
  assert.equal(imds.count(INSTANCE_ID_PATH, 'GET'), 1, 'the answer is kept');
  assert.equal(imds.count(ASG_NAME_TAG_PATH, 'GET'), 1);
  assert.ok(imds.requests().every((r) => r.status !== 401), 'every read carried a valid token');
});

test('the simulator serves a settable instance id, and tags only when some are set', async () => {
  imds.setInstanceId('i-0abcdef1234567890');
  const identity = new InstanceIdentity({ imds: client() });
  assert.equal(await identity.instanceId(), 'i-0abcdef1234567890');
  const c = client();
  assert.equal(await c.get('/latest/meta-data/tags/instance'), null, 'no tags: 404 as with tags in metadata off');
  imds.setTag('Name', 'worker');
  assert.equal(await c.get('/latest/meta-data/tags/instance'), 'Name');
  assert.equal(await c.get('/latest/meta-data/tags/instance/Name'), 'worker');
  assert.equal(await c.get(ASG_NAME_TAG_PATH), null, 'a tag that is not set is 404');
});

test('tags in metadata off (404): no group, unless INGEST_ASG_NAME names it (which wins over the tag)', async () => {
  const off = new InstanceIdentity({ imds: client() });
  assert.equal(await off.asgName(), undefined);
  await assert.rejects(off.asgTarget(), (err: unknown) => {
    assert.ok(isAsgError(err));
    assert.equal(err.code, 'ASG_TARGET_MISSING');
    assert.equal(err.retryable, false);
    assert.match(err.message, /INGEST_ASG_NAME/);
    return true;
  });
  imds.setTag('aws:autoscaling:groupName', 'from-tag');
  const configured = new InstanceIdentity({ imds: client(), asgName: 'from-config' });
  assert.equal(await configured.asgName(), 'from-config');
  assert.equal(imds.count(ASG_NAME_TAG_PATH), 1, 'only the first identity asked for the tag');
});

test('an IMDS failure is not kept: the next ask reads again; asgTarget says ASG_TARGET_UNKNOWN meanwhile', async () => {
  imds.setTag('aws:autoscaling:groupName', 'g');
  const identity = new InstanceIdentity({ imds: client() });
  imds.failNext(1, 500, (path) => path === INSTANCE_ID_PATH);
  assert.equal(await identity.instanceId(), undefined);
  imds.failNext(1, 500, (path) => path === INSTANCE_ID_PATH);
  await assert.rejects(identity.asgTarget(), (err: unknown) => isAsgError(err) && err.code === 'ASG_TARGET_UNKNOWN' && err.retryable);
  assert.equal(await identity.instanceId(), 'i-0123456789abcdef0');
  assert.equal(imds.count(INSTANCE_ID_PATH), 3);
});

test('without IMDS only configuration counts; INGEST_INSTANCE_ID stands in only when it is an instance id', async () => {
  assert.equal(await new InstanceIdentity({ imds: undefined, configuredInstanceId: 'worker-7' }).instanceId(), undefined);
  const identity = new InstanceIdentity({ imds: undefined, configuredInstanceId: 'i-0fedcba9876543210', asgName: 'g' });
  assert.deepEqual(await identity.asgTarget(), { instanceId: 'i-0fedcba9876543210', groupName: 'g' });
  await assert.rejects(new InstanceIdentity({ imds: undefined, asgName: 'g' }).asgTarget(), (err: unknown) => isAsgError(err) && err.code === 'ASG_TARGET_MISSING' && /instance id/.test(err.message));
  assert.equal(isInstanceId('i-0123456789abcdef0'), true);
  assert.equal(isInstanceId('i-1234abcd'), true);
  assert.equal(isInstanceId('ip-10-0-0-1'), false);
});
