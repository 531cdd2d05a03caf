/**
 * Where the fleet's Bedrock spend of a day is added up, so INGEST_BEDROCK_DAILY_BUDGET_USD caps
 * every instance of the Auto Scaling group together. Implementation: the state table
 * (src/adapters/state/dynamodb-spend-ledger.ts).
 */
export interface SpendLedger {
  /** Adds `usd` to the day's total (0 just reads it) and returns the new total. */
  add(day: string, usd: number, options?: { signal?: AbortSignal }): Promise<number>;
  /** Where it is kept, for messages. */
  readonly where: string;
}
