/**
 * The spawned daemon against real local servers: every upstream format, bad input, duplicates,
 * stale events and deletes each end in their defined outcome (docs/design.md §4), and the daemon keeps
 * running throughout.
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import Encoding from 'encoding-japanese';
import { documentId } from '../../src/adapters/index/document-id.ts';
import { putObject, queueCounts, receiveVisible, send } from '../support/aws.ts';
import { outcomeLines, outcomeOf as settled, spawnDaemon, type SpawnedDaemon } from '../support/daemon.ts';
import { createE2eStack, stopDaemonAndClose, type E2eStack } from '../support/e2e-stack.ts';
import { eventBridgeEvent, nativeEvent, s3Event, snsWrapped } from '../support/events.ts';
import { freePort } from '../support/free-port.ts';
import { waitFor } from '../support/wait-for.ts';

let stack: E2eStack;
let daemon: SpawnedDaemon;
let httpPort: number;

const outcomeOf = (messageId: string, what?: string) => settled(daemon, messageId, what);

const doc = (key: string) => stack.recorder.documents(stack.index).get(documentId(stack.bucket, key));

beforeAll(async () => {
  stack = await createE2eStack('e2e-outcomes');
  httpPort = await freePort();
  daemon = spawnDaemon(stack.env({ INGEST_MAX_FILE_BYTES: String(1024 * 1024), INGEST_HTTP_PORT: String(httpPort) }));
  await daemon.waitForLog((l) => l.msg === 'consuming', 'daemon to start consuming');
});

afterAll(() => stopDaemonAndClose(stack, daemon));

test('every upstream format is indexed, with Japanese text decoded from its encoding', async () => {
  const files: Record<string, Uint8Array | string> = {
    'notes/メモ 2024+draft%.txt': '東京都の天気は晴れです。\n請求書を送付します。',
    'legacy/請求書.txt': Uint8Array.from(Encoding.convert(Encoding.stringToCode('株式会社テスト 御中\r\n請求金額は１万円です。'), 'SJIS', 'UNICODE')),
    '../escape/readme.md': '# Title\nThe quick brown fox.',
    'data/report.csv': 'name,city\n山田,大阪\n',
  };
  for (const [key, body] of Object.entries(files)) await putObject(stack.s3, stack.bucket, key, body);
  const ids = [
    await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, 'notes/メモ 2024+draft%.txt', { originalPath: '\\\\fs01\\share\\メモ.txt' })),
    await send(stack.sqs, stack.queueUrl, s3Event(stack.bucket, 'legacy/請求書.txt')),
    await send(stack.sqs, stack.queueUrl, eventBridgeEvent(stack.bucket, '../escape/readme.md')),
    await send(stack.sqs, stack.queueUrl, snsWrapped(s3Event(stack.bucket, 'data/report.csv'))),
  ];
  for (const id of ids) assert.equal(await outcomeOf(id), 'done');

  const memo = doc('notes/メモ 2024+draft%.txt')!;
  assert.equal(memo.content, '東京都の天気は晴れです。\n請求書を送付します。');
  assert.equal(memo.text_source, 'text-layer');
  assert.equal(memo.file_name, 'メモ 2024+draft%.txt');
  assert.equal(memo.original_path, '\\\\fs01\\share\\メモ.txt');
  assert.match(String(memo.sha256), /^[0-9a-f]{64}$/);
  const sjis = doc('legacy/請求書.txt')!;
  assert.equal(sjis.content, '株式会社テスト 御中\n請求金額は１万円です。');
  assert.equal(sjis.encoding, 'shift_jis');
  assert.equal(doc('../escape/readme.md')?.content, '# Title\nThe quick brown fox.');
  assert.equal(doc('data/report.csv')?.content_type, 'text/csv');
});

test('a zero-byte object, invalid bytes and an unsupported type are indexed with warnings, not failed', async () => {
  await putObject(stack.s3, stack.bucket, 'empty.txt', new Uint8Array());
  await putObject(stack.s3, stack.bucket, 'broken.txt', Uint8Array.from([...Buffer.from('valid start '), 0xff, 0xfe, 0xc3, ...Buffer.from(' valid end')]));
  await putObject(stack.s3, stack.bucket, 'bundle.zip', Uint8Array.from([0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)]));
  for (const key of ['empty.txt', 'broken.txt', 'bundle.zip']) {
    assert.equal(await outcomeOf(await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, key)), key), 'done');
  }
  assert.equal(doc('empty.txt')?.text_source, 'none');
  assert.deepEqual(doc('empty.txt')?.warnings, ['EMPTY_FILE']);
  assert.match(String(doc('broken.txt')?.content), /^valid start .*valid end$/);
  assert.ok((doc('broken.txt')?.warnings as string[]).some((w) => w.startsWith('TEXT_INVALID_BYTES')));
  assert.equal(doc('bundle.zip')?.text_source, 'none');
  assert.equal(doc('bundle.zip')?.file_name, 'bundle.zip');
});

test('bad input is dead-lettered with its error code, and the daemon keeps running', async () => {
  await putObject(stack.s3, stack.bucket, 'big.bin', new Uint8Array(1024 * 1024 + 1));
  const cases: Array<[string | object, string]> = [
    ['{not json', 'MESSAGE_INVALID_JSON'],
    [{ hello: 'world' }, 'MESSAGE_UNKNOWN_FORMAT'],
    [{ eventType: 'FILE_UPLOADED', s3Bucket: stack.bucket, timestamp: '2026-01-01T00:00:00Z' }, 'MESSAGE_INVALID_FIELD'],
    [{ eventType: 'FILE_UPLOADED', s3Key: 'x.txt', timestamp: '2026-01-01T00:00:00Z' }, 'MESSAGE_INVALID_FIELD'],
    [nativeEvent(stack.bucket, 'x.txt', { fileSize: -5 }), 'MESSAGE_INVALID_FIELD'],
    [nativeEvent(stack.bucket, 'x.txt', { fileSize: 1e20 }), 'MESSAGE_INVALID_FIELD'],
    [s3Event(stack.bucket, 'x.txt', { eventName: 'ObjectRestore:Completed' }), 'EVENT_UNSUPPORTED'],
    [nativeEvent(stack.bucket, 'declared-big.bin', { fileSize: 5 * 1024 * 1024 }), 'OBJECT_TOO_LARGE'],
    [nativeEvent(stack.bucket, 'big.bin'), 'OBJECT_TOO_LARGE'],
  ];
  const ids = new Map<string, string>();
  for (const [body, code] of cases) ids.set(await send(stack.sqs, stack.queueUrl, body), code);
  for (const [id, code] of ids) {
    const line = await daemon.waitForLog((l) => l.messageId === id && l.outcome === 'dead-letter', `dead-letter of ${code}`);
    assert.equal(line.code, code);
    assert.ok(typeof line.reason === 'string' && line.reason.length > 0, 'the log says why');
  }
  const dead = await waitFor(async () => {
    const all = [];
    for (let i = 0; i < 5 && all.length < cases.length; i++) all.push(...(await receiveVisible(stack.sqs, stack.dlqUrl)));
    return all.length >= cases.length ? all : null;
  }, { what: 'all poison messages in the DLQ' });
  const codes = dead.map((m) => m.MessageAttributes?.ErrorCode?.StringValue).sort();
  assert.deepEqual(codes, cases.map(([, c]) => c).sort());
  for (const m of dead) {
    assert.ok(m.MessageAttributes?.ErrorMessage?.StringValue);
    assert.ok(m.MessageAttributes?.FailedAt?.StringValue);
    assert.equal(m.MessageAttributes?.ReceiveCount?.StringValue, '1');
  }
  assert.equal(daemon.child.exitCode, null, 'still running');
  const health = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
  assert.equal(health.status, 200);
});

test('a redelivered message is a duplicate, an older S3 sequencer is stale, and nothing is re-indexed', async () => {
  await putObject(stack.s3, stack.bucket, 'same/unchanged.txt', 'indexed once');
  assert.equal(await outcomeOf(await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, 'same/unchanged.txt'))), 'done');
  await putObject(stack.s3, stack.bucket, 'seq.txt', 'version two');
  assert.equal(await outcomeOf(await send(stack.sqs, stack.queueUrl, s3Event(stack.bucket, 'seq.txt', { sequencer: '0055AED6DCD90281E6' }))), 'done');
  const id = documentId(stack.bucket, 'seq.txt');
  const writes = () => stack.recorder.bulkRequests().filter((r) => r.body.includes(`"_id":"${id}"`)).length;
  assert.equal(writes(), 1);
  assert.equal(await outcomeOf(await send(stack.sqs, stack.queueUrl, s3Event(stack.bucket, 'seq.txt', { sequencer: '0055AED6DCD90281E6' })), 'same sequencer'), 'duplicate');
  assert.equal(await outcomeOf(await send(stack.sqs, stack.queueUrl, s3Event(stack.bucket, 'seq.txt', { sequencer: '0055AED6DCD90281E5' })), 'older sequencer'), 'stale');
  assert.equal(writes(), 1, 'indexed exactly once');
  // a native event for content that has not changed is not re-indexed either
  assert.equal(await outcomeOf(await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, 'same/unchanged.txt')), 'unchanged content'), 'duplicate');
});

test('a delete removes the document; an upsert for a vanished object is stale', async () => {
  await putObject(stack.s3, stack.bucket, 'gone.txt', 'soon gone');
  assert.equal(await outcomeOf(await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, 'gone.txt'))), 'done');
  assert.ok(doc('gone.txt'));
  assert.equal(await outcomeOf(await send(stack.sqs, stack.queueUrl, s3Event(stack.bucket, 'gone.txt', { eventName: 'ObjectRemoved:Delete' }))), 'done');
  assert.equal(doc('gone.txt'), undefined);
  assert.equal(await outcomeOf(await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, 'never-existed.txt'))), 'stale');
  assert.equal(await outcomeOf(await send(stack.sqs, stack.queueUrl, JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: stack.bucket }))), 'done');
});

test('the queue ends empty and /readyz and /metrics report what happened', async () => {
  // one message of each outcome of its own (earlier tests of this file add theirs to the counters)
  await putObject(stack.s3, stack.bucket, 'metrics/one.txt', 'counted');
  const ids = [
    await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, 'metrics/one.txt')),
    await send(stack.sqs, stack.queueUrl, '{not json'),
    await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, 'metrics/never-existed.txt')),
  ];
  assert.deepEqual([await outcomeOf(ids[0]!), await outcomeOf(ids[1]!), await outcomeOf(ids[2]!)], ['done', 'dead-letter', 'stale']);
  assert.equal(await outcomeOf(await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, 'metrics/one.txt')), 'the same again'), 'duplicate');
  await waitFor(async () => (await queueCounts(stack.sqs, stack.queueUrl)).total === 0, { what: 'queue to drain' });
  const ready = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
  assert.equal(ready.status, 200);
  const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  // the counters match the outcomes the daemon logged, whichever tests ran before
  const settled = outcomeLines(daemon.logs());
  for (const outcome of ['done', 'dead-letter', 'duplicate', 'stale']) {
    const n = settled.filter((l) => l.outcome === outcome).length;
    assert.ok(n >= 1, outcome);
    assert.match(metrics, new RegExp(`spot_ingest_messages_total\\{outcome="${outcome}"\\} ${n}\n`));
  }
  assert.match(metrics, /spot_ingest_step_duration_seconds_count\{step="download"\} [1-9]/);
  assert.match(metrics, /spot_ingest_in_flight 0/);
});
