/**
 * The fleet's Bedrock spend in the state table (DynamoDB Local): atomic adds from many writers,
 * one item per UTC day, and two instances' budgets capping each other through it.
 */
import { describe, test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createStateTable } from '../../../src/adapters/state/create-table.ts';
import { DynamoDbSpendLedger, SPEND_KEY_PREFIX } from '../../../src/adapters/state/dynamodb-spend-ledger.ts';
import { DailyBudget } from '../../../src/adapters/embedder/daily-budget.ts';

const endpoint = process.env.TEST_DYNAMODB_ENDPOINT;

// Skipped when TEST_DYNAMODB_ENDPOINT is not set (the global setup sets it).
describe.skipIf(!endpoint)('DynamoDbSpendLedger against DynamoDB Local', () => {
  const table = `spend-${randomUUID()}`;
  let client: DynamoDBClient;
  let ledger: DynamoDbSpendLedger;

  beforeAll(async () => {
    client = new DynamoDBClient({ endpoint });
    await createStateTable(client, table);
    ledger = new DynamoDbSpendLedger(client, table);
  });
  afterAll(async () => {
    try {
      await client.send(new DeleteTableCommand({ TableName: table }));
    } finally {
      client.destroy();
    }
  });

  test('concurrent adds all count (atomic ADD); adding 0 reads the total; days are separate items', async () => {
    assert.equal(await ledger.add('2026-11-20', 0), 0);
    await Promise.all(Array.from({ length: 40 }, () => ledger.add('2026-11-20', 0.25)));
    assert.equal(await ledger.add('2026-11-20', 0), 10);
    assert.equal(await ledger.add('2026-11-21', 1.5), 1.5);
    const item = await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: `${SPEND_KEY_PREFIX}2026-11-20` } } }));
    assert.equal(Number(item.Item?.usd?.N), 10);
    assert.ok(Number(item.Item?.expiresAt?.N) > Date.parse('2026-12-20') / 1000, 'old days can expire by TTL');
    await assert.rejects(ledger.add('yesterday', 1), RangeError);
    await assert.rejects(ledger.add('2026-11-20', -1), RangeError);
  });

  test('two instances share the cap: what one spends stops the other at its next sync', async () => {
    let now = Date.parse('2026-11-22T10:00:00Z');
    const clock = () => new Date(now);
    const options = { limitUsd: 1, ledger, now: clock, syncIntervalMs: 1_000 };
    const a = await DailyBudget.open(options);
    const b = await DailyBudget.open(options);
    a.charge(0.6);
    b.charge(0.3);
    await a.close(); // sends a's 0.6
    assert.equal(b.exhausted, false, 'b has not heard yet');
    now += 1_000;
    b.charge(0.2); // sync due: adds 0.5, learns the fleet total 1.1
    await b.close();
    assert.ok(Math.abs(b.spentToday - 1.1) < 1e-9, String(b.spentToday));
    assert.equal(b.exhausted, true);
    const c = await DailyBudget.open(options);
    assert.equal(c.exhausted, true, 'a new instance starts from the fleet total');
    now += 86_400_000;
    const tomorrow = await DailyBudget.open(options);
    assert.equal(tomorrow.spentToday, 0);
  });
});
