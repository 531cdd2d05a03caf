/**
 * ContentStore on the state table (docs/design.md §5 "content records"): one item per record,
 * `pk = "#content/<settings>/<sha256>/<mime>"`, so a lookup is one GetItem. The payload (codec.ts)
 * is the item's `body` when it fits an item (DynamoDB's 400 KB limit; `inlineLimit`); a larger one
 * is an S3 object under INGEST_CONTENT_PREFIX in the checkpoint bucket, named by `bodyKey` (one
 * GetObject more), and cannot be kept when there is no such bucket. The first writer wins: the put
 * is conditional on no live item, and a later writer reads the winner's item back (and deletes its
 * own object). `expiresAt` (epoch s, RETENTION_DAYS on) lets the table's TTL drop old records; an
 * expired record reads as none before TTL has removed it. An unreadable record (its object gone, a
 * foreign format) is replaced by the next keep.
 */
import { randomUUID } from 'node:crypto';
import type { Buffer } from 'node:buffer';
import { buffer } from 'node:stream/consumers';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, type NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { isIngestError } from '../../core/errors.ts';
import type { ObjectBody } from '../../core/stored-object.ts';
import type { ContentKey, KeepResult, StoredContent } from '../../core/content-record.ts';
import { isConditionalCheckFailed } from '../state/dynamodb.ts';
import { decodeContent, encodeContent } from './codec.ts';
import { contentRecordKey } from './record-key.ts';

/** How long a record is kept (the table's TTL on `expiresAt`; the bucket's lifecycle rule on the prefix should be longer). */
export const RETENTION_DAYS = 90;
/** Payloads up to this size are kept in the item itself (DynamoDB items hold at most 400 KB). */
export const INLINE_LIMIT = 350_000;

/** What larger payloads need of object storage (S3Storage has it). */
export interface ContentObjects {
  get(bucket: string, key: string, options?: { signal?: AbortSignal }): Promise<ObjectBody>;
  put(bucket: string, key: string, body: Buffer, contentType: string, options?: { signal?: AbortSignal }): Promise<void>;
  delete(bucket: string, key: string, options?: { signal?: AbortSignal }): Promise<void>;
}

export interface DynamoDbContentsOptions {
  client: DynamoDBClient;
  table: string;
  /** Where payloads over `inlineLimit` go; without it they are not kept. */
  objects?: { storage: ContentObjects; bucket: string; prefix: string };
  inlineLimit?: number;
  now?: () => number;
}

type Item = Record<string, NativeAttributeValue>;
type Options = { signal?: AbortSignal };

export class DynamoDbContents {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #objects: DynamoDbContentsOptions['objects'];
  readonly #inlineLimit: number;
  readonly #now: () => number;

  constructor(options: DynamoDbContentsOptions) {
    this.#doc = DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } });
    this.#table = options.table;
    this.#objects = options.objects;
    this.#inlineLimit = options.inlineLimit ?? INLINE_LIMIT;
    this.#now = options.now ?? Date.now;
  }

  async get(key: ContentKey, options: Options = {}): Promise<StoredContent | null> {
    const item = await this.#read(contentRecordKey(key), false, options);
    return item === null ? null : this.#decode(item, options);
  }

  async keep(key: ContentKey, content: StoredContent, options: Options = {}): Promise<KeepResult> {
    const pk = contentRecordKey(key);
    const body = await encodeContent(content);
    const objects = this.#objects;
    let bodyKey: string | undefined;
    if (body.byteLength > this.#inlineLimit) {
      if (!objects) {
        return { kept: 'no', content, reason: `${body.byteLength} bytes compressed is more than a state-table item holds, and no INGEST_CHECKPOINT_BUCKET is set for larger ones` };
      }
      bodyKey = `${objects.prefix}${key.settings}/${key.sha256}-${randomUUID()}.json.gz`;
      await objects.storage.put(objects.bucket, bodyKey, body, 'application/gzip', options);
    }
    const nowSeconds = Math.floor(this.#now() / 1000);
    const item: Item = {
      pk, from: content.from, createdAt: content.createdAt, expiresAt: nowSeconds + RETENTION_DAYS * 86_400,
      ...(bodyKey === undefined ? { body } : { bodyKey }),
    };
    const dropOurs = () => (bodyKey === undefined ? Promise.resolve() : objects!.storage.delete(objects!.bucket, bodyKey, options).catch(() => undefined));
    if (await this.#put(item, 'attribute_not_exists(pk) OR expiresAt < :now', { ':now': nowSeconds }, options)) return { kept: 'ours', content };
    const existing = await this.#read(pk, true, options);
    const theirs = existing === null ? null : await this.#decode(existing, options);
    if (theirs !== null) {
      await dropOurs();
      return { kept: 'theirs', content: theirs };
    }
    // the live record is unreadable: replace it, unless it was replaced meanwhile
    const replaced = existing !== null && await this.#put(item, 'createdAt = :seen', { ':seen': existing.createdAt }, options);
    if (replaced) return { kept: 'ours', content };
    await dropOurs();
    return { kept: 'no', content, reason: 'another writer replaced an unreadable record at the same time' };
  }

  async #read(pk: string, consistent: boolean, options: Options): Promise<Item | null> {
    const out = await this.#doc.send(new GetCommand({ TableName: this.#table, Key: { pk }, ConsistentRead: consistent }), { abortSignal: options.signal });
    const item = out.Item;
    if (item === undefined) return null;
    return typeof item.expiresAt === 'number' && item.expiresAt < Math.floor(this.#now() / 1000) ? null : item;
  }

  async #put(item: Item, condition: string, values: Item, options: Options): Promise<boolean> {
    try {
      await this.#doc.send(
        new PutCommand({ TableName: this.#table, Item: item, ConditionExpression: condition, ExpressionAttributeValues: values }),
        { abortSignal: options.signal },
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw err;
    }
  }

  async #decode(item: Item, options: Options): Promise<StoredContent | null> {
    if (item.body instanceof Uint8Array) return decodeContent(item.body);
    if (typeof item.bodyKey !== 'string' || !this.#objects) return null;
    let object: ObjectBody;
    try {
      object = await this.#objects.storage.get(this.#objects.bucket, item.bodyKey, options);
    } catch (err) {
      if (isIngestError(err) && err.code === 'OBJECT_NOT_FOUND') return null;
      throw err;
    }
    return decodeContent(await buffer(object.body));
  }
}
