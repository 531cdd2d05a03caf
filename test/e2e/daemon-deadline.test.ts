/**
 * Hung and crashing files with the spawned daemon (docs/design.md §4): a job past its deadline
 * (INGEST_JOB_TIMEOUT_SECONDS) is aborted — its worker thread terminated and replaced, its slot and
 * lease given back — and dead-lettered with JOB_TIMEOUT on its last allowed receive; a file whose
 * attempts took the whole process down twice while extracting is dead-lettered with PROCESS_CRASHED
 * instead of being run again.
 *
 * Both use the test hook INGEST_TEST_HANG_MARKER: a PDF containing the marker spins its worker
 * thread forever, as a file that hangs pdf.js or tesseract would.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { putObject, queueCounts, receiveVisible, send, testDynamo } from '../support/aws.ts';
import { isOutcomeLine, outcomeLines, runCli, spawnDaemon, type SpawnedDaemon } from '../support/daemon.ts';
import { FIXTURES } from '../support/documents.ts';
import { createE2eStack, type E2eStack } from '../support/e2e-stack.ts';
import { nativeEvent } from '../support/events.ts';
import { waitFor } from '../support/wait-for.ts';

const MARKER = 'spot-ingest-test-hang';

async function uploadPdfs(stack: E2eStack): Promise<{ hung: string; fine: string }> {
  const pdf = await readFile(join(FIXTURES, 'born-digital-ja.pdf'));
  await putObject(stack.s3, stack.bucket, 'docs/hangs.pdf', Buffer.concat([pdf, Buffer.from(`\n%${MARKER}\n`)]), 'application/pdf');
  await putObject(stack.s3, stack.bucket, 'docs/fine.pdf', pdf, 'application/pdf');
  return { hung: 'docs/hangs.pdf', fine: 'docs/fine.pdf' };
}

async function record(stack: E2eStack, key: string): Promise<Record<string, unknown> | undefined> {
  const doc = DynamoDBDocumentClient.from(testDynamo());
  try {
    return (await doc.send(new GetCommand({ TableName: stack.table, Key: { pk: `${stack.bucket}/${key}` }, ConsistentRead: true }))).Item;
  } finally {
    doc.destroy();
  }
}

async function deadLetters(stack: E2eStack) {
  return waitFor(async () => {
    const messages = await receiveVisible(stack.sqs, stack.dlqUrl);
    return messages.length > 0 ? messages : undefined;
  }, { what: 'a dead letter', timeoutMs: 60_000, intervalMs: 250 });
}

test('a job past its deadline is aborted: its worker is replaced, its slot and lease are freed, and its last receive dead-letters it with JOB_TIMEOUT', async () => {
  const stack = await createE2eStack('e2e-deadline', { maxReceiveCount: 2 });
  let daemon: SpawnedDaemon | undefined;
  try {
    const { hung, fine } = await uploadPdfs(stack);
    // one slot and one worker thread: the second file can only run once the hung job gave both up
    daemon = spawnDaemon(stack.env({
      INGEST_TEST_HANG_MARKER: MARKER, INGEST_JOB_TIMEOUT_SECONDS: '2', INGEST_JOB_TIMEOUT_PER_PAGE_SECONDS: '0',
      INGEST_CONCURRENCY: '1', INGEST_POOL_SIZE: '1',
    }));
    await daemon.waitForLog((l) => l.msg === 'consuming', 'daemon to start');
    await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, hung));
    await daemon.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('job past its deadline'), 'the deadline to pass', 30_000);
    const first = await daemon.waitForLog((l) => l.outcome === 'retry' && l.code === 'JOB_TIMEOUT', 'the hung job to be given back');
    assert.equal(first.via, 'visibility');
    const afterFirst = await record(stack, hung);
    assert.equal(afterFirst?.['leaseOwner'], undefined, 'its lease was given back');
    assert.equal(afterFirst?.['status'], 'PROCESSING');

    await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, fine));
    await waitFor(() => stack.indexed(fine), { what: 'the other PDF read by the replaced worker thread', timeoutMs: 60_000 });

    await waitFor(async () => (await queueCounts(stack.sqs, stack.dlqUrl)).total === 1, { what: 'a dead letter', timeoutMs: 60_000, intervalMs: 250 });
    // what an operator sees: the reason of the last attempt and of the one before
    const listed = await runCli(['dlq', 'list', '--json'], stack.env());
    assert.equal(listed.code, 0, listed.stderr);
    const [letter] = JSON.parse(listed.stdout) as Array<{ errorCode: string; earlierErrorCodes: string[]; receiveCount: number; errorMessage: string; failedAt: string; keys: string[] }>;
    assert.equal(letter!.errorCode, 'JOB_TIMEOUT');
    assert.deepEqual(letter!.earlierErrorCodes, ['JOB_TIMEOUT']);
    assert.equal(letter!.receiveCount, 2);
    assert.match(letter!.errorMessage, /deadline/);
    assert.ok(letter!.failedAt);
    assert.deepEqual(letter!.keys, [hung]);
    assert.ok(daemon.logs().some((l) => typeof l.msg === 'string' && l.msg.startsWith('last receive before SQS redrive')), 'the last receive was rolled over, not left to redrive');
    assert.equal(stack.indexed(hung), false);
    // the outcome line follows the dead letter's send and the message's delete
    await daemon.waitForLog((l) => isOutcomeLine(l) && l.outcome === 'dead-letter', 'the dead-letter outcome line');
    await waitFor(async () => (await queueCounts(stack.sqs, stack.queueUrl)).total === 0, { what: 'queue empty' });
    assert.equal(outcomeLines(daemon.logs()).filter((l) => l.outcome === 'dead-letter').length, 1);
    assert.equal((await daemon.stop()).code, 0);
  } finally {
    if (daemon && daemon.child.exitCode === null) await daemon.stop('SIGKILL').catch(() => undefined);
    await stack.close();
  }
});

test('a file that took the whole process down twice while extracting is dead-lettered with PROCESS_CRASHED, not run a third time', async () => {
  const stack = await createE2eStack('e2e-crash-guard', { maxReceiveCount: 5 });
  const daemons: SpawnedDaemon[] = [];
  try {
    const { hung } = await uploadPdfs(stack);
    const env = stack.env({ INGEST_TEST_HANG_MARKER: MARKER, INGEST_VISIBILITY_TIMEOUT: '10', INGEST_CONCURRENCY: '1' });
    await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, hung));
    let mark: unknown;
    for (let crash = 1; crash <= 2; crash++) {
      const daemon = spawnDaemon(env);
      daemons.push(daemon);
      // the attempt has marked the record and its worker spins: the process dies as a crashing parser would take it
      // (a new mark: the one the killed attempt before left behind stays until the next claim)
      mark = await waitFor(async () => {
        const since = (await record(stack, hung))?.['extractingSince'];
        return since !== undefined && since !== mark ? since : undefined;
      }, { what: `attempt ${crash} extracting`, timeoutMs: 60_000, intervalMs: 200 });
      daemon.child.kill('SIGKILL');
      await daemon.exited;
      assert.equal((await record(stack, hung))?.['status'], 'PROCESSING');
    }
    const survivor = spawnDaemon(env);
    daemons.push(survivor);
    const [letter] = await deadLetters(stack);
    assert.equal(letter!.MessageAttributes?.['ErrorCode']?.StringValue, 'PROCESS_CRASHED');
    const final = await record(stack, hung);
    assert.equal(final?.['status'], 'FAILED');
    assert.match(String(final?.['error']), /^PROCESS_CRASHED/);
    assert.equal(final?.['crashes'], 2);
    assert.equal(final?.['extractingSince'], undefined, 'the third attempt never started extracting');
    assert.ok(!survivor.logs().some((l) => typeof l.msg === 'string' && l.msg.startsWith('job past its deadline')));
    assert.equal((await survivor.stop()).code, 0);
  } finally {
    for (const daemon of daemons) if (daemon.child.exitCode === null && daemon.child.signalCode === null) await daemon.stop('SIGKILL').catch(() => undefined);
    await stack.close();
  }
});
