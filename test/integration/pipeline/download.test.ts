/**
 * The download step against the S3 emulator: a private temp file (0600 in a 0700 directory),
 * sha256 while streaming, the size limit before and during the transfer, orphan cleanup.
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { S3Storage } from '../../../src/adapters/storage/s3.ts';
import type { StoragePort } from '../../../src/pipeline/ports/storage.ts';
import { isIngestError } from '../../../src/core/errors.ts';
import { downloadObject } from '../../../src/pipeline/download.ts';
import { TempFiles } from '../../../src/pipeline/temp-files.ts';
import { createBucket, putObject, testS3, uniqueName } from '../../support/aws.ts';

const s3 = testS3();
const storage = new S3Storage(s3);
let dataDir: string;
let temp: TempFiles;
const bucket = uniqueName('download');

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'spot-ingest-dl-'));
  temp = new TempFiles(dataDir);
  await temp.prepare(); // every test needs the directory (the first one also checks prepare() itself)
  await createBucket(s3, bucket);
});
afterAll(async () => {
  s3.destroy();
  await rm(dataDir, { recursive: true, force: true });
});

test('prepare() makes a 0700 directory and clears what a crashed process left', async () => {
  await temp.prepare();
  await writeFile(join(temp.dir, 'orphan'), 'left behind');
  await temp.prepare();
  assert.equal(existsSync(join(temp.dir, 'orphan')), false);
  assert.equal((await stat(temp.dir)).mode & 0o777, 0o700);
});

test('streams to a 0600 file and hashes on the way', async () => {
  const body = Buffer.from('東京都の天気は晴れです。'.repeat(1000));
  await putObject(s3, bucket, 'dir/日本語 file+name.txt', body);
  const path = temp.path();
  const file = await downloadObject({ storage, bucket, key: 'dir/日本語 file+name.txt', path, maxBytes: 1 << 20, signal: new AbortController().signal });
  assert.equal(file.size, body.length);
  assert.equal(file.sha256, createHash('sha256').update(body).digest('hex'));
  assert.ok(file.etag);
  assert.deepEqual(await readFile(path), body);
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  await temp.remove(path);
  assert.equal(existsSync(path), false);
});

test('an object over the limit is refused before streaming (OBJECT_TOO_LARGE, permanent)', async () => {
  await putObject(s3, bucket, 'big.bin', new Uint8Array(2048));
  const path = temp.path();
  await assert.rejects(
    downloadObject({ storage, bucket, key: 'big.bin', path, maxBytes: 1024, signal: new AbortController().signal }),
    (err: unknown) => isIngestError(err) && err.code === 'OBJECT_TOO_LARGE' && !err.retryable,
  );
  assert.equal(existsSync(path), false, 'nothing written');
});

test('a body longer than its declared size is cut off at the limit while streaming', async () => {
  // a storage whose declared size lies: the limit must hold during the transfer too
  const lying: StoragePort = {
    async get() {
      return { size: 10, body: Readable.from([Buffer.alloc(600), Buffer.alloc(600)]) };
    },
    async put() {},
    async delete() {},
  };
  const path = temp.path();
  await assert.rejects(
    downloadObject({ storage: lying, bucket, key: 'lies.bin', path, maxBytes: 1000, signal: new AbortController().signal }),
    (err: unknown) => isIngestError(err) && err.code === 'OBJECT_TOO_LARGE',
  );
});

test('a missing object is OBJECT_NOT_FOUND; an aborted download rejects', async () => {
  await assert.rejects(
    downloadObject({ storage, bucket, key: 'nope.txt', path: temp.path(), maxBytes: 1000, signal: new AbortController().signal }),
    (err: unknown) => isIngestError(err) && err.code === 'OBJECT_NOT_FOUND',
  );
  const ac = new AbortController();
  ac.abort(new Error('released'));
  await assert.rejects(downloadObject({ storage, bucket, key: 'big.bin', path: temp.path(), maxBytes: 1 << 20, signal: ac.signal }));
});
