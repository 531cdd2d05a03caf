/**
 * SpendLedger on the state table: one item per UTC day, `pk = "#bedrock-spend/<day>"`, whose `usd`
 * grows by an atomic `ADD` (no read-modify-write race between instances). No bucket name can
 * start with `#`, so the key never meets a file record (`<bucket>/<key>`). `expiresAt` lets a
 * table with TTL on `expiresAt` drop old days; without TTL they are a few bytes a day.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SpendLedger } from '../embedder/spend-ledger.ts';

export const SPEND_KEY_PREFIX = '#bedrock-spend/';
const KEEP_DAYS = 35;

export class DynamoDbSpendLedger implements SpendLedger {
  readonly where: string;
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(client: DynamoDBClient, table: string) {
    this.#doc = DynamoDBDocumentClient.from(client);
    this.#table = table;
    this.where = `DynamoDB table ${table}`;
  }

  async add(day: string, usd: number, options: { signal?: AbortSignal } = {}): Promise<number> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new RangeError(`not a UTC day: ${day}`);
    if (!Number.isFinite(usd) || usd < 0) throw new RangeError(`not an amount of USD: ${usd}`);
    const out = await this.#doc.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: { pk: `${SPEND_KEY_PREFIX}${day}` },
        UpdateExpression: 'ADD usd :usd SET updatedAt = :now, expiresAt = :expires',
        ExpressionAttributeValues: {
          ':usd': usd,
          ':now': new Date().toISOString(),
          ':expires': Math.floor(Date.parse(`${day}T00:00:00Z`) / 1000) + KEEP_DAYS * 86_400,
        },
        ReturnValues: 'UPDATED_NEW',
      }),
      options.signal ? { abortSignal: options.signal } : {},
    );
    const total = out.Attributes?.usd;
    return typeof total === 'number' ? total : Number(total ?? 0);
  }
}
