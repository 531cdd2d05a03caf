/**
 * Development helper behind `spot-ingest setup --create-table` (docs/design.md §3): creates the state
 * table (on-demand billing, partition key `pk` string) unless it exists, waits until it is ACTIVE,
 * and turns on TTL on `expiresAt` for a table it created (content records and the Bedrock spend
 * ledger carry it; an existing table is left as it is). In production the table comes from the
 * operator's infrastructure code (deploy/ sets the same TTL).
 */
import {
  CreateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { permanent } from '../../core/errors.ts';

/** The attribute the table's TTL reads (epoch seconds). */
export const TTL_ATTRIBUTE = 'expiresAt';

export interface CreateStateTableOptions {
  signal?: AbortSignal;
  /** Longest wait for the table to become ACTIVE, in seconds. Default 120. */
  maxWaitSeconds?: number;
}

export interface CreateStateTableResult {
  /** false when the table already existed (or was being created by someone else). */
  created: boolean;
  table: TableDescription | undefined;
}

export async function createStateTable(
  client: DynamoDBClient,
  table: string,
  options: CreateStateTableOptions = {},
): Promise<CreateStateTableResult> {
  const { signal } = options;
  let created = true;
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
      { abortSignal: signal },
    );
  } catch (err) {
    // ResourceInUseException: the table exists already, or is being created.
    if ((err as { name?: unknown } | null)?.name !== 'ResourceInUseException') throw err;
    created = false;
  }

  const waited = await waitUntilTableExists(
    { client, maxWaitTime: options.maxWaitSeconds ?? 120, minDelay: 1, maxDelay: 5, abortSignal: signal },
    { TableName: table },
  );
  const description = (waited.reason as { Table?: TableDescription } | undefined)?.Table;

  const hashKey = description?.KeySchema?.find((k) => k.KeyType === 'HASH');
  const rangeKey = description?.KeySchema?.find((k) => k.KeyType === 'RANGE');
  const pkType = description?.AttributeDefinitions?.find((a) => a.AttributeName === 'pk')?.AttributeType;
  if (description && (hashKey?.AttributeName !== 'pk' || rangeKey !== undefined || pkType !== 'S')) {
    throw permanent('STATE_TABLE_SCHEMA', `table ${table} exists but its key is not a single string partition key "pk"`, undefined, {
      table,
      keySchema: description.KeySchema,
    });
  }
  if (created) {
    await client.send(new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true } }), { abortSignal: signal });
  }
  return { created, table: description };
}
