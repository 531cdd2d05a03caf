import { test } from 'vitest';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, HttpRequest, QueryParameterBag } from '@smithy/types';
import { awsServiceOf, createSigV4Fetch, type SigV4FetchOptions } from '../../../src/adapters/index/sigv4-fetch.ts';
import { createOpenSearchIndex, openSearchSigning } from '../../../src/adapters/index/create-opensearch.ts';
import { ConfigError } from '../../../src/config.ts';
import { isIngestError } from '../../../src/errors.ts';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const NOW = new Date('2026-11-22T12:34:56.789Z');
const AMZ_DATE = '20261122T123456Z';
const CREDS: AwsCredentialIdentity = { accessKeyId: 'AKID', secretAccessKey: 'secret/key+example' };
const HOST = 'search-files-abc123.us-east-1.es.amazonaws.com';

// ── an independent SigV4 verifier, straight from the AWS spec (node:crypto only) ──────────────

function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

interface Received {
  method: string;
  /** The path as it arrived on the wire (still percent-encoded). */
  path: string;
  search: string;
  /** Lowercase names. */
  headers: Record<string, string>;
}

/**
 * Canonical request per the spec for every service but S3: the canonical URI is each segment of
 * the received path URI-encoded (again); query pairs encoded and sorted; signed headers trimmed.
 */
function canonicalRequest(r: Received, signedHeaders: string[], payloadHash: string): string {
  const uri = r.path.split('/').map(rfc3986).join('/') || '/';
  const query = [...new URLSearchParams(r.search)]
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headers = signedHeaders.map((h) => `${h}:${(r.headers[h] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  return [r.method, uri, query, headers, signedHeaders.join(';'), payloadHash].join('\n');
}

const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** Whether `r.headers.authorization` is a valid signature of `r` with this secret. */
function verifies(r: Received, secretAccessKey: string): boolean {
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
    r.headers.authorization ?? '',
  );
  if (!m) return false;
  const [, , date, region, service, signed, signature] = m as unknown as [string, string, string, string, string, string, string];
  const payloadHash = r.headers['x-amz-content-sha256'] ?? EMPTY_SHA256;
  const creq = canonicalRequest(r, signed.split(';'), payloadHash);
  const scope = `${date}/${region}/${service}/aws4_request`;
  const sts = ['AWS4-HMAC-SHA256', r.headers['x-amz-date'], scope, createHash('sha256').update(creq).digest('hex')].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service), 'aws4_request');
  return createHmac('sha256', key).update(sts).digest('hex') === signature;
}

const SUITE_SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const suiteRequest = (method: string, search: string, signature: string): Received => ({
  method,
  path: '/',
  search,
  headers: {
    host: 'example.amazonaws.com',
    'x-amz-date': '20150830T123600Z',
    authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=${signature}`,
  },
});

test('the test verifier agrees with the published AWS SigV4 test suite (get-vanilla, query order, post-vanilla)', () => {
  assert.ok(verifies(suiteRequest('GET', '', '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'), SUITE_SECRET));
  assert.ok(verifies(suiteRequest('GET', '?Param2=value2&Param1=value1', 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500'), SUITE_SECRET));
  assert.ok(verifies(suiteRequest('POST', '', '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b'), SUITE_SECRET));
  assert.ok(!verifies(suiteRequest('PUT', '', '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b'), SUITE_SECRET));
  assert.ok(!verifies(suiteRequest('GET', '', '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'), 'wrong'));
});

// ── a recording transport under the signer ────────────────────────────────────────────────

interface Sent {
  url: URL;
  init: RequestInit;
  headers: Record<string, string>;
  body: Buffer;
}

function recorder(): { fetch: typeof fetch; sent: Sent[] } {
  const sent: Sent[] = [];
  const fake = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => {
      headers[k] = v;
    });
    const body = init.body === undefined || init.body === null ? Buffer.alloc(0) : Buffer.from(init.body as Uint8Array);
    sent.push({ url: new URL(input instanceof Request ? input.url : input), init, headers, body });
    return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return { fetch: fake as typeof fetch, sent };
}

function signing(overrides: Partial<SigV4FetchOptions> = {}): { fetch: typeof fetch; sent: Sent[] } {
  const rec = recorder();
  const signed = createSigV4Fetch({ service: 'es', region: 'us-east-1', credentials: async () => CREDS, fetch: rec.fetch, now: () => NOW, ...overrides });
  return { fetch: signed, sent: rec.sent };
}

/** What the server sees: the wire path/query, the Host fetch derives from the URL, the headers. */
function received(s: Sent, method: string): Received {
  return { method, path: s.url.pathname, search: s.url.search, headers: { ...s.headers, host: s.url.host } };
}

function signedHeaderList(s: Sent): string[] {
  return /SignedHeaders=([^,]+),/.exec(s.headers.authorization ?? '')?.[1]?.split(';') ?? [];
}

// ── awsServiceOf ──────────────────────────────────────────────────────────────────────────

test('awsServiceOf: service and region from Amazon OpenSearch Service / Serverless hosts', () => {
  const env = {};
  const cases: Array<[string, ReturnType<typeof awsServiceOf>]> = [
    ['https://search-x-abc.us-east-1.es.amazonaws.com', { service: 'es', region: 'us-east-1' }],
    ['https://vpc-files-3kf9a0b2cd.eu-west-1.es.amazonaws.com:443/', { service: 'es', region: 'eu-west-1' }],
    ['https://abc123.us-east-1.aoss.amazonaws.com', { service: 'aoss', region: 'us-east-1' }],
    ['https://SEARCH-X.AP-NORTHEAST-1.ES.AMAZONAWS.COM/', { service: 'es', region: 'ap-northeast-1' }],
    ['https://search-x.cn-north-1.es.amazonaws.com.cn', { service: 'es', region: 'cn-north-1' }],
    ['https://abc.cn-northwest-1.aoss.amazonaws.com.cn', { service: 'aoss', region: 'cn-northwest-1' }],
    ['https://search-x.us-gov-west-1.es.amazonaws.com', { service: 'es', region: 'us-gov-west-1' }],
    ['https://search-x-abc.aos.eu-central-2.on.aws', { service: 'es', region: 'eu-central-2' }],
    ['https://abc123.aoss.us-west-2.on.aws', { service: 'aoss', region: 'us-west-2' }],
    ['http://localhost:9200', undefined],
    ['https://search.example.com', undefined],
    ['https://search-x.us-east-1.es.amazonaws.com.example.com', undefined],
    ['https://es.amazonaws.com.evil.test', undefined],
    ['not a url', undefined],
  ];
  for (const [url, expected] of cases) assert.deepEqual(awsServiceOf(url, env), expected, url);
});

test('awsServiceOf: a host without a region takes AWS_REGION (else AWS_DEFAULT_REGION), none ⇒ undefined', () => {
  assert.deepEqual(awsServiceOf('https://domain.es.amazonaws.com', { AWS_REGION: 'eu-west-3' }), { service: 'es', region: 'eu-west-3' });
  assert.deepEqual(awsServiceOf('https://x.aoss.amazonaws.com', { AWS_DEFAULT_REGION: 'sa-east-1' }), { service: 'aoss', region: 'sa-east-1' });
  assert.equal(awsServiceOf('https://domain.es.amazonaws.com', {}), undefined);
  // The host's own region wins over the environment.
  assert.deepEqual(awsServiceOf(`https://${HOST}`, { AWS_REGION: 'eu-west-3' }), { service: 'es', region: 'us-east-1' });
});

// ── signing ───────────────────────────────────────────────────────────────────────────────

test('a POST is signed: authorization, x-amz-date, body hash, content-type and host among the signed headers', async () => {
  const { fetch: signed, sent } = signing();
  const body = '{"index":{"_index":"files","_id":"a"}}\n{"content":"本文"}\n';
  const res = await signed(`https://${HOST}/_bulk`, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/x-ndjson' },
    body,
  });
  assert.equal(res.status, 200);
  const s = sent[0]!;
  assert.match(
    s.headers.authorization!,
    /^AWS4-HMAC-SHA256 Credential=AKID\/20261122\/us-east-1\/es\/aws4_request, SignedHeaders=accept;content-type;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
  );
  assert.equal(s.headers['x-amz-date'], AMZ_DATE);
  assert.equal(s.headers['x-amz-content-sha256'], createHash('sha256').update(body, 'utf8').digest('hex'));
  assert.equal(s.headers['content-type'], 'application/x-ndjson');
  assert.equal(s.headers.host, undefined, 'Host is left to fetch, which derives the same value from the URL');
  assert.equal(s.body.toString('utf8'), body, 'the body is sent as the bytes that were hashed');
  assert.equal(s.url.href, `https://${HOST}/_bulk`);
  assert.ok(verifies(received(s, 'POST'), CREDS.secretAccessKey), 'the independent verifier accepts the signature');
  assert.ok(!verifies(received(s, 'POST'), 'another secret'));
  assert.ok(!verifies({ ...received(s, 'POST'), method: 'PUT' }, CREDS.secretAccessKey), 'the method is covered');
  assert.ok(!verifies({ ...received(s, 'POST'), headers: { ...received(s, 'POST').headers, 'content-type': 'text/plain' } }, CREDS.secretAccessKey));
});

test('re-signing what the server received with SignatureV4 (same credentials, same date) gives the same Authorization', async () => {
  const { fetch: signed, sent } = signing();
  await signed(`https://${HOST}/files/_search?size=5&q=a b`, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/json' },
    body: '{"size":5}',
  });
  const s = sent[0]!;
  const headers: Record<string, string> = { host: s.url.host };
  for (const name of signedHeaderList(s)) if (name !== 'host') headers[name] = s.headers[name]!;
  const query: QueryParameterBag = {};
  for (const [k, v] of s.url.searchParams) query[k] = v;
  const again: HttpRequest = { method: 'POST', protocol: 'https:', hostname: s.url.hostname, path: s.url.pathname, query, headers, body: s.body };
  const verifier = new SignatureV4({ service: 'es', region: 'us-east-1', credentials: CREDS, sha256: Hash.bind(null, 'sha256') });
  const resigned = await verifier.sign(again, { signingDate: NOW });
  assert.equal(resigned.headers.authorization, s.headers.authorization);
  assert.equal(s.url.search, '?size=5&q=a%20b', 'the query is sent in its canonical encoding');
  assert.ok(verifies(received(s, 'POST'), CREDS.secretAccessKey));
});

test('GET and HEAD without a body hash the empty string', async () => {
  const { fetch: signed, sent } = signing();
  await signed(`https://${HOST}/files/_mapping`, { method: 'GET', headers: { accept: 'application/json' } });
  await signed(`https://${HOST}/files`, { method: 'HEAD', headers: { accept: 'application/json' } });
  for (const [i, method] of (['GET', 'HEAD'] as const).entries()) {
    const s = sent[i]!;
    assert.equal(s.init.method, method);
    assert.equal(s.headers['x-amz-content-sha256'], EMPTY_SHA256);
    assert.equal(s.init.body, undefined);
    assert.deepEqual(signedHeaderList(s), ['accept', 'host', 'x-amz-content-sha256', 'x-amz-date']);
    assert.ok(verifies(received(s, method), CREDS.secretAccessKey), method);
  }
});

test('temporary credentials: x-amz-security-token is sent and signed; Serverless signs as aoss', async () => {
  const { fetch: signed, sent } = signing({
    service: 'aoss',
    region: 'eu-west-1',
    credentials: async () => ({ ...CREDS, sessionToken: 'session-token-value' }),
  });
  await signed('https://abc123.eu-west-1.aoss.amazonaws.com/files', { method: 'HEAD' });
  const s = sent[0]!;
  assert.equal(s.headers['x-amz-security-token'], 'session-token-value');
  assert.ok(signedHeaderList(s).includes('x-amz-security-token'));
  assert.match(s.headers.authorization!, /Credential=AKID\/20261122\/eu-west-1\/aoss\/aws4_request/);
  assert.ok(verifies(received(s, 'HEAD'), CREDS.secretAccessKey));
});

test('an encoded path is sent as is and signed as AWS verifies it: the wire path URI-encoded once more', async () => {
  const { fetch: signed, sent } = signing();
  const id = encodeURIComponent('a:b/c d!');
  await signed(`https://${HOST}/files/_doc/${id}`, { method: 'GET' });
  const s = sent[0]!;
  assert.equal(s.url.pathname, '/files/_doc/a%3Ab%2Fc%20d!', 'no double encoding on the wire');
  assert.ok(verifies(received(s, 'GET'), CREDS.secretAccessKey), 'canonical URI /files/_doc/a%253Ab%252Fc%2520d%21');
  // A signer that used the wire path unchanged as the canonical URI would not verify.
  const creq = canonicalRequest(received(s, 'GET'), signedHeaderList(s), EMPTY_SHA256);
  assert.equal(creq.split('\n')[1], '/files/_doc/a%253Ab%252Fc%2520d%21');
});

test('credentials are asked for on every request (the provider caches and refreshes)', async () => {
  let calls = 0;
  const { fetch: signed, sent } = signing({
    credentials: async () => {
      calls += 1;
      return { accessKeyId: `AKID${calls}`, secretAccessKey: `secret${calls}` };
    },
  });
  await signed(`https://${HOST}/files`, { method: 'HEAD' });
  await signed(`https://${HOST}/files`, { method: 'HEAD' });
  assert.equal(calls, 2);
  assert.match(sent[1]!.headers.authorization!, /Credential=AKID2\//);
  assert.ok(verifies(received(sent[1]!, 'HEAD'), 'secret2'));
});

test('the caller\'s AbortSignal and other init options pass through to the transport', async () => {
  const { fetch: signed, sent } = signing();
  const controller = new AbortController();
  await signed(`https://${HOST}/files`, { method: 'HEAD', signal: controller.signal, redirect: 'error', keepalive: true });
  assert.equal(sent[0]!.init.signal, controller.signal);
  assert.equal(sent[0]!.init.redirect, 'error');
  assert.equal(sent[0]!.init.keepalive, true);
});

test('an abort while credentials are pending rejects with the signal\'s reason; nothing is sent', async () => {
  let release: (c: AwsCredentialIdentity) => void = () => undefined;
  const pending = new Promise<AwsCredentialIdentity>((resolve) => {
    release = resolve;
  });
  const { fetch: signed, sent } = signing({ credentials: () => pending });
  const controller = new AbortController();
  const request = signed(`https://${HOST}/files`, { method: 'HEAD', signal: controller.signal });
  const reason = new Error('caller gave up');
  controller.abort(reason);
  await assert.rejects(request, (err) => err === reason);
  release(CREDS);
  assert.equal(sent.length, 0);
});

test('failing to get credentials is a retryable INDEX_AUTH IngestError; nothing is sent', async () => {
  const { fetch: signed, sent } = signing({
    credentials: async () => {
      throw new Error('Could not load credentials from any providers');
    },
  });
  await assert.rejects(signed(`https://${HOST}/files`, { method: 'HEAD' }), (err: unknown) => {
    assert.ok(isIngestError(err));
    assert.equal(err.code, 'INDEX_AUTH');
    assert.equal(err.retryable, true);
    assert.match(err.message, /could not get AWS credentials to sign OpenSearch requests \(es, us-east-1\): Could not load credentials/);
    return true;
  });
  const empty = signing({ credentials: async () => ({}) as AwsCredentialIdentity });
  await assert.rejects(empty.fetch(`https://${HOST}/files`, { method: 'HEAD' }), (err: unknown) => isIngestError(err) && err.code === 'INDEX_AUTH');
  assert.equal(sent.length + empty.sent.length, 0);
});

test('the adapter passes a credential failure through unchanged', async () => {
  const rec = recorder();
  const index = createOpenSearchIndex(
    { openSearchUrl: `https://${HOST}`, openSearchIndex: 'files' },
    {
      env: {},
      fetch: rec.fetch,
      credentials: async () => {
        throw new Error('no IMDS');
      },
    },
  );
  try {
    await assert.rejects(index.describeIndex(), (err: unknown) => isIngestError(err) && err.code === 'INDEX_AUTH' && err.retryable);
    assert.equal(rec.sent.length, 0);
  } finally {
    await index.close();
  }
});

// ── createOpenSearchIndex / openSearchSigning ───────────────────────────────────────────────

test('openSearchSigning: AWS hosts sign, userinfo means basic auth, INGEST_OPENSEARCH_SIGV4 forces or disables', () => {
  assert.deepEqual(openSearchSigning(`https://${HOST}`, {}), { service: 'es', region: 'us-east-1' });
  assert.deepEqual(openSearchSigning('https://abc.us-west-2.aoss.amazonaws.com', {}), { service: 'aoss', region: 'us-west-2' });
  assert.equal(openSearchSigning(`https://admin:pw@${HOST}`, {}), undefined, 'fine-grained access control basic auth');
  assert.equal(openSearchSigning('http://localhost:9200', { AWS_REGION: 'us-east-1' }), undefined);
  assert.equal(openSearchSigning(`https://${HOST}`, { INGEST_OPENSEARCH_SIGV4: 'off' }), undefined);
  assert.deepEqual(openSearchSigning('https://search.example.com', { INGEST_OPENSEARCH_SIGV4: 'es', AWS_REGION: 'eu-west-1' }), {
    service: 'es',
    region: 'eu-west-1',
  });
  assert.deepEqual(openSearchSigning('https://search.example.com', { INGEST_OPENSEARCH_SIGV4: ' AOSS ', AWS_DEFAULT_REGION: 'eu-west-2' }), {
    service: 'aoss',
    region: 'eu-west-2',
  });
  // Forcing on an AWS host keeps the host's region.
  assert.deepEqual(openSearchSigning(`https://${HOST}`, { INGEST_OPENSEARCH_SIGV4: 'es', AWS_REGION: 'eu-west-1' }), {
    service: 'es',
    region: 'us-east-1',
  });
});

test('openSearchSigning: a bad INGEST_OPENSEARCH_SIGV4, a forced signature without a region or with userinfo are ConfigErrors', () => {
  const configError = (pattern: RegExp) => (err: unknown) => err instanceof ConfigError && pattern.test(err.message);
  assert.throws(() => openSearchSigning(`https://${HOST}`, { INGEST_OPENSEARCH_SIGV4: 'yes' }), configError(/INGEST_OPENSEARCH_SIGV4: must be "es", "aoss" or "off", got "yes"/));
  assert.throws(() => openSearchSigning('https://search.example.com', { INGEST_OPENSEARCH_SIGV4: 'es' }), configError(/INGEST_OPENSEARCH_SIGV4: "es" needs a region: set AWS_REGION/));
  assert.throws(() => openSearchSigning('https://u:p@search.example.com', { INGEST_OPENSEARCH_SIGV4: 'es', AWS_REGION: 'us-east-1' }), configError(/INGEST_OPENSEARCH_SIGV4: "es" cannot be combined with basic-auth/));
});

test('createOpenSearchIndex: ConfigError without a URL; basic auth and open endpoints are not signed', async () => {
  assert.throws(() => createOpenSearchIndex({ openSearchUrl: undefined, openSearchIndex: 'files' }), (err: unknown) => err instanceof ConfigError && /INGEST_OPENSEARCH_URL: required/.test(err.message));
  const rec = recorder();
  const basic = createOpenSearchIndex({ openSearchUrl: `https://admin:pw@${HOST}`, openSearchIndex: 'files' }, { env: {}, fetch: rec.fetch });
  const open = createOpenSearchIndex({ openSearchUrl: 'http://127.0.0.1:9', openSearchIndex: 'files' }, { env: {}, fetch: rec.fetch });
  const signed = createOpenSearchIndex({ openSearchUrl: `https://${HOST}`, openSearchIndex: 'files' }, { env: {}, fetch: rec.fetch, credentials: async () => CREDS });
  try {
    await basic.indexExists('files');
    await open.indexExists('files');
    await signed.indexExists('files');
    const [b, o, s] = [rec.sent[0]!, rec.sent[1]!, rec.sent[2]!];
    assert.equal(b.headers.authorization, `Basic ${Buffer.from('admin:pw').toString('base64')}`);
    assert.equal(b.headers['x-amz-date'], undefined);
    assert.equal(o.headers.authorization, undefined);
    assert.match(s.headers.authorization!, /^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/us-east-1\/es\/aws4_request/);
    assert.equal(rec.sent.length, 3, 'one HEAD /files each');
  } finally {
    await Promise.all([basic.close(), open.close(), signed.close()]);
  }
});
