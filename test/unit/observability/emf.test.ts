/**
 * The EMF line against the embedded metric format specification (CloudWatch User Guide,
 * "Specification: Embedded metric format"): a root object with `_aws` {Timestamp (epoch ms),
 * CloudWatchMetrics [MetricDirective {Namespace, Dimensions [[names]], Metrics [{Name, Unit}]}]},
 * every referenced dimension a string member of the root and every metric a number member; invalid
 * records refused. The publisher: a line at once then every interval, failures logged with backoff,
 * stop() leaving no timer.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { backlogRecord, buildEmf, EMF_NAMESPACE, EmfError, EmfPublisher, emfLine, type EmfDocument, type EmfRecord } from '../../../src/observability/emf.ts';
import { memoryLogger } from '../../support/silent-logger.ts';
import { waitFor } from '../../support/wait-for.ts';

const UNITS = new Set(['Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes', 'Bits', 'Kilobits', 'Megabits', 'Gigabits', 'Terabits', 'Percent', 'Count', 'Bytes/Second', 'Kilobytes/Second', 'Megabytes/Second', 'Gigabytes/Second', 'Terabytes/Second', 'Bits/Second', 'Kilobits/Second', 'Megabits/Second', 'Gigabits/Second', 'Terabits/Second', 'Count/Second', 'None']);

/** The spec's rules for one document, as assertions. */
function assertValidEmf(doc: unknown): asserts doc is EmfDocument {
  assert.ok(typeof doc === 'object' && doc !== null && !Array.isArray(doc), 'the root is a JSON object');
  const root = doc as Record<string, unknown>;
  const aws = root._aws as Record<string, unknown>;
  assert.ok(typeof aws === 'object' && aws !== null, '_aws is an object');
  assert.deepEqual(Object.keys(aws).sort(), ['CloudWatchMetrics', 'Timestamp'], '_aws has exactly Timestamp and CloudWatchMetrics');
  assert.ok(Number.isInteger(aws.Timestamp) && (aws.Timestamp as number) > 1e12, 'Timestamp is epoch milliseconds');
  const directives = aws.CloudWatchMetrics as Array<Record<string, unknown>>;
  assert.ok(Array.isArray(directives) && directives.length >= 1);
  for (const d of directives) {
    assert.deepEqual(Object.keys(d).sort(), ['Dimensions', 'Metrics', 'Namespace'], 'a MetricDirective has no other members');
    assert.ok(typeof d.Namespace === 'string' && d.Namespace.length >= 1 && d.Namespace.length <= 255);
    const sets = d.Dimensions as string[][];
    assert.ok(Array.isArray(sets));
    for (const set of sets) {
      assert.ok(Array.isArray(set) && set.length <= 30, 'a DimensionSet is an array of at most 30 names');
      for (const name of set) assert.equal(typeof root[name], 'string', `dimension ${name} is a string member of the root`);
    }
    const metrics = d.Metrics as Array<Record<string, unknown>>;
    assert.ok(Array.isArray(metrics) && metrics.length >= 1 && metrics.length <= 100);
    for (const m of metrics) {
      assert.ok(Object.keys(m).every((k) => k === 'Name' || k === 'Unit' || k === 'StorageResolution'));
      assert.equal(typeof m.Name, 'string');
      if (m.Unit !== undefined) assert.ok(UNITS.has(m.Unit as string), `unit ${String(m.Unit)}`);
      const value = root[m.Name as string];
      assert.ok(typeof value === 'number' && Number.isFinite(value), `metric ${String(m.Name)} is a number member of the root`);
    }
  }
}

const T = Date.parse('2026-05-01T12:00:00.000Z');

test('the backlog line: namespace SpotIngest, dimension AutoScalingGroupName, Backlog and InFlight counts', () => {
  const line = emfLine(backlogRecord({ groupName: 'spot-ingest-asg', queueName: 'uploads', backlog: 42, inFlight: 3, instanceId: 'i-0123456789abcdef0' }), T);
  assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'), 'exactly one line');
  const doc = JSON.parse(line) as unknown;
  assertValidEmf(doc);
  assert.deepEqual(doc, {
    _aws: {
      Timestamp: T,
      CloudWatchMetrics: [{ Namespace: 'SpotIngest', Dimensions: [['AutoScalingGroupName']], Metrics: [{ Name: 'Backlog', Unit: 'Count' }, { Name: 'InFlight', Unit: 'Count' }] }],
    },
    AutoScalingGroupName: 'spot-ingest-asg',
    Backlog: 42,
    InFlight: 3,
    QueueName: 'uploads',
    InstanceId: 'i-0123456789abcdef0',
  });
  assert.equal(EMF_NAMESPACE, 'SpotIngest');
});

test('without a known group the dimension is QueueName', () => {
  const doc = buildEmf(backlogRecord({ groupName: undefined, queueName: 'uploads', backlog: 0, inFlight: 0 }), T);
  assertValidEmf(doc);
  assert.deepEqual(doc._aws.CloudWatchMetrics[0]?.Dimensions, [['QueueName']]);
  assert.equal(doc.QueueName, 'uploads');
  assert.equal('InstanceId' in doc, false);
});

test('records that would not be valid EMF are refused with EMF_INVALID', () => {
  const base: EmfRecord = { namespace: 'SpotIngest', dimensions: { QueueName: 'q' }, metrics: [{ name: 'Backlog', value: 1 }] };
  const bad: Array<[string, EmfRecord, number]> = [
    ['empty namespace', { ...base, namespace: '' }, T],
    ['namespace starting with a colon', { ...base, namespace: ':x' }, T],
    ['no metrics', { ...base, metrics: [] }, T],
    ['a NaN value', { ...base, metrics: [{ name: 'Backlog', value: Number.NaN }] }, T],
    ['an infinite value', { ...base, metrics: [{ name: 'Backlog', value: Infinity }] }, T],
    ['a metric named like a dimension', { ...base, metrics: [{ name: 'QueueName', value: 1 }] }, T],
    ['a property named like a metric', { ...base, properties: { Backlog: 'x' } }, T],
    ['a property named _aws', { ...base, properties: { _aws: 'x' } }, T],
    ['an empty dimension value', { ...base, dimensions: { QueueName: '' } }, T],
    ['31 dimensions', { ...base, dimensions: Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`D${i}`, 'v'])) }, T],
    ['101 metrics', { ...base, metrics: Array.from({ length: 101 }, (_, i) => ({ name: `M${i}`, value: i })) }, T],
    ['a timestamp in seconds with a fraction', base, 1_700_000_000.5],
  ];
  for (const [what, record, timestamp] of bad) {
    assert.throws(() => buildEmf(record, timestamp), (err: unknown) => err instanceof EmfError && err.code === 'EMF_INVALID' && err.retryable === false, what);
  }
});

test('the publisher writes a line at once and then every interval, and stop() leaves no timer', async () => {
  const { logger } = memoryLogger();
  const written: string[] = [];
  let backlog = 0;
  const publisher = new EmfPublisher({
    intervalMs: 20,
    logger,
    write: (line) => written.push(line),
    collect: async () => backlogRecord({ groupName: 'g', queueName: 'q', backlog: backlog++, inFlight: 1 }),
  }).start();
  publisher.start(); // a second start does nothing
  await waitFor(() => written.length >= 3, { what: 'three lines' });
  await publisher.stop();
  await publisher.stop();
  assert.equal(publisher.scheduled, false, 'no timer left');
  const count = written.length;
  assert.equal(publisher.published, count);
  for (const line of written) assertValidEmf(JSON.parse(line));
  assert.deepEqual(written.slice(0, 3).map((l) => (JSON.parse(l) as { Backlog: number }).Backlog), [0, 1, 2]);
  await new Promise((r) => setTimeout(r, 60)); // three intervals in which a leaked timer would write
  assert.equal(written.length, count);
});

test('a failing collection is logged with backoff (1st, 2nd, 4th… in a row), writes nothing, and the publisher keeps going', async () => {
  const { logger, lines } = memoryLogger();
  const written: string[] = [];
  let calls = 0;
  const publisher = new EmfPublisher({
    intervalMs: 5,
    logger,
    write: (line) => written.push(line),
    collect: async () => {
      calls += 1;
      if (calls <= 5) throw Object.assign(new Error('AWS.SimpleQueueService.NonExistentQueue'), { code: 'QUEUE_GONE' });
      return backlogRecord({ groupName: undefined, queueName: 'q', backlog: 7, inFlight: 0 });
    },
  }).start();
  try {
    await waitFor(() => written.length >= 1, { what: 'a line after the failures' });
  } finally {
    await publisher.stop();
  }
  const warnings = lines().filter((l) => l.msg === 'EMF metrics not published; trying again next interval');
  assert.deepEqual(warnings.map((w) => w.consecutiveFailures), [1, 2, 4]);
  assert.ok(lines().some((l) => l.msg === 'EMF metrics published again' && l.afterFailures === 5));
});

test('each line is also shipped (INGEST_EMF_LOG_GROUP) with its timestamp; a failed shipment is a failed publication, logged, and the next interval tries again', async () => {
  const { logger, lines } = memoryLogger();
  const shipped: Array<{ line: string; timestamp: number }> = [];
  let failures = 2;
  const publisher = new EmfPublisher({
    intervalMs: 5,
    logger,
    now: () => 1_700_000_000_000,
    write: () => undefined,
    ship: async (line, timestamp) => {
      if (failures-- > 0) throw Object.assign(new Error('log group gone'), { code: 'ResourceNotFoundException' });
      shipped.push({ line, timestamp });
    },
    collect: async () => backlogRecord({ groupName: 'g', queueName: 'q', backlog: 1, inFlight: 0 }),
  }).start();
  try {
    await waitFor(() => shipped.length >= 1, { what: 'a shipped line' });
  } finally {
    await publisher.stop();
  }
  assert.equal(shipped[0]!.timestamp, 1_700_000_000_000);
  assert.equal((JSON.parse(shipped[0]!.line) as { _aws: { Timestamp: number } })._aws.Timestamp, 1_700_000_000_000);
  assert.deepEqual(lines().filter((l) => l.msg === 'EMF metrics not published; trying again next interval').map((w) => w.consecutiveFailures), [1, 2]);
});

test('stop() aborts a collection in progress and waits for it; nothing is written after', async () => {
  const { logger } = memoryLogger();
  const written: string[] = [];
  let aborted = false;
  let began = false;
  const publisher = new EmfPublisher({
    intervalMs: 60_000,
    logger,
    write: (line) => written.push(line),
    collect: (signal) =>
      new Promise((_, reject) => {
        began = true;
        signal.addEventListener('abort', () => {
          aborted = true;
          reject(signal.reason as Error);
        });
      }),
  }).start();
  await waitFor(() => began, { what: 'the first collection' });
  await publisher.stop();
  assert.equal(aborted, true);
  assert.deepEqual(written, []);
  assert.equal(publisher.scheduled, false);
});
