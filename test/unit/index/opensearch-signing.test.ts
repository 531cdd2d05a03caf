/**
 * Which OpenSearch endpoints are signed, for which service and region (aws-endpoint.ts,
 * create-opensearch.ts). The signing itself is the client's AwsSigv4Signer, verified against a
 * re-signing server in test/integration/opensearch/sigv4.test.ts.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { awsServiceOf } from '../../../src/adapters/index/aws-endpoint.ts';
import { createOpenSearchIndex, openSearchSigning } from '../../../src/adapters/index/create-opensearch.ts';
import { ConfigError } from '../../../src/config.ts';

const HOST = 'search-files-abc123.us-east-1.es.amazonaws.com';

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

// ── openSearchSigning ─────────────────────────────────────────────────────────────────────

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

test('createOpenSearchIndex: ConfigError without a URL', () => {
  assert.throws(
    () => createOpenSearchIndex({ openSearchUrl: undefined, openSearchIndex: 'files' }),
    (err: unknown) => err instanceof ConfigError && /INGEST_OPENSEARCH_URL: required/.test(err.message),
  );
});
