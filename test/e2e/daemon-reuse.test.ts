/**
 * Copies cost nothing (docs/design.md §5 "content records"), with the spawned daemon against the
 * local servers and the Bedrock stand-in: copies of a scanned page and of a text file under other
 * keys are OCRed and embedded once and indexed from that extraction (same documents apart from
 * the key's own fields, each with its own thumbnail); the outcome line and /metrics say so; a
 * delete of one copy leaves the others whole; a changed extraction setting extracts again; two
 * daemons racing on copies make identical documents.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DeleteObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { documentId } from '../../src/adapters/index/document-id.ts';
import { createBucket, putObject, queueCounts, send } from '../support/aws.ts';
import { titanModelsAt, useBedrockStandIn } from '../support/bedrock-suite.ts';
import { outcomeLines, outcomeOf, spawnDaemon, type SpawnedDaemon } from '../support/daemon.ts';
import { FIXTURES } from '../support/documents.ts';
import { createE2eStack, stopDaemonAndClose, type E2eStack } from '../support/e2e-stack.ts';
import { nativeEvent, s3Event } from '../support/events.ts';
import { freePort } from '../support/free-port.ts';
import { readMetric } from '../support/metrics.ts';
import { waitFor } from '../support/wait-for.ts';

const standIn = useBedrockStandIn();
const MODELS = () => titanModelsAt(standIn().url);

/** Fields that belong to the key, not to the bytes. */
const KEY_FIELDS = ['id', 'key', 'file_name', 'original_path', 'modified_at', 'indexed_at', 'thumbnail_key', 'etag'];
const contentFields = (doc: Record<string, unknown>) => Object.fromEntries(Object.entries(doc).filter(([k]) => !KEY_FIELDS.includes(k)));

interface Started {
  daemon: SpawnedDaemon;
  port: number;
}

async function startDaemon(stack: E2eStack, extra: Record<string, string> = {}): Promise<Started> {
  const port = await freePort();
  const daemon = spawnDaemon(stack.env({ INGEST_HTTP_PORT: String(port), INGEST_POOL_SIZE: '1', ...extra }));
  await daemon.waitForLog((l) => l.msg === 'consuming', 'daemon to start consuming');
  return { daemon, port };
}

/** The `message …` lines' events of these keys, once every key has one that is done. */
async function doneEvents(daemon: SpawnedDaemon, keys: string[], timeoutMs = 90_000): Promise<Map<string, Record<string, unknown>>> {
  const events = () => new Map(outcomeLines(daemon.logs()).flatMap((l) => (l.events as Array<Record<string, unknown>>) ?? []).filter((e) => e.outcome === 'done').map((e) => [String(e.key), e]));
  await waitFor(() => keys.every((k) => events().has(k)), { timeoutMs, what: `${keys.length} files done` });
  return events();
}

test('copies of a scanned page and of a text file: one OCR, one set of Bedrock calls, identical documents with their own thumbnails; a delete of one copy leaves the others', async () => {
  const stack = await createE2eStack('e2e-reuse', { env: MODELS() });
  const thumbs = `${stack.bucket}-thumbs`;
  await createBucket(stack.s3, thumbs);
  const { daemon, port } = await startDaemon(stack, { INGEST_THUMBNAIL_BUCKET: thumbs, INGEST_THUMBNAIL_PREFIX: 'thumbs/' });
  try {
    const scan = await readFile(join(FIXTURES, 'no-density.png'));
    const scans = ['2024/contracts/scan.png', '2025/contracts/scan.png', 'archive/scan-copy.png'];
    const texts = ['projectA/minutes.txt', 'projectB/minutes.txt', 'projectC/議事録.txt'];
    const before = standIn().requests.length;
    for (const key of scans) await putObject(stack.s3, stack.bucket, key, scan);
    for (const key of texts) await putObject(stack.s3, stack.bucket, key, '議事録: 予算は四万八千円で承認されました。');
    for (const key of [...scans, ...texts]) await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, key));
    const events = await doneEvents(daemon, [...scans, ...texts]);

    // the count: 9 Bedrock calls for these 6 files without reuse (text + image per scan, text per text file)
    const calls = standIn().requests.slice(before);
    assert.equal(calls.length, 3, calls.map((c) => c.model).join());
    assert.equal(await readMetric(port, 'spot_ingest_pages_total', 'source="ocr"'), 1, 'the page was OCRed once');
    assert.equal(await readMetric(port, 'spot_ingest_reused_documents_total'), 4);
    assert.equal(await readMetric(port, 'spot_ingest_reuse_saved_pages_total'), 2);
    const firstTokens = await readMetric(port, 'spot_ingest_bedrock_input_tokens_total');
    const saved = await readMetric(port, 'spot_ingest_reuse_saved_bedrock_tokens_total');
    assert.ok(firstTokens > 0 && saved > 0, `tokens spent ${firstTokens}, saved ${saved}`);

    for (const group of [scans, texts]) {
      const reused = group.filter((k) => events.get(k)!.reused !== undefined);
      assert.equal(reused.length, 2, `two of ${group.join(', ')} reused`);
      const original = group.find((k) => events.get(k)!.reused === undefined)!;
      for (const key of reused) {
        const r = events.get(key)!.reused as { from: string; savedPages: number; savedBedrockTokens: number };
        assert.equal(r.from, `s3://${stack.bucket}/${original}`, 'the outcome line names where the extraction was made');
        assert.ok(r.savedBedrockTokens > 0);
        assert.equal(r.savedPages, group === scans ? 1 : 0);
      }
      const docs = group.map((k) => stack.recorder.documents(stack.index).get(documentId(stack.bucket, k))!);
      for (const [i, doc] of docs.entries()) {
        assert.equal(doc.key, group[i], 'key-specific fields come from its own event');
        assert.deepEqual(contentFields(doc), contentFields(docs[0]!), `${group[i]} is the same document as ${group[0]} apart from its key`);
      }
    }
    assert.match(String(stack.recorder.documents(stack.index).get(documentId(stack.bucket, scans[0]!))!.content).replace(/\s/g, ''), /\S{4,}/, 'the scan has text');

    const thumbnailOf = (key: string) => `thumbs/${documentId(stack.bucket, key)}.webp`;
    for (const key of scans) {
      assert.equal(stack.recorder.documents(stack.index).get(documentId(stack.bucket, key))!.thumbnail_key, thumbnailOf(key));
      await stack.s3.send(new HeadObjectCommand({ Bucket: thumbs, Key: thumbnailOf(key) }));
    }

    // delete the copy whose extraction the others were indexed from: the others stay whole
    const original = scans.find((k) => events.get(k)!.reused === undefined)!;
    await stack.s3.send(new DeleteObjectCommand({ Bucket: stack.bucket, Key: original }));
    const removed = await send(stack.sqs, stack.queueUrl, s3Event(stack.bucket, original, { eventName: 'ObjectRemoved:Delete' }));
    // the document is unindexed before the thumbnail is deleted: wait for the delete's outcome, not the index
    assert.equal(await outcomeOf(daemon, removed, `delete of ${original}`, 30_000), 'done');
    assert.ok(!stack.indexed(original), 'the deleted copy unindexed');
    await assert.rejects(stack.s3.send(new HeadObjectCommand({ Bucket: thumbs, Key: thumbnailOf(original) })), (err: Error) => err.name === 'NotFound');
    for (const key of scans.filter((k) => k !== original)) {
      assert.ok(stack.indexed(key), `${key} still indexed`);
      await stack.s3.send(new HeadObjectCommand({ Bucket: thumbs, Key: thumbnailOf(key) }));
    }
    // and a copy arriving after the delete is still indexed from the kept extraction
    const late = 'later/scan.png';
    await putObject(stack.s3, stack.bucket, late, scan);
    await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, late));
    const lateEvent = (await doneEvents(daemon, [late])).get(late)!;
    assert.equal((lateEvent.reused as { from: string }).from, `s3://${stack.bucket}/${original}`);
    assert.equal(standIn().requests.length - before, 3, 'still no more Bedrock calls');
  } finally {
    await stopDaemonAndClose(stack, daemon);
  }
});

test('a changed extraction setting means a fresh extraction, and its result is reused under the new setting', async () => {
  // a stopped daemon's cut long poll can still take a message in the emulator: it reappears after 10 s, not 120
  const stack = await createE2eStack('e2e-reuse-settings', { env: { ...MODELS(), INGEST_VISIBILITY_TIMEOUT: '10' } });
  let running = await startDaemon(stack);
  try {
    const scan = await readFile(join(FIXTURES, 'no-density.png'));
    await putObject(stack.s3, stack.bucket, 'a/scan.png', scan);
    await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, 'a/scan.png'));
    await doneEvents(running.daemon, ['a/scan.png']);
    assert.equal((await running.daemon.stop('SIGTERM')).code, 0);

    // another OCR language set: the copy is OCRed again, not indexed from the jpn+eng reading
    running = await startDaemon(stack, { INGEST_OCR_LANGS: 'eng' });
    const before = standIn().requests.length;
    for (const key of ['b/scan.png', 'c/scan.png']) await putObject(stack.s3, stack.bucket, key, scan);
    await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, 'b/scan.png'));
    const b = (await doneEvents(running.daemon, ['b/scan.png'])).get('b/scan.png')!;
    assert.equal(b.reused, undefined, 'extracted afresh');
    assert.equal(await readMetric(running.port, 'spot_ingest_pages_total', 'source="ocr"'), 1);
    assert.equal(standIn().requests.length - before, 2, 'and embedded afresh (text + image)');
    await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, 'c/scan.png'));
    const c = (await doneEvents(running.daemon, ['c/scan.png'])).get('c/scan.png')!;
    assert.equal((c.reused as { from: string }).from, `s3://${stack.bucket}/b/scan.png`, 'reused from the extraction under the same settings');

    // INGEST_REUSE=off: every copy is extracted
    assert.equal((await running.daemon.stop('SIGTERM')).code, 0);
    running = await startDaemon(stack, { INGEST_OCR_LANGS: 'eng', INGEST_REUSE: 'off' });
    await putObject(stack.s3, stack.bucket, 'd/scan.png', scan);
    await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, 'd/scan.png'));
    const d = (await doneEvents(running.daemon, ['d/scan.png'])).get('d/scan.png')!;
    assert.equal(d.reused, undefined);
    assert.equal(await readMetric(running.port, 'spot_ingest_pages_total', 'source="ocr"'), 1);
  } finally {
    await stopDaemonAndClose(stack, running.daemon);
  }
});

test('two daemons racing on copies of one file: every document is the same apart from its key', async () => {
  const stack = await createE2eStack('e2e-reuse-race', { env: MODELS() });
  standIn().delay(300); // a slow Bedrock widens the window in which both daemons extract
  const one = await startDaemon(stack, { INGEST_INSTANCE_ID: 'i-one' });
  const two = await startDaemon(stack, { INGEST_INSTANCE_ID: 'i-two' });
  try {
    const keys = Array.from({ length: 12 }, (_, i) => `share-${i % 4}/folder-${i}/report.txt`);
    for (const key of keys) await putObject(stack.s3, stack.bucket, key, 'Quarterly report: revenue grew 12 % on the year; 売上は前年比12%増。');
    const before = standIn().requests.length;
    await Promise.all(keys.map((key) => send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, key))));
    await waitFor(() => keys.every((k) => stack.indexed(k)), { timeoutMs: 60_000, what: 'every copy indexed' });
    const docs = keys.map((k) => stack.recorder.documents(stack.index).get(documentId(stack.bucket, k))!);
    for (const [i, doc] of docs.entries()) assert.deepEqual(contentFields(doc), contentFields(docs[0]!), keys[i]);
    const calls = standIn().requests.length - before;
    assert.ok(calls >= 1 && calls <= 2, `at most one extraction per daemon: ${calls} Bedrock calls`);
  } finally {
    await one.daemon.stop('SIGTERM');
    await stopDaemonAndClose(stack, two.daemon);
  }
});

test('an extraction the store cannot keep (its bucket is missing) is still indexed: the file is done, with a warning, and nothing is dead-lettered', async () => {
  // a payload larger than a state-table item goes to INGEST_CHECKPOINT_BUCKET, here a bucket nobody made
  const stack = await createE2eStack('e2e-reuse-unkept', { env: MODELS() });
  const { daemon } = await startDaemon(stack, { INGEST_CHECKPOINT_BUCKET: `${stack.bucket}-never-made` });
  try {
    // text that does not compress: its record is over the item limit
    const big = randomBytes(450_000).toString('base64').replace(/(.{76})/g, '$1\n');
    const keys = ['big/one.txt', 'big/two.txt'];
    for (const key of keys) await putObject(stack.s3, stack.bucket, key, big);
    for (const key of keys) await send(stack.sqs, stack.queueUrl, nativeEvent(stack.bucket, key));
    await doneEvents(daemon, keys);
    assert.ok(keys.every((k) => stack.indexed(k)), 'both copies indexed');
    const warned = daemon.logs().filter((l) => l.msg === 'could not keep the extraction for reuse: indexed without keeping it');
    assert.ok(warned.length >= 1, 'the failed keep is a warning');
    assert.equal(warned[0]!.level, 'warn');
    assert.equal((await queueCounts(stack.sqs, stack.dlqUrl)).total, 0, 'nothing dead-lettered');
  } finally {
    await stopDaemonAndClose(stack, daemon);
  }
});
