/**
 * `spot-ingest send` and `spot-ingest dlq list|redrive` with the spawned CLI (issue 4):
 * - send into a running local daemon (found through local-stack.json) → processed and searchable;
 *   no daemon ⇒ exit 1 with a clear message; usage errors ⇒ exit 2;
 * - send in queue mode to fauxqs (bucket + queue);
 * - dlq list / redrive against a fauxqs queue pair in queue mode, and against the local daemon's
 *   DLQ with a message the real Acknowledger dead-lettered.
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, SendMessageCommand, SQSClient, type SQSClient as SqsClientType } from '@aws-sdk/client-sqs';
import { sampleNames } from '../../src/local/seed-samples.ts';
import { runCli, spawnDaemon, type SpawnedDaemon } from '../support/daemon.ts';
import {
  createBucket, createQueuePair, fauxqsEndpoint, queueCounts, receiveVisible, send, testS3, testSqs, uniqueName,
} from '../support/aws.ts';
import { waitFor } from '../support/wait-for.ts';

const SAMPLES = await sampleNames();
const NO_DAEMON = /no local spot-ingest is running \(start it with npm start\)/;

let dataDir: string;
let srcDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'spot-ingest-send-'));
  srcDir = await mkdtemp(join(tmpdir(), 'spot-ingest-src-'));
  await writeFile(join(srcDir, '見積書-ユニコーン.txt'), '御見積書\nユニコーン商事 様\n見積金額は五十万円です。納期は来月末。\n');
  await mkdir(join(srcDir, 'sub', 'deep'), { recursive: true });
  await writeFile(join(srcDir, 'sub', 'deep', 'notes.md'), '# Notes\n\nThe quetzalcoatl migration is scheduled.\n');
  await writeFile(join(srcDir, '.hidden'), 'not sent');
  await mkdir(join(srcDir, '.git'));
  await writeFile(join(srcDir, '.git', 'HEAD'), 'not sent either');
  await mkdir(join(srcDir, '.alt'));
  await writeFile(join(srcDir, '.alt', 'notes.md'), 'another notes.md');
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
  await rm(srcDir, { recursive: true, force: true });
});

// local mode: none of the queue-mode variables (the test environment sets AWS ones)
const localEnv = (extra: Record<string, string> = {}) => ({
  INGEST_QUEUE_URL: '', INGEST_DLQ_URL: '', INGEST_STATE_TABLE: '', INGEST_OPENSEARCH_URL: '', AWS_ENDPOINT_URL_SQS: '', AWS_ENDPOINT_URL_S3: '',
  INGEST_DATA_DIR: dataDir, LOG_LEVEL: '', ...extra,
});

const progress = (daemon: SpawnedDaemon) => daemon.logs().filter((l) => l.unparsed === true).map((l) => String(l.msg));

test('local mode: send uploads a directory (recursively, no dotfiles) and a file into the running daemon, which indexes them', async (t) => {
  const daemon = spawnDaemon(localEnv({ INGEST_HTTP_PORT: '0' }));
  t.onTestFinished(async () => { await daemon.stop('SIGKILL').catch(() => undefined); });
  await waitFor(() => SAMPLES.every((name) => progress(daemon).some((line) => line.includes(`samples/${name}`))), {
    what: 'the samples processed', timeoutMs: 30_000,
  });

  const sent = await runCli(['send', srcDir], localEnv());
  assert.equal(sent.code, 0, sent.stderr);
  const lines = sent.stdout.trim().split('\n');
  assert.match(lines[0]!, /^sent {2}s3:\/\/spot-ingest-local\/uploads\/sub\/deep\/notes\.md {2}\d+ B {2}← /);
  assert.match(lines[1]!, /^sent {2}s3:\/\/spot-ingest-local\/uploads\/見積書-ユニコーン\.txt {2}\d+ B {2}← .*見積書-ユニコーン\.txt$/);
  assert.match(lines[2]!, new RegExp(`^2 files \\(\\d+ B\\) uploaded and enqueued on the local spot-ingest \\(pid ${daemon.child.pid}\\)`));
  assert.doesNotMatch(sent.stdout, /hidden|\.git/, 'dotfiles and dot-directories are skipped');

  // a file argument: <prefix><its name>; the same file named twice is sent once
  const one = await runCli(['send', join(srcDir, 'sub', 'deep', 'notes.md'), '--prefix', 'inbox/', join(srcDir, 'sub', 'deep')], localEnv());
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stdout, /^sent {2}s3:\/\/spot-ingest-local\/inbox\/notes\.md /);
  assert.match(one.stdout, /^1 file \(/m);

  for (const key of ['uploads/見積書-ユニコーン.txt', 'uploads/sub/deep/notes.md', 'inbox/notes.md']) {
    const line = await waitFor(() => progress(daemon).find((l) => l.includes(` ${key} `)), { what: `a progress line for ${key}`, timeoutMs: 20_000 });
    assert.match(line, /^✔ done/, line);
  }
  assert.match(progress(daemon).find((l) => l.includes('uploads/見積書-ユニコーン.txt'))!, /text-layer\s+\d+ chars/);

  const ja = await runCli(['search', 'ユニコーン'], localEnv());
  assert.equal(ja.code, 0, ja.stderr);
  assert.match(ja.stdout, /1\. 見積書-ユニコーン\.txt/);
  assert.match(ja.stdout, /s3:\/\/spot-ingest-local\/uploads\/見積書-ユニコーン\.txt/);
  const en = await runCli(['search', 'quetzalcoatl', '--json'], localEnv());
  const hits = JSON.parse(en.stdout) as Array<{ key: string }>;
  assert.deepEqual(hits.map((h) => h.key).sort(), ['inbox/notes.md', 'uploads/sub/deep/notes.md']);

  // usage errors are exit 2, before anything is sent
  const missing = await runCli(['send', join(srcDir, 'nope.txt')], localEnv());
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.txt: no such file or directory/);
  const wrongBucket = await runCli(['send', srcDir, '--bucket', 'other'], localEnv());
  assert.equal(wrongBucket.code, 2);
  assert.match(wrongBucket.stderr, /--bucket: local mode has one bucket/);
  const clash = await runCli(['send', join(srcDir, '.alt', 'notes.md'), join(srcDir, 'sub', 'deep')], localEnv());
  assert.equal(clash.code, 2);
  assert.match(clash.stderr, /would both be uploaded as "uploads\/notes\.md"/);

  // dlq in local mode: a body of no known format is dead-lettered by the daemon's own Acknowledger
  const info = JSON.parse(await readFile(join(dataDir, 'local-stack.json'), 'utf8')) as { endpoint: string; queueUrl: string; dlqUrl: string; region: string };
  const localSqs = new SQSClient({ endpoint: info.endpoint, region: info.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, useQueueUrlAsEndpoint: false });
  t.onTestFinished(() => localSqs.destroy());
  const badId = await send(localSqs, info.queueUrl, { hello: 'world' });
  await waitFor(() => progress(daemon).find((l) => l.startsWith('✖ dead-letter')), { what: 'the dead-letter progress line' });
  const listed = await runCli(['dlq', 'list', '--json'], localEnv());
  assert.equal(listed.code, 0, listed.stderr);
  const letters = JSON.parse(listed.stdout) as Array<{ messageId: string; originalMessageId: string; errorCode: string; failedAt: string; receiveCount: number }>;
  assert.equal(letters.length, 1);
  assert.equal(letters[0]!.originalMessageId, badId);
  assert.equal(letters[0]!.errorCode, 'MESSAGE_UNKNOWN_FORMAT');
  assert.equal(letters[0]!.receiveCount, 1);
  assert.ok(!Number.isNaN(Date.parse(letters[0]!.failedAt)));
  // redriving it into the running daemon dead-letters it again: --all must still end, moving it once
  const redriven = await runCli(['dlq', 'redrive', '--all'], localEnv());
  assert.equal(redriven.code, 0, redriven.stderr);
  assert.match(redriven.stdout, /^moved 1 message from /m);
  await waitFor(() => progress(daemon).filter((l) => l.startsWith('✖ dead-letter')).length === 2, { what: 'the second dead-letter line' });

  assert.equal((await daemon.stop('SIGTERM', 30_000)).code, 0);

  // no daemon running any more: a clear message, exit 1
  const after = await runCli(['send', srcDir], localEnv());
  assert.equal(after.code, 1);
  assert.match(after.stderr, NO_DAEMON);
  const dlqAfter = await runCli(['dlq', 'list'], localEnv());
  assert.equal(dlqAfter.code, 1);
  assert.match(dlqAfter.stderr, NO_DAEMON);
});

test('local mode: a local-stack.json left by a killed daemon (its pid gone) is not a running daemon', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'spot-ingest-stale-'));
  try {
    const gone = spawnSync('true').pid; // exited by now
    await writeFile(join(dir, 'local-stack.json'), JSON.stringify({
      pid: gone, endpoint: 'http://127.0.0.1:9', queueUrl: 'http://127.0.0.1:9/000000000000/q', dlqUrl: 'http://127.0.0.1:9/000000000000/q-dlq', bucket: 'b', region: 'us-east-1',
    }));
    const r = await runCli(['send', srcDir], localEnv({ INGEST_DATA_DIR: dir }));
    assert.equal(r.code, 1);
    assert.match(r.stderr, NO_DAEMON);
    assert.match(r.stderr, new RegExp(`pid ${gone}, which is not running`));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('queue mode: send uploads to --bucket and enqueues native FILE_UPLOADED messages (in batches of 10)', async (t) => {
  const sqs = testSqs();
  const s3 = testS3();
  t.onTestFinished(() => {
    sqs.destroy();
    s3.destroy();
  });
  const bucket = uniqueName('send');
  await createBucket(s3, bucket);
  const { queueUrl } = await createQueuePair(sqs, uniqueName('send'));
  const many = await mkdtemp(join(tmpdir(), 'spot-ingest-many-'));
  t.onTestFinished(() => rm(many, { recursive: true, force: true }));
  for (let i = 0; i < 12; i++) await writeFile(join(many, `f${String(i).padStart(2, '0')}.txt`), `file ${i}\n`);
  const env = {
    INGEST_QUEUE_URL: queueUrl, INGEST_STATE_TABLE: '', INGEST_OPENSEARCH_URL: '', INGEST_DLQ_URL: '',
    AWS_ENDPOINT_URL_SQS: fauxqsEndpoint(), AWS_ENDPOINT_URL_S3: fauxqsEndpoint(),
  };

  const noBucket = await runCli(['send', many], env);
  assert.equal(noBucket.code, 2);
  assert.match(noBucket.stderr, /--bucket: required when INGEST_QUEUE_URL is set/);

  const r = await runCli(['send', many, '--bucket', bucket, '--prefix', 'in/'], env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.split('\n').filter((l) => l.startsWith('sent  ')).length, 12);
  assert.match(r.stdout, new RegExp(`^12 files \\(\\d+ B\\) uploaded and enqueued on ${queueUrl.replace(/[.]/g, '\\.')}$`, 'm'));
  assert.equal((await queueCounts(sqs, queueUrl)).visible, 12);
  const bodies = [...(await receiveVisible(sqs, queueUrl)), ...(await receiveVisible(sqs, queueUrl))].map((m) => JSON.parse(m.Body!) as Record<string, unknown>);
  const first = bodies.find((b) => b.s3Key === 'in/f00.txt')!;
  assert.deepEqual(Object.keys(first).sort(), ['eventType', 'fileSize', 'originalPath', 's3Bucket', 's3Key', 'timestamp']);
  assert.equal(first.eventType, 'FILE_UPLOADED');
  assert.equal(first.s3Bucket, bucket);
  assert.equal(first.fileSize, 'file 0\n'.length);
  assert.equal(first.originalPath, join(many, 'f00.txt'));
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'in/f11.txt' }));
  assert.equal(await object.Body!.transformToString(), 'file 11\n');

  const unreachable = await runCli(['send', many, '--bucket', bucket], { ...env, AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9' });
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.stderr, /^spot-ingest: uploading to s3:\/\/\S+ and enqueueing on \S+: cannot reach the service \(ECONNREFUSED/);
  assert.doesNotMatch(unreachable.stderr, /\n\s+at /, 'no stack trace');
});

/** Put a message on the DLQ the way the Acknowledger does. */
async function deadLetter(sqs: SqsClientType, dlqUrl: string, o: { key: string; code: string; originalId: string; extra?: Record<string, string> }): Promise<string> {
  const text = (value: string) => ({ DataType: 'String', StringValue: value });
  const out = await sqs.send(
    new SendMessageCommand({
      QueueUrl: dlqUrl,
      MessageBody: JSON.stringify({ eventType: 'FILE_UPLOADED', s3Bucket: 'docs', s3Key: o.key, fileSize: 10, timestamp: '2026-11-01T00:00:00Z' }),
      MessageAttributes: {
        ErrorCode: text(o.code),
        ErrorMessage: text(`${o.code}: something about ${o.key} that is rather long `.repeat(4)),
        FailedAt: text('2026-11-02T03:04:05.000Z'),
        ReceiveCount: { DataType: 'Number', StringValue: '3' },
        OriginalMessageId: text(o.originalId),
        ...Object.fromEntries(Object.entries(o.extra ?? {}).map(([k, v]) => [k, text(v)])),
      },
    }),
  );
  return out.MessageId!;
}

test('queue mode: dlq list shows dead-lettered messages and leaves them there; redrive <id> and --all move them back', async (t) => {
  const sqs = testSqs();
  t.onTestFinished(() => sqs.destroy());
  const { queueUrl, dlqUrl } = await createQueuePair(sqs, uniqueName('dlq'));
  const env = { INGEST_QUEUE_URL: queueUrl, INGEST_DLQ_URL: '', INGEST_STATE_TABLE: '', INGEST_OPENSEARCH_URL: '', AWS_ENDPOINT_URL_SQS: fauxqsEndpoint() };
  const idA = await deadLetter(sqs, dlqUrl, { key: 'docs/a.pdf', code: 'OBJECT_TOO_LARGE', originalId: 'orig-a', extra: { Tenant: 'acme' } });
  const idB = await deadLetter(sqs, dlqUrl, { key: 'docs/請求書.txt', code: 'MESSAGE_INVALID_FIELD', originalId: 'orig-b' });

  const listed = await runCli(['dlq', 'list', '--json'], env);
  assert.equal(listed.code, 0, listed.stderr);
  const letters = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
  assert.equal(letters.length, 2);
  const a = letters.find((l) => l.messageId === idA)!;
  assert.equal(a.errorCode, 'OBJECT_TOO_LARGE');
  assert.equal(a.originalMessageId, 'orig-a');
  assert.equal(a.failedAt, '2026-11-02T03:04:05.000Z');
  assert.equal(a.receiveCount, 3);
  assert.deepEqual(a.keys, ['docs/a.pdf']);
  assert.equal(letters.find((l) => l.messageId === idB)!.errorCode, 'MESSAGE_INVALID_FIELD');
  assert.deepEqual(await queueCounts(sqs, dlqUrl), { visible: 2, inFlight: 0, delayed: 0, total: 2 }, 'still on the DLQ, visible at once');

  const table = await runCli(['dlq', 'list'], { ...env, INGEST_DLQ_URL: dlqUrl });
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^2 dead-lettered messages on /);
  assert.match(table.stdout, /MESSAGE ID\s+ORIGINAL MESSAGE ID\s+ERROR CODE\s+FAILED AT\s+RECEIVES\s+KEY\(S\)\s+ERROR MESSAGE/);
  assert.match(table.stdout, new RegExp(`${idB}\\s+orig-b\\s+MESSAGE_INVALID_FIELD\\s+2026-11-02T03:04:05\\.000Z\\s+3\\s+docs/請求書\\.txt\\s+MESSAGE_INVALID_FIELD: something`));
  assert.match(table.stdout, /…$/m, 'the error message is truncated');
  assert.equal((await queueCounts(sqs, dlqUrl)).visible, 2);

  const one = await runCli(['dlq', 'redrive', idA], env);
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stdout, new RegExp(`^moved  ${idA}  OBJECT_TOO_LARGE  docs/a\\.pdf$`, 'm'));
  assert.match(one.stdout, /^moved 1 message from .* back to /m);
  assert.equal((await queueCounts(sqs, queueUrl)).total, 1);
  assert.equal((await queueCounts(sqs, dlqUrl)).total, 1);
  const [back] = await receiveVisible(sqs, queueUrl, 0);
  assert.equal(JSON.parse(back!.Body!).s3Key, 'docs/a.pdf', 'the original body');
  assert.equal(back!.MessageAttributes?.Tenant?.StringValue, 'acme', 'the producer\'s attributes come along');
  assert.equal(back!.MessageAttributes?.ErrorCode, undefined, 'the dead-letter diagnostics do not');

  const byOriginal = await runCli(['dlq', 'redrive', 'orig-b', 'no-such-id'], env);
  assert.equal(byOriginal.code, 1, 'an id not found is an error');
  assert.match(byOriginal.stdout, /^moved 1 message /m, 'an OriginalMessageId works as an id too');
  assert.match(byOriginal.stderr, /not on the dead-letter queue.*: no-such-id/);

  await deadLetter(sqs, dlqUrl, { key: 'docs/c.txt', code: 'EVENT_UNSUPPORTED', originalId: 'orig-c' });
  await send(sqs, dlqUrl, 'moved here by SQS after maxReceiveCount (no attributes)');
  const all = await runCli(['dlq', 'redrive', '--all'], env);
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /^moved 2 messages /m);
  assert.equal((await queueCounts(sqs, dlqUrl)).total, 0);
  assert.equal((await queueCounts(sqs, queueUrl)).total, 4);

  const empty = await runCli(['dlq', 'list'], env);
  assert.match(empty.stdout, /is empty/);
  const none = await runCli(['dlq', 'redrive', '--all'], env);
  assert.match(none.stdout, /^moved 0 messages /m);

  const usage = await runCli(['dlq', 'redrive'], env);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /give the message ids to move .* or --all/);
  const both = await runCli(['dlq', 'redrive', '--all', idA], env);
  assert.equal(both.code, 2);
});

test('queue mode: dlq list pages past 10 per receive up to --limit; a queue without a DLQ is a usage error', async (t) => {
  const sqs = testSqs();
  t.onTestFinished(() => sqs.destroy());
  const { queueUrl, dlqUrl } = await createQueuePair(sqs, uniqueName('dlq-many'));
  for (let i = 0; i < 23; i++) await deadLetter(sqs, dlqUrl, { key: `k/${i}`, code: 'OBJECT_TOO_LARGE', originalId: `o-${i}` });
  const env = { INGEST_QUEUE_URL: queueUrl, INGEST_DLQ_URL: '', INGEST_STATE_TABLE: '', INGEST_OPENSEARCH_URL: '', AWS_ENDPOINT_URL_SQS: fauxqsEndpoint() };

  const all = JSON.parse((await runCli(['dlq', 'list', '--json'], env)).stdout) as Array<{ messageId: string; keys: string[] }>;
  assert.equal(all.length, 23);
  assert.equal(new Set(all.map((l) => l.messageId)).size, 23);
  const some = await runCli(['dlq', 'list', '--limit', '12'], env);
  assert.equal(some.code, 0, some.stderr);
  assert.match(some.stdout, /^12\+ dead-lettered messages on /);
  assert.match(some.stdout, /stopped at --limit 12/);
  assert.equal((await queueCounts(sqs, dlqUrl)).visible, 23);

  const lone = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('no-dlq') }))).QueueUrl!;
  const r = await runCli(['dlq', 'list'], { ...env, INGEST_QUEUE_URL: lone });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /INGEST_DLQ_URL: required, as .* has no RedrivePolicy/);
});
