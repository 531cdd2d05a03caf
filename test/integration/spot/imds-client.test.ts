/**
 * The IMDSv2 client against the IMDS simulator (real HTTP): one token reused, refreshed before it
 * expires (injected clock), re-fetched on 401; 404 → null; timeouts and failures → ImdsError.
 */
import { test, beforeEach, afterEach } from 'vitest';
import assert from 'node:assert/strict';
import { ImdsClient, ImdsError } from '../../../src/spot/imds-client.ts';
import { startImdsSimulator, type ImdsSimulator } from '../../support/imds-simulator.ts';

const ACTION = '/latest/meta-data/spot/instance-action';
let imds: ImdsSimulator;
beforeEach(async () => {
  imds = await startImdsSimulator();
});
afterEach(async () => {
  await imds.close();
});

test('one token serves many gets (and concurrent gets share one token request)', async () => {
  const client = new ImdsClient({ endpoint: imds.url });
  await Promise.all([client.get(ACTION), client.get(ACTION), client.get(ACTION)]);
  for (let i = 0; i < 5; i++) assert.equal(await client.get(ACTION), null);
  assert.equal(imds.tokensIssued(), 1);
  assert.equal(imds.count('/latest/api/token', 'PUT'), 1);
  assert.equal(imds.count(ACTION, 'GET'), 8);
  assert.equal(imds.requests().filter((r) => r.status === 401).length, 0);
});

test('the token is refreshed shortly before it expires (injected clock)', async () => {
  let now = 1_000_000;
  const client = new ImdsClient({ endpoint: imds.url, tokenTtlSeconds: 600, refreshBeforeExpiryMs: 30_000, now: () => now });
  await client.get(ACTION);
  now += 569_000; // 31 s before expiry: still good
  await client.get(ACTION);
  assert.equal(imds.tokensIssued(), 1);
  now += 2_000; // 29 s before expiry: inside the refresh window
  await client.get(ACTION);
  assert.equal(imds.tokensIssued(), 2);
  await client.get(ACTION);
  assert.equal(imds.tokensIssued(), 2);
});

test('the default token TTL asked for is 21600 s, and a missing TTL header is refused by the simulator', async () => {
  const client = new ImdsClient({ endpoint: imds.url });
  await client.token();
  assert.equal(imds.count('/latest/api/token'), 1);
  const bare = await fetch(`${imds.url}/latest/api/token`, { method: 'PUT' });
  assert.equal(bare.status, 400);
  const v1 = await fetch(`${imds.url}${ACTION}`);
  assert.equal(v1.status, 401, 'IMDSv1 (no token) is refused');
});

test('a 401 (token revoked) fetches a new token and retries once', async () => {
  const client = new ImdsClient({ endpoint: imds.url });
  await client.get(ACTION);
  imds.expireTokens();
  imds.interrupt({ inSeconds: 120 });
  const body = await client.get(ACTION);
  assert.ok(body !== null);
  const parsed = JSON.parse(body) as { action: string; time: string };
  assert.equal(parsed.action, 'terminate');
  assert.ok(Date.parse(parsed.time) > Date.now() + 100_000);
  assert.equal(imds.tokensIssued(), 2);
  assert.deepEqual(imds.requests().filter((r) => r.path === ACTION).map((r) => r.status), [404, 401, 200]);
});

test('404 is null; other statuses and a failing token endpoint are ImdsErrors', async () => {
  const client = new ImdsClient({ endpoint: imds.url });
  assert.equal(await client.get('/latest/meta-data/nothing-here'), null);
  assert.equal(await client.get('/latest/meta-data/instance-id'), 'i-0123456789abcdef0');
  imds.failNext(1, 500, (path) => path === ACTION);
  await assert.rejects(client.get(ACTION), (err: unknown) => err instanceof ImdsError && err.status === 500 && err.code === 'IMDS_UNAVAILABLE');
  const fresh = new ImdsClient({ endpoint: imds.url });
  imds.failNext(1, 503, (path) => path === '/latest/api/token');
  await assert.rejects(fresh.get(ACTION), (err: unknown) => err instanceof ImdsError && err.status === 503);
  assert.equal(await fresh.get(ACTION), null, 'recovers on the next call');
});

test('a slow IMDS times out (~timeoutMs) with an ImdsError; a caller abort is the caller reason', async () => {
  const client = new ImdsClient({ endpoint: imds.url, timeoutMs: 200 });
  imds.delay(2_000);
  // IMDS answers only after 2 s: 'timed out' can only come from the 200 ms timeout
  await assert.rejects(client.get(ACTION), (err: unknown) => err instanceof ImdsError && /timed out/.test(err.message));
  const controller = new AbortController();
  const slow = new ImdsClient({ endpoint: imds.url, timeoutMs: 5_000 });
  const pending = slow.get(ACTION, controller.signal);
  const reason = new Error('caller gave up');
  setTimeout(() => controller.abort(reason), 50);
  await assert.rejects(pending, (err: unknown) => err === reason);
  imds.delay(0);
});

test('an unreachable endpoint fails fast and probe() says false', async () => {
  const url = imds.url;
  await imds.close();
  const client = new ImdsClient({ endpoint: url, timeoutMs: 500 });
  await assert.rejects(client.get(ACTION), ImdsError);
  assert.equal(await client.probe(), false);
  imds = await startImdsSimulator(); // for afterEach
  assert.equal(await new ImdsClient({ endpoint: imds.url }).probe(), true);
});
