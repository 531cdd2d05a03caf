import { test } from 'vitest';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { ConfigError, loadConfig, requireForQueueMode } from '../../../src/config.ts';

test('defaults follow docs/design.md §3', () => {
  const c = loadConfig({});
  assert.equal(c.localMode, true);
  assert.equal(c.openSearchIndex, 'files');
  assert.equal(c.thumbnailPrefix, 'thumbnails/');
  assert.equal(c.textEmbeddingModel, 'amazon.titan-embed-text-v2:0');
  assert.equal(c.imageEmbeddingModel, 'amazon.titan-embed-image-v1');
  assert.equal(c.ocrLangs, 'jpn+eng');
  assert.equal(c.concurrency, 2 * availableParallelism());
  assert.equal(c.maxFileBytes, 536870912);
  assert.equal(c.visibilityTimeoutSeconds, 120);
  assert.equal(c.httpPort, 9400);
  assert.equal(c.httpHost, '127.0.0.1');
  assert.equal(c.imds, 'auto');
  assert.equal(c.imdsEndpoint, undefined);
  assert.equal(c.spotSafetyMarginSeconds, 15);
  assert.equal(c.rebalance, 'drain');
  assert.match(c.dataDir, /\.spot-ingest$/);
  assert.equal(c.logLevel, 'warn');
});

test('AWS_EC2_METADATA_SERVICE_ENDPOINT is the IMDS endpoint (read here, not by the IMDS client)', () => {
  assert.equal(loadConfig({ AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:1338' }).imdsEndpoint, 'http://127.0.0.1:1338');
  assert.equal(loadConfig({ AWS_EC2_METADATA_SERVICE_ENDPOINT: '' }).imdsEndpoint, undefined);
  assert.throws(() => loadConfig({ AWS_EC2_METADATA_SERVICE_ENDPOINT: 'not a url' }), /AWS_EC2_METADATA_SERVICE_ENDPOINT/);
});

test('an empty (or blank) numeric variable means its default, as an unset one does (§3.1: an env file\'s "INGEST_X=")', () => {
  const c = loadConfig({
    INGEST_CONCURRENCY: '', INGEST_VISIBILITY_TIMEOUT: ' ', INGEST_TEXT_EMBEDDING_DIMENSIONS: '',
    INGEST_CIRCUIT_PROBE_MIN_SECONDS: '', INGEST_CIRCUIT_PROBE_MAX_SECONDS: '  ', INGEST_HTTP_PORT: '',
  });
  const d = loadConfig({});
  assert.equal(c.concurrency, d.concurrency);
  assert.equal(c.visibilityTimeoutSeconds, 120);
  assert.equal(c.textEmbeddingDimensions, undefined);
  assert.equal(c.circuitProbeMinSeconds, d.circuitProbeMinSeconds);
  assert.equal(c.circuitProbeMaxSeconds, d.circuitProbeMaxSeconds);
  assert.equal(c.httpPort, 9400);
  // a value around spaces is still read, and a bad one still names the variable
  assert.equal(loadConfig({ INGEST_CONCURRENCY: ' 7 ' }).concurrency, 7);
  assert.throws(() => loadConfig({ INGEST_CONCURRENCY: '7 8' }), (e) => e instanceof ConfigError && /INGEST_CONCURRENCY: must be a whole number/.test(e.message));
});

test('queue mode uses the production data dir and listens on all interfaces', () => {
  const c = loadConfig({ INGEST_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123/q', INGEST_TEXT_EMBEDDING_MODEL: 'none' });
  assert.equal(c.localMode, false);
  assert.equal(c.dataDir, '/var/lib/spot-ingest');
  assert.equal(c.httpHost, '0.0.0.0');
  assert.equal(c.textEmbeddingModel, null);
  assert.equal(c.logLevel, 'info');
});

for (const [name, value] of [
  ['INGEST_CONCURRENCY', '0'],
  ['INGEST_CONCURRENCY', 'lots'],
  ['INGEST_VISIBILITY_TIMEOUT', '5'],
  ['INGEST_HTTP_PORT', '70000'],
  ['INGEST_QUEUE_URL', 'not a url'],
  ['INGEST_IMDS', 'maybe'],
  ['INGEST_SPOT_SAFETY_MARGIN_SECONDS', 'soon'],
  ['INGEST_SPOT_SAFETY_MARGIN_SECONDS', '200'],
  ['INGEST_REBALANCE', 'panic'],
  ['LOG_LEVEL', 'loud'],
  ['INGEST_OPENSEARCH_INDEX', 'Upper'],
  ['INGEST_SCALE_IN_PROTECTION', 'yes'],
  ['INGEST_SCALE_IN_IDLE_SECONDS', '-1'],
  ['INGEST_EMF', 'true'],
  ['INGEST_EMF_INTERVAL_SECONDS', '0'],
  ['INGEST_LIFECYCLE_HOOK_NAME', 'has spaces'],
  ['INGEST_LIFECYCLE_HEARTBEAT_SECONDS', 'often'],
  ['INGEST_ASG_NAME', 'x'.repeat(256)],
] as const) {
  test(`a bad ${name}=${value} is a ConfigError naming the variable`, () => {
    assert.throws(() => loadConfig({ [name]: value }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.code, 'CONFIG_INVALID');
      assert.match(err.message, new RegExp(name));
      return true;
    });
  });
}

test('queue mode requires the state table and OpenSearch', () => {
  const c = loadConfig({ INGEST_QUEUE_URL: 'http://127.0.0.1:1/000/q' });
  assert.throws(() => requireForQueueMode(c), /INGEST_STATE_TABLE[\s\S]*INGEST_OPENSEARCH_URL/);
});

test('Auto Scaling and EMF: off by default; the variables when set', () => {
  const d = loadConfig({});
  assert.equal(d.asgName, undefined);
  assert.equal(d.lifecycleHookName, undefined);
  assert.equal(d.lifecycleHeartbeatSeconds, 0);
  assert.equal(d.scaleInProtection, false);
  assert.equal(d.scaleInIdleSeconds, 30);
  assert.equal(d.emf, false);
  assert.equal(d.emfIntervalSeconds, 60);
  assert.equal(d.emfLogGroup, undefined);
  const c = loadConfig({
    INGEST_ASG_NAME: 'spot-ingest', INGEST_LIFECYCLE_HOOK_NAME: 'spot-ingest-drain', INGEST_LIFECYCLE_HEARTBEAT_SECONDS: '45',
    INGEST_SCALE_IN_PROTECTION: 'on', INGEST_SCALE_IN_IDLE_SECONDS: '5', INGEST_EMF: 'on', INGEST_EMF_INTERVAL_SECONDS: '10',
    INGEST_EMF_LOG_GROUP: 'spot-ingest-fleet',
  });
  assert.equal(c.asgName, 'spot-ingest');
  assert.equal(c.lifecycleHookName, 'spot-ingest-drain');
  assert.equal(c.lifecycleHeartbeatSeconds, 45);
  assert.equal(c.scaleInProtection, true);
  assert.equal(c.scaleInIdleSeconds, 5);
  assert.equal(c.emf, true);
  assert.equal(c.emfIntervalSeconds, 10);
  assert.equal(c.emfLogGroup, 'spot-ingest-fleet');
});

test('outages and deadlines: circuits, probes and the job deadline, with their defaults', () => {
  const d = loadConfig({});
  assert.deepEqual(
    [d.jobTimeoutSeconds, d.jobTimeoutPerPageSeconds, d.circuitFailures, d.circuitProbeMinSeconds, d.circuitProbeMaxSeconds, d.testHangMarker],
    [600, 30, 3, 1, 30, undefined],
  );
  const c = loadConfig({
    INGEST_JOB_TIMEOUT_SECONDS: '90', INGEST_JOB_TIMEOUT_PER_PAGE_SECONDS: '0', INGEST_CIRCUIT_FAILURES: '5',
    INGEST_CIRCUIT_PROBE_MIN_SECONDS: '0.2', INGEST_CIRCUIT_PROBE_MAX_SECONDS: '0.1',
  });
  assert.deepEqual([c.jobTimeoutSeconds, c.jobTimeoutPerPageSeconds, c.circuitFailures, c.circuitProbeMinSeconds], [90, 0, 5, 0.2]);
  assert.equal(c.circuitProbeMaxSeconds, 0.2, 'the ceiling is never below the first delay');
  assert.throws(() => loadConfig({ INGEST_JOB_TIMEOUT_SECONDS: '0' }), (e) => e instanceof ConfigError && /INGEST_JOB_TIMEOUT_SECONDS: must be at least 1/.test(e.message));
  assert.throws(() => loadConfig({ INGEST_CIRCUIT_PROBE_MIN_SECONDS: 'soon' }), (e) => e instanceof ConfigError && /INGEST_CIRCUIT_PROBE_MIN_SECONDS: must be a number of seconds/.test(e.message));
  assert.throws(() => loadConfig({ INGEST_CIRCUIT_FAILURES: '0' }), ConfigError);
});

test('the DLQ sweep: every 60 s by default, 0 turns it off', () => {
  assert.equal(loadConfig({}).dlqSweepSeconds, 60);
  assert.equal(loadConfig({ INGEST_DLQ_SWEEP_SECONDS: '0' }).dlqSweepSeconds, 0);
  assert.throws(() => loadConfig({ INGEST_DLQ_SWEEP_SECONDS: '-1' }), ConfigError);
});
