/**
 * The spawned daemon on a mixed set of documents: each PDF / image / Office file ends with the
 * right text_source, text, page count and a WebP thumbnail in the thumbnail bucket; corrupt files
 * are dead-lettered with their code; a delete removes the thumbnail too; and /healthz keeps
 * answering quickly while both pool workers are busy with OCR.
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { documentId } from '../../src/adapters/index/document-id.ts';
import { createBucket, putObject, receiveVisible, send } from '../support/aws.ts';
import { outcomeOf as settled, spawnDaemon, type SpawnedDaemon } from '../support/daemon.ts';
import { FIXTURES } from '../support/documents.ts';
import { createE2eStack, stopDaemonAndClose, type E2eStack } from '../support/e2e-stack.ts';
import { nativeEvent, s3Event } from '../support/events.ts';
import { freePort } from '../support/free-port.ts';
import { waitFor } from '../support/wait-for.ts';

let stack: E2eStack;
let daemon: SpawnedDaemon;
let httpPort: number;
let thumbs: string;

const outcomeOf = (messageId: string, what: string, timeoutMs?: number) => settled(daemon, messageId, what, timeoutMs);
const doc = (key: string) => stack.recorder.documents(stack.index).get(documentId(stack.bucket, key));
const squash = (s: unknown) => String(s).normalize('NFKC').replace(/\s+/g, '');

async function upload(name: string, key = `docs/${name}`): Promise<string> {
  await putObject(stack.s3, stack.bucket, key, await readFile(join(FIXTURES, name)));
  return key;
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : Number.NaN;
}

beforeAll(async () => {
  stack = await createE2eStack('e2e-documents');
  thumbs = `${stack.bucket}-thumbs`;
  await createBucket(stack.s3, thumbs);
  httpPort = await freePort();
  daemon = spawnDaemon(stack.env({
    INGEST_HTTP_PORT: String(httpPort), INGEST_POOL_SIZE: '2', INGEST_CONCURRENCY: '4',
    INGEST_THUMBNAIL_BUCKET: thumbs, INGEST_THUMBNAIL_PREFIX: 'thumbs/',
  }));
  await daemon.waitForLog((l) => l.msg === 'consuming', 'daemon to start consuming');
});

afterAll(() =>
  stopDaemonAndClose(stack, daemon, (stderr) => {
    assert.doesNotMatch(stderr, /TESSDATA_PREFIX|Error opening data file/, 'tesseract start-up noise stays out of stderr');
  }),
);

test('a mixed set: text layer, scans, mixed PDFs, photos, TIFF and Office files each get the right text_source, text and thumbnail', async () => {
  const keys = {
    born: await upload('born-digital-ja.pdf'),
    scanned: await upload('scanned-ja.pdf'),
    mixed: await upload('mixed.pdf'),
    photo: await upload('photo-exif-rotated.jpg'),
    tiff: await upload('multipage.tiff'),
    docx: await upload('sample.docx'),
    locked: await upload('encrypted-user-password.pdf'),
  };
  const ids = await Promise.all(Object.values(keys).map((key) => send(stack.sqs, stack.queueUrl, s3Event(stack.bucket, key))));
  for (const [i, id] of ids.entries()) assert.equal(await outcomeOf(id, Object.values(keys)[i]!), 'done');

  const born = doc(keys.born)!;
  assert.equal(born.text_source, 'text-layer');
  assert.equal(born.page_count, 2);
  assert.ok(squash(born.content).includes('合計金額：48,600円'.normalize('NFKC')), String(born.content));
  assert.equal(born.ocr_confidence, null);

  const scanned = doc(keys.scanned)!;
  assert.equal(scanned.text_source, 'ocr');
  assert.ok(squash(scanned.content).includes('株式会社サンプル経理部御中'), String(scanned.content));
  assert.ok(Number(scanned.ocr_confidence) > 70, `confidence ${String(scanned.ocr_confidence)}`);

  const mixed = doc(keys.mixed)!;
  assert.equal(mixed.text_source, 'mixed');
  assert.equal(mixed.page_count, 3);
  assert.ok(squash(mixed.content).includes('文字認識で読み取る必要があります'), String(mixed.content));

  const photo = doc(keys.photo)!;
  assert.equal(photo.text_source, 'ocr');
  assert.equal(photo.width, 1600, 'the size after EXIF orientation');
  assert.equal(photo.height, 1000);
  assert.match(String(photo.taken_at), /^2026-11-20T/);
  assert.ok(squash(photo.content).includes('会議用プロジェクター'), String(photo.content));

  const tiff = doc(keys.tiff)!;
  assert.equal(tiff.page_count, 2);
  assert.ok(squash(tiff.content).includes('二枚目には別の文章があります'), String(tiff.content));

  assert.equal(doc(keys.docx)?.text_source, 'text-layer');
  assert.equal(doc(keys.docx)?.thumbnail_key, null, 'no thumbnail for Office files');

  const locked = doc(keys.locked)!;
  assert.equal(locked.text_source, 'none');
  assert.ok((locked.warnings as string[]).some((w) => w.startsWith('PDF_ENCRYPTED')), String(locked.warnings));

  for (const key of [keys.born, keys.scanned, keys.mixed, keys.photo, keys.tiff]) {
    const thumbnailKey = `thumbs/${documentId(stack.bucket, key)}.webp`;
    assert.equal(doc(key)?.thumbnail_key, thumbnailKey, key);
    const object = await stack.s3.send(new GetObjectCommand({ Bucket: thumbs, Key: thumbnailKey }));
    const bytes = Buffer.from(await object.Body!.transformToByteArray());
    assert.equal(bytes.subarray(0, 4).toString('latin1'), 'RIFF', key);
    assert.equal(bytes.subarray(8, 12).toString('latin1'), 'WEBP', key);
  }
});

test('corrupt and oversized-in-pixels files are dead-lettered with their code; the daemon keeps running', async () => {
  const corrupt = await upload('corrupt.pdf');
  const bomb = await upload('bomb.png');
  const ids = [await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, corrupt)), await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, bomb))];
  for (const id of ids) assert.equal(await outcomeOf(id, id), 'dead-letter');
  const dead = await waitFor(async () => {
    const got = await receiveVisible(stack.sqs, stack.dlqUrl);
    return got.length >= 2 ? got : undefined;
  }, { what: 'two dead letters', timeoutMs: 15_000 });
  const codes = dead.map((m) => m.MessageAttributes?.ErrorCode?.StringValue).sort();
  assert.deepEqual(codes, ['IMAGE_TOO_LARGE', 'PDF_CORRUPT']);
  assert.equal(doc(corrupt), undefined);
});

test('deleting a file removes its document and its thumbnail', async () => {
  const key = await upload('no-density.png', 'docs/to-delete.png');
  assert.equal(await outcomeOf(await send(stack.sqs, stack.queueUrl, s3Event(stack.bucket, key)), key), 'done');
  const thumbnailKey = String(doc(key)?.thumbnail_key);
  await stack.s3.send(new HeadObjectCommand({ Bucket: thumbs, Key: thumbnailKey }));
  const removed = await send(stack.sqs, stack.queueUrl, s3Event(stack.bucket, key, { eventName: 'ObjectRemoved:Delete' }));
  assert.equal(await outcomeOf(removed, `delete of ${key}`), 'done');
  assert.equal(doc(key), undefined);
  await assert.rejects(stack.s3.send(new HeadObjectCommand({ Bucket: thumbs, Key: thumbnailKey })), (err: Error) => err.name === 'NotFound');
});

test('/healthz answers while both pool workers are busy with OCR (its latency: npm run bench:healthz)', async () => {
  const scan = await readFile(join(FIXTURES, 'scanned-ja.pdf'));
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) {
    const key = `busy/scan-${i}.pdf`;
    // other bytes each (a comment after %%EOF): copies of one file would be extracted once (reuse by content)
    await putObject(stack.s3, stack.bucket, key, Buffer.concat([scan, Buffer.from(`\n% copy ${i}\n`)]));
    ids.push(await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, key)));
  }
  await waitFor(async () => (await metric('spot_ingest_pool_busy_workers')) === 2, { what: 'both pool workers busy', timeoutMs: 30_000 });
  for (let i = 0; i < 20; i++) {
    const res = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
    await res.arrayBuffer();
    assert.equal(res.status, 200);
  }
  const stillBusy = await metric('spot_ingest_pool_busy_workers');
  for (const id of ids) assert.equal(await outcomeOf(id, id), 'done');
  assert.ok(stillBusy >= 1, 'the workers were still busy while /healthz was asked');
});
