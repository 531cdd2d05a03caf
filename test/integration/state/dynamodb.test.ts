import { describe, test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDbState } from '../../../src/adapters/state/dynamodb.ts';
import { createStateTable } from '../../../src/adapters/state/create-table.ts';
import { claimRequest as req, stateContract, T1, T2 } from '../../support/state-contract.ts';

const endpoint = process.env.TEST_DYNAMODB_ENDPOINT;

// Skipped when TEST_DYNAMODB_ENDPOINT is not set (the global setup sets it).
describe.skipIf(!endpoint)('DynamoDbState against DynamoDB Local', () => {
  const table = `state-${randomUUID()}`;
  let client: DynamoDBClient;
  let state: DynamoDbState;
  const key = () => `bucket/${randomUUID()}.pdf`;

  beforeAll(async () => {
    client = new DynamoDBClient({ endpoint });
    const first = await createStateTable(client, table);
    assert.equal(first.created, true);
    state = new DynamoDbState({ client, table });
  });

  afterAll(async () => {
    await state?.close();
    try {
      await client.send(new DeleteTableCommand({ TableName: table }));
    } finally {
      client.destroy();
    }
  });

  // Every contract test gets its own adapter on the shared table (and client); keys are unique.
  stateContract('DynamoDbState', async (options) => {
    const own = new DynamoDbState({ client, table, clock: options?.clock });
    return {
      state: own,
      async revision(pk) {
        const out = await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }));
        const rev = out.Item?.['rev']?.N;
        return rev === undefined ? undefined : Number(rev);
      },
      cleanup: () => own.close(),
    };
  });

  test('createStateTable is idempotent and the table is ACTIVE', async () => {
    const again = await createStateTable(client, table);
    assert.equal(again.created, false);
    assert.equal(again.table?.TableStatus, 'ACTIVE');
    const described = await client.send(new DescribeTableCommand({ TableName: table }));
    assert.deepEqual(described.Table?.KeySchema, [{ AttributeName: 'pk', KeyType: 'HASH' }]);
    assert.equal(described.Table?.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
  });

  test('a table createStateTable made has TTL on expiresAt (content records and the spend ledger expire); one it did not make is left as it is', async () => {
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: table }));
    assert.equal(ttl.TimeToLiveDescription?.AttributeName, 'expiresAt');
    assert.match(String(ttl.TimeToLiveDescription?.TimeToLiveStatus), /^ENABL(ED|ING)$/);
    const other = `state-${randomUUID()}`;
    await client.send(new CreateTableCommand({
      TableName: other, BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }));
    try {
      assert.equal((await createStateTable(client, other)).created, false);
      const untouched = await client.send(new DescribeTimeToLiveCommand({ TableName: other }));
      assert.equal(untouched.TimeToLiveDescription?.TimeToLiveStatus, 'DISABLED');
    } finally {
      await client.send(new DeleteTableCommand({ TableName: other }));
    }
  });

  test('items without a rev attribute (written by other tooling) are claimed conditionally too', async () => {
    const pk = key();
    await client.send(new PutItemCommand({
      TableName: table,
      Item: {
        pk: { S: pk }, status: { S: 'INDEXED' }, etag: { S: 'old' }, attempts: { N: '3' },
        updatedAt: { S: T1 }, eventTime: { S: T1 }, owner_note: { S: 'kept' },
      },
    }));
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => state.claim(req(pk, { owner: `racer-${i}`, etag: 'new', sequencer: undefined, eventTime: T2 }))),
    );
    assert.equal(results.filter((r) => r.kind === 'claimed').length, 1, JSON.stringify(results.map((r) => r.kind)));
    const rec = await state.get(pk);
    assert.equal(rec?.attempts, 4);
    assert.equal(rec?.etag, 'new');
    const raw = await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }));
    assert.equal(raw.Item?.['owner_note']?.S, 'kept', 'foreign attributes survive a claim');
    assert.equal(raw.Item?.['rev']?.N, '1', 'the claim starts the rev count');
    assert.equal(Object.hasOwn(rec ?? {}, 'owner_note'), false, 'and stay out of the record');
  });

  test('an abort signal aborts a request under way', async () => {
    const pk = key();
    const controller = new AbortController();
    const pending = state.get(pk, { signal: controller.signal });
    controller.abort();
    await assert.rejects(pending, { name: 'AbortError' });
    assert.equal(await state.get(pk), null, 'nothing was written');
  });

  test('createStateTable honours its abort signal', async () => {
    await assert.rejects(createStateTable(client, `state-${randomUUID()}`, { signal: AbortSignal.abort() }), { name: 'AbortError' });
  });

  test('close() leaves a borrowed client usable; an owned client is destroyed once', async () => {
    const borrowed = new DynamoDbState({ client, table });
    await borrowed.close();
    await borrowed.close();
    assert.equal(await state.get(key()), null);

    const ownedClient = new DynamoDBClient({ endpoint });
    let destroyed = 0;
    const originalDestroy = ownedClient.destroy.bind(ownedClient);
    ownedClient.destroy = () => { destroyed++; originalDestroy(); };
    const owned = new DynamoDbState({ client: ownedClient, table, ownsClient: true });
    assert.equal(await owned.get(key()), null);
    await owned.close();
    await owned.close();
    assert.equal(destroyed, 1);
  });
});
