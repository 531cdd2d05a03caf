/**
 * `spot-ingest process <path | s3://bucket/key>` with the spawned CLI: one file, one shot, the index
 * document on stdout; a missing file exits 1 with its error code. The s3:// form runs against the
 * fauxqs S3 emulator of the global setup (AWS_ENDPOINT_URL_S3).
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Encoding from 'encoding-japanese';
import { documentId } from '../../src/adapters/index/document-id.ts';
import type { IndexDocument } from '../../src/core/index-document.ts';
import { createBucket, fauxqsEndpoint, putObject, testS3, uniqueName } from '../support/aws.ts';
import { runCli } from '../support/daemon.ts';

const TEXT = '見積書\n件名：全文検索システム導入\n金額：480,000円\n';
const sjis = (text: string) => Uint8Array.from(Encoding.convert(Encoding.stringToCode(text), { to: 'SJIS', from: 'UNICODE', type: 'array' }));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spot-ingest-process-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const env = (extra: Record<string, string> = {}) => ({ INGEST_QUEUE_URL: '', LOG_LEVEL: '', INGEST_DATA_DIR: join(dir, 'local-data'), ...extra });

test('a local Shift_JIS file: the document with the decoded text and its text_source on stdout, exit 0', async () => {
  const path = join(dir, '見積書 2026.txt');
  await writeFile(path, sjis(TEXT));
  const r = await runCli(['process', path], env());
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as IndexDocument;
  assert.equal(doc.content, TEXT);
  assert.equal(doc.text_source, 'text-layer');
  assert.equal(doc.encoding, 'shift_jis');
  assert.equal(doc.bucket, 'local');
  assert.equal(doc.key, '見積書 2026.txt');
  assert.equal(doc.file_name, '見積書 2026.txt');
  assert.equal(doc.original_path, path);
  assert.equal(doc.id, documentId('local', '見積書 2026.txt'));
  assert.equal(doc.size, sjis(TEXT).length);
  assert.match(doc.sha256, /^[0-9a-f]{64}$/);
});

test('a file without an extractor is indexed metadata-only', async () => {
  const path = join(dir, 'backup.gz');
  await writeFile(path, gzipSync(Buffer.from('archived\n'.repeat(100))));
  const r = await runCli(['process', path], env());
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as IndexDocument;
  assert.equal(doc.text_source, 'none');
  assert.equal(doc.content, '');
  assert.equal(doc.content_type, 'application/gzip');
  assert.ok(doc.warnings.some((w) => w.startsWith('METADATA_ONLY')), doc.warnings.join());
});

test('a missing path exits 1 with OBJECT_NOT_FOUND and the path on stderr, nothing on stdout', async () => {
  const path = join(dir, 'no such file.txt');
  const r = await runCli(['process', path], env());
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trim(), `spot-ingest: OBJECT_NOT_FOUND: no such file: ${path}`);
  const d = await runCli(['process', dir], env());
  assert.equal(d.code, 1);
  assert.match(d.stderr, /OBJECT_NOT_FOUND: not a regular file/);
});

test('s3://bucket/key against the S3 emulator', async () => {
  const s3 = testS3();
  const bucket = uniqueName('process');
  try {
    await createBucket(s3, bucket);
    const key = '営業/見積書 v2+final.txt';
    await putObject(s3, bucket, key, sjis(TEXT), 'text/plain');
    const s3env = env({ AWS_ENDPOINT_URL_S3: fauxqsEndpoint() });
    const r = await runCli(['process', `s3://${bucket}/${key}`], s3env);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as IndexDocument;
    assert.equal(doc.bucket, bucket);
    assert.equal(doc.key, key);
    assert.equal(doc.id, documentId(bucket, key));
    assert.equal(doc.content, TEXT);
    assert.equal(doc.text_source, 'text-layer');
    assert.equal(doc.original_path, null);
    assert.ok(doc.etag, 'the S3 ETag is kept');

    const missing = await runCli(['process', `s3://${bucket}/nope.txt`], s3env);
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, new RegExp(`^spot-ingest: OBJECT_NOT_FOUND: s3://${bucket}/nope\\.txt does not exist`));
  } finally {
    s3.destroy();
  }
});

test('--data-dir keeps the extraction: a copy of the same bytes under another name is indexed from it, and stderr says so', async () => {
  const dataDir = join(dir, 'kept');
  const first = join(dir, '見積書 original.txt');
  const copy = join(dir, '見積書 copy.txt');
  await writeFile(first, sjis(TEXT));
  await writeFile(copy, sjis(TEXT));
  const a = await runCli(['process', first, '--data-dir', dataDir], env());
  assert.equal(a.code, 0, a.stderr);
  assert.doesNotMatch(a.stderr, /reused/);
  const b = await runCli(['process', copy, '--data-dir', dataDir], env());
  assert.equal(b.code, 0, b.stderr);
  assert.match(b.stderr, /reused from s3:\/\/local\/見積書 original\.txt \(saved 0 pages\): not extracted again/);
  const docA = JSON.parse(a.stdout) as IndexDocument;
  const docB = JSON.parse(b.stdout) as IndexDocument;
  assert.equal(docB.key, '見積書 copy.txt');
  assert.equal(docB.original_path, copy);
  assert.equal(docB.content, docA.content);
  assert.equal(docB.encoding, 'shift_jis');
  // without --data-dir nothing is kept between runs
  const c = await runCli(['process', copy], env());
  assert.doesNotMatch(c.stderr, /reused/);
});

test('bad usage exits 2', async () => {
  const r = await runCli(['process', 's3://only-a-bucket'], env());
  assert.equal(r.code, 2);
  assert.match(r.stderr, /must name a bucket and a key/);
  const help = await runCli(['process', '--help'], env());
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Exit status: 0 when the file was indexed/);
});
