import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, DescribeTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDbState } from '../../../src/adapters/state/dynamodb.ts';
import { createStateTable } from '../../../src/adapters/state/create-table.ts';
import type { ClaimRequest } from '../../../src/adapters/state/port.ts';
import { isIngestError } from '../../../src/errors.ts';

const endpoint = process.env.TEST_DYNAMODB_ENDPOINT;
const NOW = 1_700_000_000;
const T1 = '2025-01-01T00:00:01.000Z';
const T2 = '2025-01-01T00:00:02.000Z';

function req(pk: string, overrides: Partial<ClaimRequest> = {}): ClaimRequest {
  return {
    pk,
    kind: 'upsert',
    etag: 'etag-1',
    sequencer: '0055AED6DCD90281E5',
    eventTime: T1,
    owner: 'worker-a',
    leaseUntil: NOW + 120,
    now: NOW,
    ...overrides,
  };
}

function leaseLost(err: unknown): boolean {
  return isIngestError(err) && err.code === 'LEASE_LOST' && err.retryable === true;
}

describe('DynamoDbState against DynamoDB Local', { skip: endpoint ? false : 'TEST_DYNAMODB_ENDPOINT not set' }, () => {
  const table = `state-${randomUUID()}`;
  let client: DynamoDBClient;
  let state: DynamoDbState;
  const key = () => `bucket/${randomUUID()}.pdf`;

  before(async () => {
    client = new DynamoDBClient({ endpoint });
    const first = await createStateTable(client, table);
    assert.equal(first.created, true);
    state = new DynamoDbState({ client, table });
  });

  after(async () => {
    await state?.close();
    try {
      await client.send(new DeleteTableCommand({ TableName: table }));
    } finally {
      client.destroy();
    }
  });

  test('createStateTable is idempotent and the table is ACTIVE', async () => {
    const again = await createStateTable(client, table);
    assert.equal(again.created, false);
    assert.equal(again.table?.TableStatus, 'ACTIVE');
    const described = await client.send(new DescribeTableCommand({ TableName: table }));
    assert.deepEqual(described.Table?.KeySchema, [{ AttributeName: 'pk', KeyType: 'HASH' }]);
    assert.equal(described.Table?.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
  });

  test('first claim creates a PROCESSING record', async () => {
    const pk = key();
    const result = await state.claim(req(pk));
    assert.deepEqual(result, { kind: 'claimed', previous: null });
    const rec = await state.get(pk);
    assert.equal(rec?.status, 'PROCESSING');
    assert.equal(rec?.leaseOwner, 'worker-a');
    assert.equal(rec?.leaseUntil, NOW + 120);
    assert.equal(rec?.attempts, 1);
    assert.equal(rec?.etag, 'etag-1');
    assert.equal(rec?.sequencer, '0055AED6DCD90281E5');
    assert.equal(rec?.eventTime, T1);
    assert.ok(rec?.updatedAt && !Number.isNaN(Date.parse(rec.updatedAt)));
    assert.equal(await state.get(key()), null);
  });

  test('complete INDEXED, then the same version again → duplicate; a newer one → claimed with previous', async () => {
    const pk = key();
    await state.claim(req(pk));
    await state.complete({
      pk,
      owner: 'worker-a',
      status: 'INDEXED',
      etag: 'etag-1',
      sequencer: '0055AED6DCD90281E5',
      sha256: 'abc123',
      size: 42,
      contentType: 'application/pdf',
      steps: { download: 12, extract: 30 },
      warnings: ['low confidence'],
      eventTime: T1,
    });
    const done = await state.get(pk);
    assert.equal(done?.status, 'INDEXED');
    assert.equal(done?.leaseOwner, undefined);
    assert.equal(done?.leaseUntil, 0);
    assert.deepEqual(done?.steps, { download: 12, extract: 30 });
    assert.deepEqual(done?.warnings, ['low confidence']);

    const dup = await state.claim(req(pk, { owner: 'worker-b' }));
    assert.equal(dup.kind, 'duplicate');
    assert.equal(dup.kind === 'duplicate' && dup.record.sha256, 'abc123');

    const newer = await state.claim(req(pk, { owner: 'worker-b', etag: 'etag-2', sequencer: '0055AED6DCD90281F0', eventTime: T2 }));
    assert.equal(newer.kind, 'claimed');
    assert.ok(newer.kind === 'claimed' && newer.previous);
    assert.equal(newer.previous.status, 'INDEXED');
    assert.equal(newer.previous.sha256, 'abc123');
    assert.equal(newer.previous.size, 42);
    assert.equal(newer.previous.contentType, 'application/pdf');
    const rec = await state.get(pk);
    assert.equal(rec?.status, 'PROCESSING');
    assert.equal(rec?.etag, 'etag-2');
    assert.equal(rec?.attempts, 2);
    // The last indexed content stays on the record while the new version is processed.
    assert.equal(rec?.sha256, 'abc123');
  });

  test('an older sequencer (also of a different length) → stale', async () => {
    const pk = key();
    await state.claim(req(pk));
    await state.complete({ pk, owner: 'worker-a', status: 'INDEXED', sequencer: '0055AED6DCD90281E5', eventTime: T1 });
    const older = await state.claim(req(pk, { owner: 'worker-b', etag: 'etag-0', sequencer: '0055AED6DCD90281E4' }));
    assert.equal(older.kind, 'stale');
    const shorter = await state.claim(req(pk, { owner: 'worker-b', etag: 'etag-0', sequencer: '0055AED6DCD90281' }));
    assert.equal(shorter.kind, 'stale');
    assert.equal((await state.get(pk))?.status, 'INDEXED');
  });

  test('10 concurrent claims of the same version by different owners → exactly one claimed', async () => {
    const pk = key();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => state.claim(req(pk, { owner: `racer-${i}` }))),
    );
    const claimed = results.filter((r) => r.kind === 'claimed');
    assert.equal(claimed.length, 1, JSON.stringify(results.map((r) => r.kind)));
    assert.ok(results.every((r) => r.kind === 'claimed' || r.kind === 'busy'));
    const rec = await state.get(pk);
    assert.match(rec?.leaseOwner ?? '', /^racer-\d$/);
    assert.equal(rec?.attempts, 1);
  });

  test('10 concurrent takeovers of an expired lease → exactly one claimed', async () => {
    const pk = key();
    await state.claim(req(pk, { leaseUntil: NOW + 10 }));
    const later = NOW + 60;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => state.claim(req(pk, { owner: `racer-${i}`, now: later, leaseUntil: later + 120 }))),
    );
    assert.equal(results.filter((r) => r.kind === 'claimed').length, 1, JSON.stringify(results.map((r) => r.kind)));
    assert.equal((await state.get(pk))?.attempts, 2);
  });

  test('busy while another owner holds a live lease; expired lease is taken over', async () => {
    const pk = key();
    await state.claim(req(pk, { leaseUntil: NOW + 30 }));
    const busy = await state.claim(req(pk, { owner: 'worker-b', now: NOW + 29 }));
    assert.equal(busy.kind, 'busy');
    assert.equal(busy.kind === 'busy' && busy.record.leaseOwner, 'worker-a');

    const takeover = await state.claim(req(pk, { owner: 'worker-b', now: NOW + 31, leaseUntil: NOW + 200 }));
    assert.equal(takeover.kind, 'claimed');
    assert.equal(takeover.kind === 'claimed' && takeover.previous?.leaseOwner, 'worker-a');
    const rec = await state.get(pk);
    assert.equal(rec?.leaseOwner, 'worker-b');
    assert.equal(rec?.leaseUntil, NOW + 200);
    assert.equal(rec?.attempts, 2);

    // The former owner has lost the lease for every lease operation.
    await assert.rejects(state.renew(pk, 'worker-a', NOW + 300), leaseLost);
    await assert.rejects(state.complete({ pk, owner: 'worker-a', status: 'INDEXED', eventTime: T1 }), leaseLost);
    await assert.rejects(state.fail(pk, 'worker-a', 'boom'), leaseLost);
    await assert.rejects(state.release(pk, 'worker-a'), leaseLost);
    assert.equal((await state.get(pk))?.leaseOwner, 'worker-b');
  });

  test('renew extends the lease for the owner only', async () => {
    const pk = key();
    await state.claim(req(pk));
    await state.renew(pk, 'worker-a', NOW + 500);
    assert.equal((await state.get(pk))?.leaseUntil, NOW + 500);
    await assert.rejects(state.renew(pk, 'intruder', NOW + 900), leaseLost);
    await assert.rejects(state.renew(key(), 'worker-a', NOW + 900), leaseLost, 'no record at all');
    assert.equal((await state.get(pk))?.leaseUntil, NOW + 500);
  });

  test('release, then another worker re-claims at once; the releaser no longer owns it', async () => {
    const pk = key();
    await state.claim(req(pk, { leaseUntil: NOW + 600 }));
    await state.release(pk, 'worker-a');
    const released = await state.get(pk);
    assert.equal(released?.status, 'PROCESSING');
    assert.equal(released?.leaseUntil, 0);
    assert.equal(released?.leaseOwner, undefined);
    assert.equal(released?.etag, 'etag-1', 'version kept');

    await assert.rejects(state.renew(pk, 'worker-a', NOW + 700), leaseLost);
    const again = await state.claim(req(pk, { owner: 'worker-b' }));
    assert.equal(again.kind, 'claimed');
    assert.equal((await state.get(pk))?.leaseOwner, 'worker-b');
  });

  test('FAILED is recorded with its error and can be claimed again (same version)', async () => {
    const pk = key();
    await state.claim(req(pk));
    await state.fail(pk, 'worker-a', 'PDF is encrypted');
    const failed = await state.get(pk);
    assert.equal(failed?.status, 'FAILED');
    assert.equal(failed?.error, 'PDF is encrypted');
    assert.equal(failed?.leaseOwner, undefined);

    const redriven = await state.claim(req(pk, { owner: 'worker-b' }));
    assert.equal(redriven.kind, 'claimed');
    assert.equal(redriven.kind === 'claimed' && redriven.previous?.status, 'FAILED');
    assert.equal((await state.get(pk))?.attempts, 2);
    await state.complete({ pk, owner: 'worker-b', status: 'INDEXED', sha256: 'ff', eventTime: T1 });
    const done = await state.get(pk);
    assert.equal(done?.status, 'INDEXED');
    assert.equal(done?.error, undefined, 'complete clears the old error');
  });

  test('delete: claim, complete DELETED, redelivered delete → duplicate', async () => {
    const pk = key();
    await state.claim(req(pk));
    await state.complete({ pk, owner: 'worker-a', status: 'INDEXED', sha256: 'aa', size: 1, eventTime: T1 });
    const del = await state.claim(req(pk, { kind: 'delete', etag: undefined, sequencer: '0055AED6DCD90281F0', eventTime: T2 }));
    assert.equal(del.kind, 'claimed');
    await state.complete({ pk, owner: 'worker-a', status: 'DELETED', eventTime: T2 });
    const rec = await state.get(pk);
    assert.equal(rec?.status, 'DELETED');
    assert.equal(rec?.sha256, undefined);
    assert.equal(rec?.size, undefined);
    const again = await state.claim(req(pk, { kind: 'delete', etag: undefined, sequencer: '0055AED6DCD90281F0', eventTime: T2, owner: 'worker-b' }));
    assert.equal(again.kind, 'duplicate');
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
  });

  test('an abort signal aborts the call', async () => {
    const pk = key();
    await assert.rejects(state.claim(req(pk), { signal: AbortSignal.abort() }), { name: 'AbortError' });
    await assert.rejects(state.get(pk, { signal: AbortSignal.abort() }), { name: 'AbortError' });
    await assert.rejects(state.renew(pk, 'worker-a', NOW, { signal: AbortSignal.abort() }), { name: 'AbortError' });

    // Aborted while the request is under way.
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
