/**
 * Uploading local files and enqueueing their FILE_UPLOADED messages (src/local/enqueue-files.ts,
 * used by `spot-ingest send` and the local-mode samples) against fauxqs' SQS and S3.
 */
import { afterAll, beforeAll, describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import {
  BUFFERED_UPLOAD_MAX_BYTES, enqueueFiles, sendMessageBatch, SQS_BATCH_SIZE, type EnqueuedFile,
} from '../../../src/local/enqueue-files.ts';
import { queueCounts, receiveVisible, testS3, testSqs, uniqueName } from '../../support/aws.ts';

const s3 = testS3();
const sqs = testSqs();
let dir: string;
let bucket: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spot-ingest-enqueue-'));
  bucket = uniqueName('enqueue');
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(async () => {
  s3.destroy();
  sqs.destroy();
  await rm(dir, { recursive: true, force: true });
});

const newQueue = async () => (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('enqueue') }))).QueueUrl!;

describe('enqueueFiles', () => {
  test('more files than one batch: every object is uploaded and every message sent, reported in the given order', async () => {
    const queueUrl = await newQueue();
    const files = [];
    for (let i = 0; i < SQS_BATCH_SIZE + 2; i++) {
      const path = join(dir, `note-${i}.txt`);
      await writeFile(path, `note number ${i}`);
      files.push({ path, key: `notes/ノート ${i}.txt`, originalPath: `C:\\docs\\note-${i}.txt` });
    }
    const reported: EnqueuedFile[] = [];
    const done = await enqueueFiles({ s3, sqs, bucket, queueUrl, files, onEnqueued: (f) => reported.push(f) });
    assert.deepEqual(reported, done);
    assert.deepEqual(done.map((f) => f.key), files.map((f) => f.key));
    assert.ok(done.every((f) => f.bucket === bucket && f.messageId !== ''));
    assert.equal(done[11]!.size, 'note number 11'.length);
    assert.equal((await queueCounts(sqs, queueUrl)).visible, 12);
    const bodies = (await receiveVisible(sqs, queueUrl)).map((m) => JSON.parse(m.Body!) as Record<string, unknown>);
    const first = bodies.find((b) => b.s3Key === 'notes/ノート 0.txt')!;
    assert.equal(first.eventType, 'FILE_UPLOADED');
    assert.equal(first.s3Bucket, bucket);
    assert.equal(first.fileSize, 'note number 0'.length);
    assert.equal(first.originalPath, 'C:\\docs\\note-0.txt');
    assert.ok(!Number.isNaN(Date.parse(first.timestamp as string)));
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'notes/ノート 3.txt' }));
    assert.equal(await object.Body!.transformToString(), 'note number 3');
  });

  test('a file larger than the buffered limit is streamed and arrives whole', async () => {
    const queueUrl = await newQueue();
    const path = join(dir, 'big.bin');
    const size = BUFFERED_UPLOAD_MAX_BYTES + 4096;
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4096) data.writeUInt32BE(i, i);
    await writeFile(path, data);
    const [sent] = await enqueueFiles({ s3, sqs, bucket, queueUrl, files: [{ path, key: 'big/big.bin', originalPath: path }] });
    assert.equal(sent!.size, size);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'big/big.bin' }));
    assert.equal(head.ContentLength, size);
    const body = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'big/big.bin' }))).Body!.transformToByteArray());
    assert.ok(body.equals(data));
  });

  test('an upload that fails fails the call, and no message of its group is sent', async () => {
    const queueUrl = await newQueue();
    const ok = join(dir, 'ok.txt');
    await writeFile(ok, 'fine');
    const reported: string[] = [];
    await assert.rejects(
      enqueueFiles({
        s3, sqs, bucket, queueUrl, onEnqueued: (f) => reported.push(f.key),
        files: [{ path: ok, key: 'ok.txt', originalPath: ok }, { path: join(dir, 'missing.txt'), key: 'missing.txt', originalPath: 'x' }],
      }),
      { code: 'ENOENT' },
    );
    assert.deepEqual(reported, []);
    assert.equal((await queueCounts(sqs, queueUrl)).total, 0);
  });
});

describe('sendMessageBatch', () => {
  test('more than ten bodies is a RangeError, before anything is sent', async () => {
    const queueUrl = await newQueue();
    await assert.rejects(sendMessageBatch(sqs, queueUrl, Array.from({ length: 11 }, () => '{}')), (err) => err instanceof RangeError && /at most 10 messages per batch \(got 11\)/.test(err.message));
    assert.equal((await queueCounts(sqs, queueUrl)).total, 0);
  });

  test('returns the message ids in the order of the bodies', async () => {
    const queueUrl = await newQueue();
    const ids = await sendMessageBatch(sqs, queueUrl, ['{"n":0}', '{"n":1}', '{"n":2}']);
    const received = await receiveVisible(sqs, queueUrl);
    const byId = new Map(received.map((m) => [m.MessageId!, m.Body!]));
    assert.deepEqual(ids.map((id) => byId.get(id)), ['{"n":0}', '{"n":1}', '{"n":2}']);
  });

  test('entries SQS refuses make the call fail, saying how many and why', async () => {
    const queueUrl = await newQueue();
    // a character SQS does not allow in a message body: a sender fault, not retried
    await assert.rejects(sendMessageBatch(sqs, queueUrl, ['{"ok":true}', 'bad \u0001 body']), (err: Error) => {
      assert.match(err.message, /^SendMessageBatch failed for 1 of 2 messages \(.+\)$/);
      return true;
    });
  });
});
