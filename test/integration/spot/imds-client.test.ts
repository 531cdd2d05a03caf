/**
 * The IMDSv2 client against the IMDS simulator, where the wire is under test (real HTTP on its own
 * undici agent): one token reused, refreshed before it expires (injected clock), re-fetched on 401;
 * one kept-alive socket; a non-200 body drained so that socket is reused; close() ending the
 * agent's sockets; the agent's timeouts and a refused connection → ImdsError. Canned answers
 * (statuses, headers, delays, aborts) are unit-tested on a MockAgent: test/unit/spot/imds-client.test.ts.
 */
import { test, beforeEach, afterEach } from 'vitest';
import assert from 'node:assert/strict';
import { ImdsClient, ImdsError } from '../../../src/spot/imds-client.ts';
import { startImdsSimulator, type ImdsSimulator } from '../../support/imds-simulator.ts';
import { waitFor } from '../../support/wait-for.ts';

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
  await client.close();
});

// back to back, undici may open a second socket while the first is being handed back: "at most 2"
test('keep-alive: requests one after another reuse their sockets', async () => {
  const client = new ImdsClient({ endpoint: imds.url });
  for (let i = 0; i < 8; i++) assert.equal(await client.get(ACTION), null);
  assert.equal(await client.get('/latest/meta-data/instance-id'), 'i-0123456789abcdef0');
  const { accepted, open } = imds.connections();
  assert.ok(accepted <= 2, `10 requests on ${accepted} sockets`);
  assert.equal(open, accepted, 'all still open (kept alive)');
  await client.close();
});

test("a non-200 answer's body is drained: the socket goes back to the agent and the next request reuses it", async () => {
  const client = new ImdsClient({ endpoint: imds.url });
  assert.equal(await client.get(ACTION), null);
  // larger than undici's 64 KiB stream buffer: left unread, each would hold its socket until the
  // body timeout, and every next request would open another
  imds.failNext(4, 500, (path) => path === ACTION, 'x'.repeat(100_000));
  for (let i = 0; i < 4; i++) await assert.rejects(client.get(ACTION), (err: unknown) => err instanceof ImdsError && err.status === 500);
  assert.equal(await client.get(ACTION), null);
  const { accepted } = imds.connections();
  assert.ok(accepted <= 2, `6 requests on ${accepted} sockets`);
  await client.close();
});

test("close() closes the client's own agent: its kept-alive socket ends, and later gets are ImdsErrors", async () => {
  const client = new ImdsClient({ endpoint: imds.url });
  assert.equal(await client.get(ACTION), null);
  const { accepted, open } = imds.connections();
  assert.ok(open >= 1, 'kept alive');
  await client.close();
  // well before the idle keep-alive timeout (~3 s here) would close them anyway
  await waitFor(() => imds.connections().open === 0, { timeoutMs: 1_000, intervalMs: 10, what: 'the agent to close its sockets' });
  await client.close(); // idempotent
  await assert.rejects(client.get(ACTION), (err: unknown) => err instanceof ImdsError && err.code === 'IMDS_UNAVAILABLE');
  assert.equal(imds.connections().accepted, accepted, 'no new connection after close()');
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

test('404 is null, 200 the body, 500 an ImdsError, a failing token endpoint too, and the next call recovers', async () => {
  const client = new ImdsClient({ endpoint: imds.url });
  assert.equal(await client.get('/latest/meta-data/nothing-here'), null);
  assert.equal(await client.get('/latest/meta-data/instance-id'), 'i-0123456789abcdef0');
  imds.failNext(1, 500, (path) => path === ACTION);
  await assert.rejects(client.get(ACTION), (err: unknown) => err instanceof ImdsError && err.status === 500 && err.code === 'IMDS_UNAVAILABLE');
  const fresh = new ImdsClient({ endpoint: imds.url });
  imds.failNext(1, 503, (path) => path === '/latest/api/token');
  await assert.rejects(fresh.get(ACTION), (err: unknown) => err instanceof ImdsError && err.status === 503);
  assert.equal(await fresh.get(ACTION), null, 'recovers on the next call');
  await Promise.all([client.close(), fresh.close()]);
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
