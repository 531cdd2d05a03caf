/**
 * StatePort on DynamoDB (docs/design.md §5): one item per object, partition key `pk`.
 *
 * Claims are read → decide (claim-decision.ts) → conditional write. Every write bumps a numeric
 * `rev` attribute and a claim is conditional on the `rev` it read (or `attribute_not_exists(pk)`
 * for a new item), so of two workers racing on the same object exactly one write succeeds; the
 * loser reads again and decides again (now usually `busy` or `duplicate`).
 * Lease operations (renew / complete / fail / dropLease) are conditional on `leaseOwner = :owner`
 * and reject with the transient IngestError `LEASE_LOST` otherwise. SDK errors propagate as they
 * are (one classifier elsewhere maps throttling / 5xx / aborts).
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type NativeAttributeValue,
} from '@aws-sdk/lib-dynamodb';
import { transient } from '../../core/errors.ts';
import { crashesAfterClaim, decideClaim } from './claim-decision.ts';
import type { ClaimRequest, ClaimResult, CompleteRequest, FileRecord, StateOptions } from '../../core/file-record.ts';
import { recordFromFields } from './record-fields.ts';

export interface DynamoDbStateOptions {
  /** The DynamoDB client to use; when omitted the adapter creates (and owns) one. */
  client?: DynamoDBClient;
  table: string;
  /** Destroy `client` on close(). Defaults to true only when the adapter created the client. */
  ownsClient?: boolean;
  /** Read-decide-write rounds before a contended claim gives up with STATE_CONFLICT. Default 5. */
  maxClaimAttempts?: number;
  /** Clock for `updatedAt` (tests). */
  clock?: () => Date;
}

type Item = Record<string, NativeAttributeValue>;

/** Attributes a claim takes from the request (the version being claimed). */
const VERSION_FIELDS = ['etag', 'versionId', 'sequencer'] as const;
/** Attributes describing the content of a completed version. */
const CONTENT_FIELDS = ['sha256', 'size', 'contentType', 'steps', 'warnings'] as const;

export class DynamoDbState {
  readonly table: string;
  private readonly client: DynamoDBClient;
  private readonly doc: DynamoDBDocumentClient;
  private readonly ownsClient: boolean;
  private readonly maxClaimAttempts: number;
  private readonly clock: () => Date;
  private closed = false;

  constructor(options: DynamoDbStateOptions) {
    if (!options.table) throw new TypeError('DynamoDbState: table is required');
    this.table = options.table;
    this.client = options.client ?? new DynamoDBClient({});
    this.ownsClient = options.ownsClient ?? options.client === undefined;
    this.doc = DynamoDBDocumentClient.from(this.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.maxClaimAttempts = Math.max(1, options.maxClaimAttempts ?? 5);
    this.clock = options.clock ?? (() => new Date());
  }

  async claim(request: ClaimRequest, options?: StateOptions): Promise<ClaimResult> {
    const signal = options?.signal;
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      const item = await this.read(request.pk, signal);
      const existing = item === null ? null : toRecord(item);
      const decision = decideClaim(existing, request);
      if (decision.kind !== 'claim') {
        // decideClaim only answers claim when there is no record.
        return { kind: decision.kind, record: existing! };
      }
      const crashes = crashesAfterClaim(existing, request);
      try {
        await this.writeClaim(request, item, crashes, signal);
        return { kind: 'claimed', previous: existing, crashes };
      } catch (err) {
        if (!isConditionalCheckFailed(err)) throw err;
        if (attempt >= this.maxClaimAttempts) {
          throw transient('STATE_CONFLICT', `claim of ${request.pk} lost ${attempt} races in a row`, err, {
            pk: request.pk,
            owner: request.owner,
          });
        }
      }
    }
  }

  async renew(pk: string, owner: string, leaseUntil: number, options?: StateOptions): Promise<void> {
    await this.leaseUpdate(pk, owner, 'renew', {
      set: { leaseUntil },
    }, options?.signal);
  }

  async markExtracting(pk: string, owner: string, extracting: boolean, options?: StateOptions): Promise<void> {
    const changes = extracting ? { set: { extractingSince: this.clock().toISOString() } } : { set: {}, remove: ['extractingSince'] };
    await this.leaseUpdate(pk, owner, 'markExtracting', changes, options?.signal);
  }

  async complete(request: CompleteRequest, options?: StateOptions): Promise<void> {
    const set: Item = { status: request.status, eventTime: request.eventTime, leaseUntil: 0 };
    const remove: string[] = ['leaseOwner', 'error', 'extractingSince', 'crashes'];
    for (const field of VERSION_FIELDS) {
      if (request[field] !== undefined) set[field] = request[field];
    }
    // The record describes the version just completed: content fields of an earlier version go.
    for (const field of CONTENT_FIELDS) {
      if (request[field] !== undefined) set[field] = request[field];
      else remove.push(field);
    }
    await this.leaseUpdate(request.pk, request.owner, 'complete', { set, remove }, options?.signal);
  }

  async fail(pk: string, owner: string, error: string, options?: StateOptions): Promise<void> {
    await this.leaseUpdate(pk, owner, 'fail', {
      set: { status: 'FAILED', error, leaseUntil: 0 },
      remove: ['leaseOwner', 'extractingSince'],
    }, options?.signal);
  }

  async dropLease(pk: string, owner: string, options?: StateOptions): Promise<void> {
    await this.leaseUpdate(pk, owner, 'dropLease', {
      set: { leaseUntil: 0 },
      remove: ['leaseOwner', 'extractingSince'],
    }, options?.signal);
  }

  async get(pk: string, options?: StateOptions): Promise<FileRecord | null> {
    const item = await this.read(pk, options?.signal);
    return item === null ? null : toRecord(item);
  }

  /** DescribeTable: a cheap call that tells whether DynamoDB answers (the circuit's probe). */
  async probe(signal?: AbortSignal): Promise<void> {
    await this.client.send(new DescribeTableCommand({ TableName: this.table }), { abortSignal: signal });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsClient) this.client.destroy();
  }

  private async read(pk: string, signal: AbortSignal | undefined): Promise<Item | null> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { pk }, ConsistentRead: true }),
      { abortSignal: signal },
    );
    return out.Item ?? null;
  }

  /** Put the claimed item, conditional on the item (and its `rev`) being what was read. */
  private async writeClaim(request: ClaimRequest, current: Item | null, crashes: number, signal: AbortSignal | undefined): Promise<void> {
    const next: Item = { ...(current ?? {}) };
    for (const field of VERSION_FIELDS) delete next[field];
    delete next['extractingSince'];
    if (crashes > 0) next['crashes'] = crashes;
    else delete next['crashes'];
    const previousRev = current?.['rev'];
    const attempts = typeof current?.['attempts'] === 'number' ? current['attempts'] : 0;
    Object.assign(next, {
      pk: request.pk,
      status: 'PROCESSING',
      etag: request.etag,
      versionId: request.versionId,
      sequencer: request.sequencer,
      eventTime: request.eventTime,
      leaseOwner: request.owner,
      leaseUntil: request.leaseUntil,
      attempts: attempts + 1,
      updatedAt: this.clock().toISOString(),
      rev: (typeof previousRev === 'number' ? previousRev : 0) + 1,
    });

    let condition: Pick<PutInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>;
    if (current === null) {
      condition = { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': 'pk' } };
    } else if (typeof previousRev === 'number') {
      condition = {
        ConditionExpression: '#rev = :rev',
        ExpressionAttributeNames: { '#rev': 'rev' },
        ExpressionAttributeValues: { ':rev': previousRev },
      };
    } else {
      // An item written before `rev` existed (or by other tooling): it must still lack one.
      condition = {
        ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(#rev)',
        ExpressionAttributeNames: { '#pk': 'pk', '#rev': 'rev' },
      };
    }
    await this.doc.send(new PutCommand({ TableName: this.table, Item: next, ...condition }), { abortSignal: signal });
  }

  /** An update conditional on holding the lease; bumps `rev` so concurrent claims re-read. */
  private async leaseUpdate(
    pk: string,
    owner: string,
    operation: string,
    changes: { set: Item; remove?: string[] },
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const names: Record<string, string> = { '#leaseOwner': 'leaseOwner', '#rev': 'rev' };
    const values: Item = { ':owner': owner, ':one': 1 };
    const sets: string[] = [];
    const set: Item = { ...changes.set, updatedAt: this.clock().toISOString() };
    let i = 0;
    for (const [field, value] of Object.entries(set)) {
      if (value === undefined) continue;
      names[`#s${i}`] = field;
      values[`:s${i}`] = value;
      sets.push(`#s${i} = :s${i}`);
      i++;
    }
    const removes = (changes.remove ?? []).map((field, j) => {
      names[`#r${j}`] = field;
      return `#r${j}`;
    });
    let expression = `SET ${sets.join(', ')} ADD #rev :one`;
    if (removes.length > 0) expression += ` REMOVE ${removes.join(', ')}`;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk },
          UpdateExpression: expression,
          ConditionExpression: '#leaseOwner = :owner',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
        { abortSignal: signal },
      );
    } catch (err) {
      if (isConditionalCheckFailed(err)) {
        throw transient('LEASE_LOST', `${operation} of ${pk}: lease is no longer held by ${owner}`, err, {
          pk,
          owner,
          operation,
        });
      }
      throw err;
    }
  }
}

type PutInput = ConstructorParameters<typeof PutCommand>[0];

export function isConditionalCheckFailed(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'ConditionalCheckFailedException';
}

/** Item → FileRecord: `steps` / `warnings` are native map / list attributes (see record-fields.ts). */
export function toRecord(item: Item): FileRecord {
  return recordFromFields(item);
}
