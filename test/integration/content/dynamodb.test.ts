/**
 * Content records in the state table (DynamoDB Local), large ones in S3 (fauxqs): the ContentStore
 * contract, the S3 overflow, expiry, unreadable records, and the file records beside them untouched.
 */
import { afterAll, beforeAll, describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { DeleteTableCommand, GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DynamoDbContents, RETENTION_DAYS } from '../../../src/adapters/content/dynamodb.ts';
import { contentRecordKey } from '../../../src/adapters/content/record-key.ts';
import { createStateTable } from '../../../src/adapters/state/create-table.ts';
import { DynamoDbState } from '../../../src/adapters/state/dynamodb.ts';
import { S3Storage } from '../../../src/adapters/storage/s3.ts';
import { createBucket, testDynamo, testS3, uniqueName } from '../../support/aws.ts';
import { contentKey, contentStoreContract, sampleContent } from '../../support/content-contract.ts';

const table = uniqueName('contents');
const bucket = uniqueName('contents').toLowerCase();
let dynamo: DynamoDBClient;
const s3 = testS3();
const storage = new S3Storage(s3);
let store: DynamoDbContents;

beforeAll(async () => {
  dynamo = testDynamo();
  await createStateTable(dynamo, table);
  await createBucket(s3, bucket);
  store = new DynamoDbContents({ client: dynamo, table, objects: { storage, bucket, prefix: 'content/' } });
});
afterAll(async () => {
  await dynamo.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
  dynamo.destroy();
  s3.destroy();
});

contentStoreContract('DynamoDbContents', () => store);

const objectsUnder = async (prefix: string) =>
  ((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);

describe('what DynamoDB adds', () => {
  test('a small record is one item holding its payload, with an expiry for the table TTL; no S3 object', async () => {
    const key = contentKey();
    const before = Math.floor(Date.now() / 1000);
    await store.keep(key, sampleContent());
    const item = (await dynamo.send(new GetItemCommand({ TableName: table, Key: { pk: { S: contentRecordKey(key) } } }))).Item!;
    assert.ok(item.body?.B && item.body.B.byteLength < 2_000, 'the gzipped payload is in the item');
    assert.equal(item.bodyKey, undefined);
    const expires = Number(item.expiresAt?.N);
    assert.ok(expires >= before + RETENTION_DAYS * 86_400 && expires <= before + RETENTION_DAYS * 86_400 + 60);
    assert.equal(item.from?.S, 's3://uploads/a/contract.pdf');
    assert.deepEqual(await objectsUnder(`content/${key.settings}/${key.sha256}`), []);
  });

  test('a payload over the item limit goes to S3, named by the item; it reads back whole, and a loser of the race leaves no object behind', async () => {
    const small = new DynamoDbContents({ client: dynamo, table, objects: { storage, bucket, prefix: 'content/' }, inlineLimit: 64 });
    const key = contentKey();
    const content = sampleContent({ text: '大きな文書 '.repeat(5_000) });
    assert.equal((await small.keep(key, content)).kept, 'ours');
    const item = (await dynamo.send(new GetItemCommand({ TableName: table, Key: { pk: { S: contentRecordKey(key) } } }))).Item!;
    assert.equal(item.body, undefined);
    assert.match(item.bodyKey?.S ?? '', new RegExp(`^content/${key.settings}/${key.sha256}-[0-9a-f-]{36}\\.json\\.gz$`));
    assert.deepEqual(await small.get(key), content);
    const lost = await small.keep(key, sampleContent({ text: 'the second writer' }));
    assert.equal(lost.kept, 'theirs');
    assert.equal(lost.content.text, content.text);
    assert.deepEqual(await objectsUnder(`content/${key.settings}/${key.sha256}`), [item.bodyKey!.S], 'only the winner’s object is left');
  });

  test('too large for an item and no bucket: not kept, and said why', async () => {
    const nowhere = new DynamoDbContents({ client: dynamo, table, inlineLimit: 64 });
    const key = contentKey();
    const kept = await nowhere.keep(key, sampleContent({ text: 'x'.repeat(10_000) + Math.random() }));
    assert.equal(kept.kept, 'no');
    assert.match(kept.kept === 'no' ? kept.reason : '', /more than a state-table item holds.*INGEST_CHECKPOINT_BUCKET/);
    assert.equal(await nowhere.get(key), null);
  });

  test('a record whose S3 object is gone reads as none, and the next keep replaces it', async () => {
    const small = new DynamoDbContents({ client: dynamo, table, objects: { storage, bucket, prefix: 'gone/' }, inlineLimit: 64 });
    const key = contentKey();
    await small.keep(key, sampleContent({ text: 'first '.repeat(500) }));
    for (const k of await objectsUnder('gone/')) await storage.delete(bucket, k);
    assert.equal(await small.get(key), null);
    const again = await small.keep(key, sampleContent({ text: 'second '.repeat(500) }));
    assert.equal(again.kept, 'ours');
    assert.match((await small.get(key))?.text ?? '', /^second /);
  });

  test('an expired record (TTL not yet run) reads as none and is replaced by the next keep', async () => {
    let now = Date.now();
    const clocked = new DynamoDbContents({ client: dynamo, table, now: () => now });
    const key = contentKey();
    await clocked.keep(key, sampleContent({ text: 'old' }));
    now += (RETENTION_DAYS + 1) * 86_400_000;
    assert.equal(await clocked.get(key), null);
    assert.equal((await clocked.keep(key, sampleContent({ text: 'new' }))).kept, 'ours');
    assert.equal((await clocked.get(key))?.text, 'new');
  });

  test('content records sit beside file records without touching them', async () => {
    const state = new DynamoDbState({ client: dynamo, table });
    const claim = await state.claim({ pk: 'uploads/a/contract.pdf', kind: 'upsert', eventTime: '2026-12-04T10:00:00Z', owner: 'o#1', leaseUntil: 9e9, now: 1 });
    assert.equal(claim.kind, 'claimed');
    await store.keep(contentKey(), sampleContent());
    assert.equal((await state.get('uploads/a/contract.pdf'))?.status, 'PROCESSING');
  });
});
