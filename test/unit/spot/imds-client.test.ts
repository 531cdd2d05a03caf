/**
 * The IMDSv2 client on canned answers (undici MockAgent as its dispatcher, no network): the token
 * request and header, one token shared, the granted TTL, 401 → new token and one retry, 404 → null,
 * other statuses, an empty token and a failed connection → ImdsError, no redirect followed, the
 * timeout, the caller's abort, and close() leaving a given dispatcher open. Every test ends with no
 * interceptor left unused. The wire itself (sockets, keep-alive, the agent's own timeouts) is tested
 * against the IMDS simulator in test/integration/spot/imds-client.test.ts.
 */
import { test, describe } from 'vitest';
import assert from 'node:assert/strict';
import { MockAgent, type Interceptable } from 'undici';
import { ImdsClient, ImdsError, type ImdsClientOptions } from '../../../src/spot/imds-client.ts';

const ORIGIN = 'http://169.254.169.254';
const TOKEN = '/latest/api/token';
const ACTION = '/latest/meta-data/spot/instance-action';
const TTL = 'x-aws-ec2-metadata-token-ttl-seconds';

/** A MockAgent that refuses the network, the client on it, and a check that every interceptor was used. */
async function withImds(run: (t: { imds: Interceptable; client: ImdsClient }) => Promise<void>, options: ImdsClientOptions = {}): Promise<void> {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const client = new ImdsClient({ dispatcher: agent, ...options });
  try {
    await run({ imds: agent.get(ORIGIN), client });
    agent.assertNoPendingInterceptors();
  } finally {
    await client.close();
    await agent.close();
  }
}

/** The token request as IMDSv2 wants it (PUT with the TTL header), answered with `token`. */
function tokenReply(imds: Interceptable, token: string, options: { askTtl?: string; grantTtl?: string; times?: number } = {}): void {
  const scope = imds
    .intercept({ path: TOKEN, method: 'PUT', headers: { [TTL]: options.askTtl ?? '21600' } })
    .reply(200, token, { headers: { [TTL]: options.grantTtl ?? options.askTtl ?? '21600' } });
  if (options.times !== undefined) scope.times(options.times);
}

function metadata(imds: Interceptable, path: string, token: string) {
  return imds.intercept({ path, method: 'GET', headers: { 'x-aws-ec2-metadata-token': token } });
}

const isImds = (status?: number) => (err: unknown) =>
  err instanceof ImdsError && err.code === 'IMDS_UNAVAILABLE' && err.retryable && err.status === status;

describe('token', () => {
  test('one PUT with the TTL header; its token goes with every GET, and concurrent gets share the request', () =>
    withImds(async ({ imds, client }) => {
      tokenReply(imds, 'tok-1');
      metadata(imds, ACTION, 'tok-1').reply(404, 'Not Found').times(3);
      metadata(imds, '/latest/meta-data/instance-id', 'tok-1').reply(200, 'i-0123456789abcdef0');
      assert.deepEqual(await Promise.all([client.get(ACTION), client.get(ACTION), client.get(ACTION)]), [null, null, null]);
      assert.equal(await client.get('/latest/meta-data/instance-id'), 'i-0123456789abcdef0');
    }));

  test('a shorter TTL granted than asked for is refreshed sooner (injected clock)', async () => {
    let now = 1_000_000;
    await withImds(
      async ({ imds, client }) => {
        tokenReply(imds, 'short', { askTtl: '600', grantTtl: '120' });
        tokenReply(imds, 'next', { askTtl: '600' });
        assert.equal(await client.token(), 'short');
        now += 89_000; // 31 s before the granted 120 s run out
        assert.equal(await client.token(), 'short');
        now += 2_000; // inside the 30 s refresh window
        assert.equal(await client.token(), 'next');
      },
      { tokenTtlSeconds: 600, refreshBeforeExpiryMs: 30_000, now: () => now },
    );
  });

  test('an empty token is an ImdsError, and the next call asks again', () =>
    withImds(async ({ imds, client }) => {
      tokenReply(imds, '  \n');
      tokenReply(imds, 'tok');
      await assert.rejects(client.token(), (err: unknown) => isImds(200)(err) && /empty token/.test((err as Error).message));
      assert.equal(await client.token(), 'tok');
    }));

  test('a failing token endpoint is an ImdsError with its status; probe() says false, then true', () =>
    withImds(async ({ imds, client }) => {
      imds.intercept({ path: TOKEN, method: 'PUT' }).reply(503, 'Service Unavailable');
      imds.intercept({ path: TOKEN, method: 'PUT' }).reply(403, 'Forbidden');
      tokenReply(imds, 'tok');
      await assert.rejects(client.get(ACTION), isImds(503));
      assert.equal(await client.probe(), false);
      assert.equal(await client.probe(), true);
    }));
});

describe('get', () => {
  test('401: a new token and one retry; a second 401 is an ImdsError', () =>
    withImds(async ({ imds, client }) => {
      tokenReply(imds, 'old');
      tokenReply(imds, 'new');
      tokenReply(imds, 'newer');
      metadata(imds, ACTION, 'old').reply(401, 'Unauthorized');
      metadata(imds, ACTION, 'new').reply(200, '{"action":"terminate","time":"2030-01-01T00:00:00Z"}');
      metadata(imds, ACTION, 'new').reply(401, 'Unauthorized');
      metadata(imds, ACTION, 'newer').reply(401, 'Unauthorized');
      assert.equal(await client.get(ACTION), '{"action":"terminate","time":"2030-01-01T00:00:00Z"}');
      await assert.rejects(client.get(ACTION), isImds(401));
    }));

  test('404 is null; 500 and other statuses are ImdsErrors (IMDS_UNAVAILABLE, retryable)', () =>
    withImds(async ({ imds, client }) => {
      tokenReply(imds, 'tok');
      metadata(imds, ACTION, 'tok').reply(404, 'Not Found');
      metadata(imds, ACTION, 'tok').reply(500, 'Internal Server Error');
      metadata(imds, ACTION, 'tok').reply(429, '');
      assert.equal(await client.get(ACTION), null);
      await assert.rejects(client.get(ACTION), (err: unknown) => isImds(500)(err) && /GET \/latest\/meta-data\/spot\/instance-action answered 500/.test((err as Error).message));
      await assert.rejects(client.get(ACTION), isImds(429));
    }));

  test('a redirect is not followed: the 3xx is an ImdsError', () =>
    withImds(async ({ imds, client }) => {
      tokenReply(imds, 'tok');
      metadata(imds, ACTION, 'tok').reply(302, '', { headers: { location: 'http://example.com/elsewhere' } });
      await assert.rejects(client.get(ACTION), isImds(302));
    }));

  test('a failed connection is an ImdsError with the cause', () =>
    withImds(async ({ imds, client }) => {
      const refused = Object.assign(new Error('connect ECONNREFUSED 169.254.169.254:80'), { code: 'ECONNREFUSED' });
      imds.intercept({ path: TOKEN, method: 'PUT' }).replyWithError(refused);
      await assert.rejects(client.get(ACTION), (err: unknown) => isImds(undefined)(err) && (err as Error).cause === refused && /failed: connect ECONNREFUSED/.test((err as Error).message));
    }));
});

describe('deadlines', () => {
  test('an answer later than timeoutMs is an ImdsError "timed out"', () =>
    withImds(
      async ({ imds, client }) => {
        tokenReply(imds, 'tok');
        metadata(imds, ACTION, 'tok').reply(200, 'late').delay(1_000);
        const started = performance.now();
        await assert.rejects(client.get(ACTION), (err: unknown) => isImds(undefined)(err) && /GET .* timed out after 100 ms/.test((err as Error).message));
        assert.ok(performance.now() - started < 900, 'did not wait for the answer');
      },
      { timeoutMs: 100 },
    ));

  test("the caller's abort rejects with the signal's reason, before or during a request", () =>
    withImds(async ({ imds, client }) => {
      const before = new AbortController();
      const early = new Error('aborted before');
      before.abort(early);
      await assert.rejects(client.get(ACTION, before.signal), (err: unknown) => err === early);

      tokenReply(imds, 'tok');
      metadata(imds, ACTION, 'tok').reply(200, 'late').delay(2_000);
      const during = new AbortController();
      const reason = new Error('caller gave up');
      const pending = client.get(ACTION, during.signal);
      setTimeout(() => during.abort(reason), 50);
      await assert.rejects(pending, (err: unknown) => err === reason);
    }));
});

test('close() leaves a dispatcher it was given open (the caller owns it)', async () => {
  const agent = new MockAgent();
  agent.disableNetConnect();
  try {
    const imds = agent.get(ORIGIN);
    tokenReply(imds, 'tok', { times: 2 });
    const first = new ImdsClient({ dispatcher: agent });
    assert.equal(await first.token(), 'tok');
    await first.close();
    await first.close(); // idempotent
    assert.equal(await new ImdsClient({ dispatcher: agent }).token(), 'tok', 'the shared dispatcher still answers');
    agent.assertNoPendingInterceptors();
  } finally {
    await agent.close();
  }
});
