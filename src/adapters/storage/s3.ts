import { GetObjectCommand, DeleteObjectCommand, HeadBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { permanent } from '../../core/errors.ts';
import type { ObjectBody, StorageOptions } from '../../core/stored-object.ts';

/** StoragePort on Amazon S3 (or any S3-compatible endpoint). */
export class S3Storage {
  readonly #s3: S3Client;

  constructor(s3: S3Client) {
    this.#s3 = s3;
  }

  /** HeadBucket: a cheap call that tells whether S3 answers for this bucket (the circuit's probe). */
  async probeBucket(bucket: string, signal?: AbortSignal): Promise<void> {
    await this.#s3.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: signal });
  }

  async get(bucket: string, key: string, options: StorageOptions & { versionId?: string } = {}): Promise<ObjectBody> {
    try {
      const out = await this.#s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, ...(options.versionId ? { VersionId: options.versionId } : {}) }),
        { abortSignal: options.signal },
      );
      if (out.Body === undefined) throw permanent('OBJECT_UNREADABLE', `s3://${bucket}/${key} returned no body`);
      return {
        body: out.Body as Readable,
        size: out.ContentLength ?? 0,
        ...(out.ETag ? { etag: out.ETag.replaceAll('"', '') } : {}),
        ...(out.VersionId ? { versionId: out.VersionId } : {}),
        ...(out.ContentType ? { contentType: out.ContentType } : {}),
        ...(out.LastModified ? { lastModified: out.LastModified } : {}),
      };
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchVersion') {
        throw permanent('OBJECT_NOT_FOUND', `s3://${bucket}/${key} does not exist (any more)`, err);
      }
      if (name === 'NoSuchBucket') throw permanent('BUCKET_NOT_FOUND', `bucket ${bucket} does not exist`, err);
      throw err;
    }
  }

  async put(bucket: string, key: string, body: Buffer, contentType: string, options: StorageOptions = {}): Promise<void> {
    await this.#s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }), {
      abortSignal: options.signal,
    });
  }

  async delete(bucket: string, key: string, options: StorageOptions = {}): Promise<void> {
    await this.#s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: options.signal });
  }
}
