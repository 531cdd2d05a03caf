/**
 * `spot-ingest reembed` (src/commands/reembed.ts) against the Bedrock stand-in and a real SQLite
 * index: every pending document gets its vectors back (page after page), `--limit`, the budget and
 * a failing Bedrock stop the run early and say why, image documents need their file, and the
 * command's own output and exit code in local mode.
 */
import { describe, test, beforeAll, afterAll, beforeEach, afterEach } from 'vitest';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createBedrockRuntimeClient } from '../../../src/adapters/embedder/bedrock-client.ts';
import { BedrockEmbedder } from '../../../src/adapters/embedder/bedrock.ts';
import { DailyBudget } from '../../../src/adapters/embedder/daily-budget.ts';
import { EmbeddingService } from '../../../src/adapters/embedder/embedding-service.ts';
import { resolveModel } from '../../../src/adapters/embedder/models.ts';
import { documentId } from '../../../src/adapters/index/document-id.ts';
import type { IndexDocument } from '../../../src/core/index-document.ts';
import { SqliteIndex } from '../../../src/adapters/index/sqlite.ts';
import { DirectoryStorage } from '../../../src/adapters/storage/directory.ts';
import { reembed, reembedCommand, type ReembedDeps } from '../../../src/commands/reembed.ts';
import { ConfigError, loadConfig } from '../../../src/config.ts';
import { StartupError } from '../../../src/core/errors.ts';
import { localDatabasePath } from '../../../src/runtime/local.ts';
import { TempFiles } from '../../../src/pipeline/temp-files.ts';
import { startBedrockStandIn, type BedrockStandIn } from '../../support/bedrock-stand-in.ts';
import { FIXTURES } from '../../support/documents.ts';

const TEXT_MODEL = resolveModel('amazon.titan-embed-text-v2:0', 256);
const IMAGE_MODEL = resolveModel('amazon.titan-embed-image-v1', 256, 'image');

let standIn: BedrockStandIn;
let dir: string;
let index: SqliteIndex;
let cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  standIn = await startBedrockStandIn();
});
afterAll(async () => {
  await standIn.close();
});
beforeEach(async () => {
  standIn.reset();
  dir = await mkdtemp(join(tmpdir(), 'spot-ingest-reembed-'));
  index = new SqliteIndex(join(dir, 'index.db'));
});
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
  await index.close();
  await rm(dir, { recursive: true, force: true });
});

/** An EmbeddingService on the stand-in; `limitUsd` caps the day's spend. */
async function service(o: { image?: boolean; limitUsd?: number } = {}): Promise<EmbeddingService> {
  const client = createBedrockRuntimeClient({
    env: { AWS_ENDPOINT_URL_BEDROCK_RUNTIME: standIn.url },
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    region: 'us-east-1',
    maxAttempts: 1,
  });
  cleanups.push(() => client.destroy());
  const budget = await DailyBudget.open(o.limitUsd !== undefined ? { limitUsd: o.limitUsd } : {});
  return new EmbeddingService({
    text: new BedrockEmbedder({ client, model: TEXT_MODEL }),
    image: o.image ? new BedrockEmbedder({ client, model: IMAGE_MODEL }) : null,
    budget,
  });
}

function pendingDoc(key: string, extra: Partial<IndexDocument> = {}): IndexDocument {
  return {
    id: documentId('bucket', key), bucket: 'bucket', key, file_name: key.split('/').pop()!, original_path: null,
    extension: 'txt', content_type: 'text/plain', size: 10, sha256: 'a'.repeat(64), etag: null, modified_at: null,
    indexed_at: '2026-11-20T00:00:00.000Z', page_count: null, content: `the note called ${key} about spot instances`,
    text_source: 'text-layer', ocr_confidence: null, thumbnail_key: null, embedding_pending: true,
    warnings: ['EMBEDDING_DEFERRED: the daily Bedrock budget is spent', 'PAGE_LIMIT: kept'],
    ...extra,
  };
}

async function seed(docs: IndexDocument[]): Promise<void> {
  for (const doc of docs) await index.upsert(doc);
}

async function pendingKeys(): Promise<string[]> {
  return (await index.listPendingEmbeddings({ size: 1000 })).docs.map((d) => d.key).sort();
}

async function deps(extra: Partial<ReembedDeps> & { embeddings: EmbeddingService }): Promise<ReembedDeps & { log: string[] }> {
  const temp = new TempFiles(dir);
  await temp.prepare();
  const log: string[] = [];
  return {
    index, storage: undefined, temp, maxFileBytes: 10_000_000,
    onDocument: (doc, result, detail) => log.push(`${result} ${doc.key}${detail ? ` ${detail}` : ''}`),
    log,
    ...extra,
  };
}

describe('reembed()', () => {
  test('every pending document, over more than one page, gets its vector; only EMBEDDING_ warnings are dropped', async () => {
    const keys = Array.from({ length: 53 }, (_, i) => `notes/${String(i).padStart(2, '0')}.txt`);
    await seed(keys.map((k) => pendingDoc(k)));
    const d = await deps({ embeddings: await service() });
    const report = await reembed(d);
    assert.deepEqual(report, { embedded: 53, skipped: 0, failed: 0 });
    assert.deepEqual(await pendingKeys(), []);
    const doc = await index.get(documentId('bucket', 'notes/52.txt'));
    assert.equal(doc!.embedding_pending, false);
    assert.equal(doc!.text_embedding!.length, 256);
    assert.deepEqual(doc!.warnings, ['PAGE_LIMIT: kept']);
    assert.equal(d.log.filter((l) => l.startsWith('embedded ')).length, 53);
  });

  test('--limit stops after that many documents and says so; the rest stay pending', async () => {
    await seed(['a.txt', 'b.txt', 'c.txt', 'd.txt'].map((k) => pendingDoc(k)));
    const report = await reembed(await deps({ embeddings: await service(), limit: 2 }));
    assert.deepEqual(report, { embedded: 2, skipped: 0, failed: 0, stoppedBy: 'limit' });
    assert.equal((await pendingKeys()).length, 2);
  });

  test('a spent daily budget stops the run (stoppedBy budget) and leaves the rest pending', async () => {
    await seed(['a.txt', 'b.txt', 'c.txt'].map((k) => pendingDoc(k)));
    // one short note costs ~2e-7 USD at Titan text v2's price: the first one spends the budget
    const report = await reembed(await deps({ embeddings: await service({ limitUsd: 0.00000001 }) }));
    assert.deepEqual(report, { embedded: 1, skipped: 0, failed: 0, stoppedBy: 'budget' });
    assert.equal((await pendingKeys()).length, 2);
  });

  test('the budget running out between the text and the image vector stops without writing that document', async () => {
    await mkdir(join(dir, 'files'));
    await copyFile(join(FIXTURES, 'photo-exif-rotated.jpg'), join(dir, 'files', 'receipt.jpg'));
    await seed([pendingDoc('receipt.jpg', { content_type: 'image/jpeg', content: 'receipt total 12,000 yen' })]);
    const report = await reembed(await deps({
      embeddings: await service({ image: true, limitUsd: 0.00000001 }), storage: new DirectoryStorage(join(dir, 'files')),
    }));
    assert.deepEqual(report, { embedded: 0, skipped: 0, failed: 0, stoppedBy: 'budget' });
    assert.deepEqual(await pendingKeys(), ['receipt.jpg']);
  });

  test('image documents: the file is read from storage for the image vector; a missing file fails that document only', async () => {
    await mkdir(join(dir, 'files'));
    await copyFile(join(FIXTURES, 'photo-exif-rotated.jpg'), join(dir, 'files', 'receipt.jpg'));
    await seed([
      pendingDoc('gone.jpg', { content_type: 'image/jpeg' }),
      pendingDoc('receipt.jpg', { content_type: 'image/jpeg', content: 'receipt total 12,000 yen' }),
    ]);
    const d = await deps({ embeddings: await service({ image: true }), storage: new DirectoryStorage(join(dir, 'files')) });
    const report = await reembed(d);
    assert.deepEqual(report, { embedded: 1, skipped: 0, failed: 1 });
    const photo = await index.get(documentId('bucket', 'receipt.jpg'));
    assert.equal(photo!.image_embedding!.length, 256);
    assert.equal(photo!.text_embedding!.length, 256);
    assert.deepEqual(await pendingKeys(), ['gone.jpg']);
    assert.ok(d.log.some((l) => /^failed gone\.jpg OBJECT_NOT_FOUND: /.test(l)), d.log.join('\n'));
    // the scratch copy of the image is removed
    assert.deepEqual(await import('node:fs/promises').then((fs) => fs.readdir(d.temp.dir)), []);
  });

  test('without storage, image documents are skipped (left pending) with the reason, text documents still embedded', async () => {
    await seed([pendingDoc('photo.jpg', { content_type: 'image/jpeg' }), pendingDoc('note.txt')]);
    const d = await deps({ embeddings: await service({ image: true }) });
    const report = await reembed(d);
    assert.deepEqual(report, { embedded: 1, skipped: 1, failed: 0 });
    assert.deepEqual(await pendingKeys(), ['photo.jpg']);
    assert.ok(d.log.some((l) => l.startsWith('skipped photo.jpg the image file cannot be read')), d.log.join('\n'));
  });

  test('three retryable Bedrock failures in a row stop the run (stoppedBy bedrock)', async () => {
    await seed(['a.txt', 'b.txt', 'c.txt', 'd.txt', 'e.txt'].map((k) => pendingDoc(k)));
    standIn.fail({ status: 503 });
    const d = await deps({ embeddings: await service() });
    const report = await reembed(d);
    assert.deepEqual(report, { embedded: 0, skipped: 0, failed: 3, stoppedBy: 'bedrock' });
    assert.equal((await pendingKeys()).length, 5);
    assert.ok(d.log.every((l) => /^failed \S+ EMBEDDING_UNAVAILABLE: /.test(l)), d.log.join('\n'));
  });

  test('a failure followed by a success resets the count: the run goes on to the end', async () => {
    await seed(['a.txt', 'b.txt', 'c.txt', 'd.txt', 'e.txt'].map((k) => pendingDoc(k)));
    standIn.fail({ status: 503, count: 2 });
    const report = await reembed(await deps({ embeddings: await service() }));
    assert.deepEqual(report, { embedded: 3, skipped: 0, failed: 2 });
  });

  test('an abort rejects with the signal reason instead of counting a failure', async () => {
    await seed(['a.txt', 'b.txt'].map((k) => pendingDoc(k)));
    standIn.delay(60_000);
    const controller = new AbortController();
    const d = await deps({ embeddings: await service(), signal: controller.signal });
    const run = reembed(d);
    const reason = new Error('stop now');
    setImmediate(() => controller.abort(reason));
    await assert.rejects(run, (err) => err === reason);
    assert.deepEqual(d.log, []);
  });
});

describe('reembedCommand (local mode)', () => {
  const localEnv = () => ({ INGEST_QUEUE_URL: '', INGEST_DATA_DIR: join(dir, 'data'), INGEST_TEXT_EMBEDDING_MODEL: 'amazon.titan-embed-text-v2:0', INGEST_TEXT_EMBEDDING_DIMENSIONS: '256', INGEST_IMAGE_EMBEDDING_MODEL: 'none' });

  beforeEach(() => {
    process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME = standIn.url;
  });
  afterEach(() => {
    delete process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME;
  });

  test('with both models "none" there is nothing to do: a ConfigError (exit 2)', async () => {
    const config = loadConfig({ ...localEnv(), INGEST_TEXT_EMBEDDING_MODEL: 'none', INGEST_TEXT_EMBEDDING_DIMENSIONS: '' });
    await assert.rejects(reembedCommand(config, {}, new PassThrough()), (err) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /nothing to do: embeddings: off/);
      return true;
    });
  });

  test('no local database yet: a StartupError telling to start local mode first', async () => {
    await assert.rejects(reembedCommand(loadConfig(localEnv()), {}, new PassThrough()), (err) => {
      assert.ok(err instanceof StartupError);
      assert.match(err.message, /no local index at .*spot-ingest\.db yet: run "npm start"/);
      return true;
    });
  });

  test('without a running local daemon: a note, images skipped, text embedded, exit 0; --limit stops early', async () => {
    const config = loadConfig(localEnv());
    await mkdir(config.dataDir, { recursive: true });
    const local = new SqliteIndex(localDatabasePath(config.dataDir));
    await local.upsert(pendingDoc('note.txt'));
    await local.upsert(pendingDoc('photo.jpg', { content_type: 'image/jpeg' }));
    await local.upsert(pendingDoc('other.txt'));
    await local.close();

    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => { text += chunk.toString(); });
    const code = await reembedCommand(loadConfig({ ...localEnv(), INGEST_IMAGE_EMBEDDING_MODEL: 'amazon.titan-embed-image-v1', INGEST_IMAGE_EMBEDDING_DIMENSIONS: '256' }), { limit: 10 }, out);
    assert.equal(code, 0, text);
    assert.match(text, /^embeddings: on — Bedrock in us-east-1/m);
    assert.match(text, /note: .*image documents are skipped/);
    assert.match(text, /^embedded s3:\/\/bucket\/note\.txt$/m);
    assert.match(text, /^skipped  s3:\/\/bucket\/photo\.jpg  the image file cannot be read/m);
    assert.match(text, /^2 embedded, 0 failed, 1 skipped$/m);

    const again = new SqliteIndex(localDatabasePath(config.dataDir));
    for (const k of ['x.txt', 'y.txt', 'z.txt']) await again.upsert(pendingDoc(k));
    await again.close();
    const limited = new PassThrough();
    let limitedText = '';
    limited.on('data', (chunk: Buffer) => { limitedText += chunk.toString(); });
    assert.equal(await reembedCommand(loadConfig(localEnv()), { limit: 1 }, limited), 0, limitedText);
    assert.match(limitedText, /^1 embedded, 0 failed, 0 skipped — stopped at --limit$/m);
  });
});
