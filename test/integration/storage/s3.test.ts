/** The S3 storage adapter against fauxqs: round trip, what a missing key or bucket is, the probe. */
import { afterAll, test } from 'vitest';
import assert from 'node:assert/strict';
import { text } from 'node:stream/consumers';
import { S3Storage } from '../../../src/adapters/storage/s3.ts';
import { isIngestError } from '../../../src/core/errors.ts';
import { createBucket, testS3, uniqueName } from '../../support/aws.ts';

const s3 = testS3();
afterAll(() => s3.destroy());

test('put then get: body, size, etag without quotes, content type; delete of a missing object is fine', async () => {
  const bucket = uniqueName('storage').toLowerCase();
  await createBucket(s3, bucket);
  const storage = new S3Storage(s3);
  await storage.put(bucket, 'a/b.txt', Buffer.from('hello'), 'text/plain');
  const got = await storage.get(bucket, 'a/b.txt');
  assert.equal(await text(got.body), 'hello');
  assert.equal(got.size, 5);
  assert.equal(got.contentType, 'text/plain');
  assert.match(got.etag ?? '', /^[0-9a-f]{32}$/);
  assert.ok(got.lastModified instanceof Date);
  await storage.delete(bucket, 'a/b.txt');
  await storage.delete(bucket, 'a/b.txt');
  await storage.probeBucket(bucket);
});

test('a missing key is OBJECT_NOT_FOUND and a missing bucket BUCKET_NOT_FOUND, both permanent; the probe of a missing bucket fails', async () => {
  const bucket = uniqueName('storage-missing').toLowerCase();
  await createBucket(s3, bucket);
  const storage = new S3Storage(s3);
  await assert.rejects(storage.get(bucket, 'nope'), (e) => isIngestError(e) && e.code === 'OBJECT_NOT_FOUND' && !e.retryable);
  await assert.rejects(storage.get(`${bucket}-absent`, 'nope'), (e) => isIngestError(e) && (e.code === 'BUCKET_NOT_FOUND' || e.code === 'OBJECT_NOT_FOUND') && !e.retryable);
  await assert.rejects(storage.probeBucket(`${bucket}-absent`));
});
