/**
 * `spot-ingest dlq list` and `spot-ingest dlq redrive`: look at the dead-letter queue and move
 * messages back to the source queue (docs/design.md §4). The DLQ is INGEST_DLQ_URL, else the one named
 * by the queue's RedrivePolicy; in local mode, the running daemon's embedded DLQ.
 *
 * Both work with ReceiveMessage / SendMessage / DeleteMessage only, so they run against SQS and
 * the emulators alike (SQS's StartMessageMoveTask is not supported by the local emulator).
 */
import {
  ChangeMessageVisibilityBatchCommand, DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand,
  type Message, type MessageAttributeValue, type SQSClient,
} from '@aws-sdk/client-sqs';
import { InvalidArgumentError, type Command } from 'commander';
import { createAwsClients } from '../adapters/aws/clients.ts';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { discoverDlqUrl } from '../consumer/dlq-discovery.ts';
import { parseMessageBody } from '../messages/parse.ts';
import { explainAwsError, localStackClients, readRunningLocalStack } from './aws-target.ts';
import { textTable } from '../lib/text-table.ts';

/** `dlq list` hides what it receives for this long, then makes it visible again at once. */
export const LIST_VISIBILITY_SECONDS = 2;
/** `dlq redrive` holds a message this long while it copies it to the queue and deletes it. */
export const REDRIVE_VISIBILITY_SECONDS = 30;
/** Long-poll wait per receive: returns as soon as anything is there; on SQS, unlike a short poll, it asks every server. */
const RECEIVE_WAIT_SECONDS = 1;

/** The attributes the Acknowledger adds when it dead-letters a message (not carried back on redrive). */
const DIAGNOSTIC_ATTRIBUTES = new Set(['ErrorCode', 'ErrorMessage', 'FailedAt', 'ReceiveCount', 'OriginalMessageId']);

export interface DeadLetter {
  /** The message id on the DLQ (what `dlq redrive <id>` takes). */
  messageId: string;
  /** The id it had on the source queue (Acknowledger's OriginalMessageId); also accepted by redrive. */
  originalMessageId: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  failedAt: string | null;
  /** Receives on the source queue when it failed. */
  receiveCount: number | null;
  /** Error codes of the attempts before the last one, oldest first (where the daemon knew them). */
  earlierErrorCodes: string[];
  /** Object keys named by the body, when it parses. */
  keys: string[];
  body: string;
}

interface DlqTarget {
  sqs: SQSClient;
  dlqUrl: string;
  /** Where redrive sends messages back to. */
  queueUrl: string;
  destroy(): void;
}

async function resolveDlq(config: Config): Promise<DlqTarget> {
  if (config.localMode) {
    if (config.dlqUrl !== undefined) {
      throw new ConfigError('INGEST_DLQ_URL: set INGEST_QUEUE_URL too (local mode uses the running daemon\'s own DLQ)');
    }
    const stack = readRunningLocalStack(config.dataDir);
    const clients = localStackClients(stack);
    return { sqs: clients.sqs, dlqUrl: stack.dlqUrl, queueUrl: stack.queueUrl, destroy: () => clients.destroy() };
  }
  const queueUrl = config.queueUrl!;
  const clients = createAwsClients(config.env);
  try {
    let dlqUrl = config.dlqUrl;
    if (dlqUrl === undefined) {
      dlqUrl = await discoverDlqUrl(clients.sqs, queueUrl).catch((err: unknown) => {
        throw explainAwsError(err, `reading the RedrivePolicy of ${queueUrl}`);
      });
    }
    if (dlqUrl === undefined) {
      throw new ConfigError(`INGEST_DLQ_URL: required, as ${queueUrl} has no RedrivePolicy naming a dead-letter queue`);
    }
    return { sqs: clients.sqs, dlqUrl, queueUrl, destroy: () => clients.destroy() };
  } catch (err) {
    clients.destroy();
    throw err;
  }
}

function attribute(message: Message, name: string): string | null {
  return message.MessageAttributes?.[name]?.StringValue ?? null;
}

function keysOf(body: string): string[] {
  try {
    const parsed = parseMessageBody(body);
    return parsed.kind === 'events' ? parsed.events.map((e) => e.key) : [];
  } catch {
    return [];
  }
}

export function toDeadLetter(message: Message): DeadLetter {
  const count = Number(attribute(message, 'ReceiveCount') ?? Number.NaN);
  const body = message.Body ?? '';
  return {
    messageId: message.MessageId ?? '',
    originalMessageId: attribute(message, 'OriginalMessageId'),
    errorCode: attribute(message, 'ErrorCode'),
    errorMessage: attribute(message, 'ErrorMessage'),
    failedAt: attribute(message, 'FailedAt'),
    receiveCount: Number.isFinite(count) ? count : null,
    earlierErrorCodes: (attribute(message, 'EarlierErrorCodes') ?? '').split(',').filter(Boolean),
    keys: keysOf(body),
    body,
  };
}

async function receive(sqs: SQSClient, queueUrl: string, max: number, visibilityTimeout: number): Promise<Message[]> {
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl, MaxNumberOfMessages: Math.max(1, Math.min(10, max)), VisibilityTimeout: visibilityTimeout,
      WaitTimeSeconds: RECEIVE_WAIT_SECONDS, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['MessageGroupId'],
    }),
  );
  return (out.Messages ?? []).filter((m) => m.MessageId !== undefined && m.ReceiptHandle !== undefined);
}

/** Visibility 0 for what we hold, so it is available again at once. Best effort: a stale handle only means it already is. */
async function release(sqs: SQSClient, queueUrl: string, receiptHandles: string[]): Promise<void> {
  for (let i = 0; i < receiptHandles.length; i += 10) {
    const entries = receiptHandles.slice(i, i + 10).map((handle, j) => ({ Id: String(j), ReceiptHandle: handle, VisibilityTimeout: 0 }));
    await sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: entries })).catch(() => undefined);
  }
}

/**
 * Up to `limit` messages from the DLQ, each received with a LIST_VISIBILITY_SECONDS visibility
 * timeout and made visible again at the end. SQS returns at most 10 per receive: receives until
 * the limit or until one brings nothing new (de-duplicated by MessageId).
 */
export async function listDeadLetters(sqs: SQSClient, dlqUrl: string, limit: number): Promise<{ letters: DeadLetter[]; more: boolean }> {
  const seen = new Map<string, Message>();
  const handles: string[] = [];
  try {
    while (seen.size < limit) {
      const messages = await receive(sqs, dlqUrl, limit - seen.size, LIST_VISIBILITY_SECONDS);
      handles.push(...messages.map((m) => m.ReceiptHandle!));
      const fresh = messages.filter((m) => !seen.has(m.MessageId!));
      if (fresh.length === 0) break;
      for (const m of fresh) seen.set(m.MessageId!, m);
    }
  } finally {
    await release(sqs, dlqUrl, handles);
  }
  return { letters: [...seen.values()].slice(0, limit).map(toDeadLetter), more: seen.size >= limit };
}

const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export function formatDeadLetters(letters: DeadLetter[], dlqUrl: string, more: boolean): string {
  if (letters.length === 0) return `the dead-letter queue ${dlqUrl} is empty\n`;
  const rows = letters.map((l) => [
    l.messageId,
    l.originalMessageId ?? '-',
    l.errorCode === null ? '-' : [...l.earlierErrorCodes, l.errorCode].join(' → '),
    l.failedAt ?? '-',
    l.receiveCount === null ? '-' : String(l.receiveCount),
    l.keys.length === 0 ? '-' : truncate(l.keys.join(', '), 60),
    l.errorMessage === null ? '-' : truncate(l.errorMessage.replace(/\s+/g, ' '), 80),
  ]);
  const header = ['MESSAGE ID', 'ORIGINAL MESSAGE ID', 'ERROR CODE', 'FAILED AT', 'RECEIVES', 'KEY(S)', 'ERROR MESSAGE'];
  const count = `${letters.length}${more ? '+' : ''} dead-lettered message${letters.length === 1 ? '' : 's'}`;
  return [
    `${count} on ${dlqUrl}:`, '', ...textTable(header, rows, { lastUnpadded: true }), '',
    ...(more ? [`(stopped at --limit ${letters.length}; there may be more)`] : []),
    ...(letters.some((l) => l.errorCode === null) ? ['"-" in ERROR CODE: not dead-lettered by spot-ingest (e.g. moved by SQS after maxReceiveCount: retries exhausted).'] : []),
    'Move them back with: spot-ingest dlq redrive <message id>… | --all',
    '',
  ].join('\n');
}

/** The message attributes to carry back: the producer's own, not the dead-letter diagnostics. */
function carriedAttributes(message: Message): Record<string, MessageAttributeValue> | undefined {
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    if (DIAGNOSTIC_ATTRIBUTES.has(name) || value.DataType === undefined) continue;
    out[name] = {
      DataType: value.DataType,
      ...(value.StringValue !== undefined ? { StringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { BinaryValue: value.BinaryValue } : {}),
    };
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export interface RedriveResult {
  moved: DeadLetter[];
  /** Ids asked for that were not found on the DLQ. */
  notFound: string[];
}

/**
 * Move messages from the DLQ back to the queue: SendMessage with the original body (and the
 * producer's attributes), THEN DeleteMessage from the DLQ — a failure between the two leaves a
 * copy on both queues, never on neither (the daemon sees the copy as a duplicate).
 * `ids` match the DLQ MessageId or the OriginalMessageId attribute; `all` takes everything there.
 * A message this very run moved and that was dead-lettered again meanwhile (a daemon is consuming
 * the queue) is left alone, so `--all` always ends.
 */
export async function redriveDeadLetters(
  sqs: SQSClient,
  dlqUrl: string,
  queueUrl: string,
  select: { all: true } | { ids: string[] },
  onMoved?: (letter: DeadLetter) => void,
): Promise<RedriveResult> {
  const wanted = 'ids' in select ? new Set(select.ids) : undefined;
  const seen = new Set<string>();
  const sentIds = new Set<string>();
  const held: string[] = [];
  const moved: DeadLetter[] = [];
  const fifo = queueUrl.endsWith('.fifo');
  try {
    while (wanted === undefined || wanted.size > 0) {
      const messages = (await receive(sqs, dlqUrl, 10, REDRIVE_VISIBILITY_SECONDS)).filter((m) => !seen.has(m.MessageId!));
      if (messages.length === 0) break;
      for (const m of messages) {
        seen.add(m.MessageId!);
        const letter = toDeadLetter(m);
        const ids = [letter.messageId, letter.originalMessageId].filter((id): id is string => id !== null);
        const again = ids.some((id) => sentIds.has(id));
        if (again || (wanted !== undefined && !ids.some((id) => wanted.has(id)))) {
          held.push(m.ReceiptHandle!);
          continue;
        }
        held.push(m.ReceiptHandle!); // released if the move fails
        const attributes = carriedAttributes(m);
        const sent = await sqs.send(
          new SendMessageCommand({
            QueueUrl: queueUrl, MessageBody: letter.body,
            ...(attributes ? { MessageAttributes: attributes } : {}),
            ...(fifo ? { MessageGroupId: m.Attributes?.MessageGroupId ?? 'spot-ingest-redrive', MessageDeduplicationId: letter.messageId } : {}),
          }),
        );
        if (sent.MessageId !== undefined) sentIds.add(sent.MessageId);
        try {
          await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: m.ReceiptHandle! }));
        } catch (err) {
          throw Object.assign(new Error(`message ${letter.messageId} was sent back to the queue (as ${sent.MessageId}) but could not be deleted from the DLQ, so it is on both: ${(err as Error).message}`), { cause: err });
        }
        held.pop();
        for (const id of ids) wanted?.delete(id);
        moved.push(letter);
        onMoved?.(letter);
      }
    }
  } finally {
    await release(sqs, dlqUrl, held);
  }
  return { moved, notFound: wanted === undefined ? [] : [...wanted] };
}

export async function dlqListCommand(config: Config, options: { limit: number; json: boolean }, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const target = await resolveDlq(config);
  try {
    const { letters, more } = await listDeadLetters(target.sqs, target.dlqUrl, options.limit).catch((err: unknown) => {
      throw explainAwsError(err, `reading the dead-letter queue ${target.dlqUrl}`);
    });
    out.write(options.json ? `${JSON.stringify(letters, null, 2)}\n` : formatDeadLetters(letters, target.dlqUrl, more));
    return 0;
  } finally {
    target.destroy();
  }
}

export async function dlqRedriveCommand(
  config: Config,
  ids: string[],
  options: { all: boolean },
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  if (options.all && ids.length > 0) throw new ConfigError('dlq redrive: give message ids or --all, not both');
  if (!options.all && ids.length === 0) throw new ConfigError('dlq redrive: give the message ids to move (see `spot-ingest dlq list`) or --all');
  const target = await resolveDlq(config);
  try {
    const result = await redriveDeadLetters(target.sqs, target.dlqUrl, target.queueUrl, options.all ? { all: true } : { ids }, (l) => {
      out.write(`moved  ${l.messageId}  ${l.errorCode ?? '-'}  ${l.keys.length === 0 ? '-' : truncate(l.keys.join(', '), 80)}\n`);
    }).catch((e: unknown) => {
      throw explainAwsError(e, `moving messages from ${target.dlqUrl} to ${target.queueUrl}`);
    });
    const n = result.moved.length;
    out.write(`moved ${n} message${n === 1 ? '' : 's'} from ${target.dlqUrl} back to ${target.queueUrl}\n`);
    if (result.notFound.length > 0) {
      err.write(`spot-ingest: not on the dead-letter queue (or held by another reader right now): ${result.notFound.join(', ')}\n`);
      return 1;
    }
    return 0;
  } finally {
    target.destroy();
  }
}

export function registerDlq(program: Command): void {
  const dlq = program
    .command('dlq')
    .description('inspect the dead-letter queue and move messages back to the queue')
    .addHelpText(
      'after',
      `
The DLQ is INGEST_DLQ_URL, else the one named by INGEST_QUEUE_URL's RedrivePolicy; in local mode
(INGEST_QUEUE_URL unset) the DLQ of the daemon running on INGEST_DATA_DIR.`,
    );

  dlq
    .command('list')
    .description(`show dead-lettered messages without consuming them (each is hidden for ${LIST_VISIBILITY_SECONDS} s, then made visible again)`)
    .option('-n, --limit <n>', 'at most this many messages', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new InvalidArgumentError('must be a whole number from 1 to 10000');
      return n;
    }, 100)
    .option('--json', 'print them as JSON (with the full error message and body)')
    .addHelpText(
      'after',
      `
Messages are received with a ${LIST_VISIBILITY_SECONDS} s visibility timeout and set back to visibility 0 at once,
so they stay on the DLQ; a listing counts as a receive of each message. SQS returns at most 10
per receive: list receives until --limit or until nothing new arrives.`,
    )
    .action(async (options: { limit: number; json?: boolean }) => {
      process.exitCode = await dlqListCommand(loadConfig(), { limit: options.limit, json: options.json === true });
    });

  dlq
    .command('redrive')
    .description('move dead-lettered messages back to the queue they came from')
    .argument('[ids...]', 'DLQ message ids or original message ids, as `dlq list` shows them')
    .option('--all', 'move every message on the DLQ')
    .addHelpText(
      'after',
      `
Each message is sent to the queue with its original body (and its producer's attributes, without
the ErrorCode/ErrorMessage/FailedAt/ReceiveCount/OriginalMessageId diagnostics), then deleted from
the DLQ — in that order, so a failure in between leaves a copy on both, never on neither.
This uses ReceiveMessage/SendMessage/DeleteMessage, which work on SQS and the local emulator alike;
SQS's native StartMessageMoveTask is not supported by the emulator. Exit 1 if an id is not found.`,
    )
    .action(async (ids: string[], options: { all?: boolean }) => {
      process.exitCode = await dlqRedriveCommand(loadConfig(), ids, { all: options.all === true });
    });
}
