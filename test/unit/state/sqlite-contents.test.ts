/** Content records in the local database (SqliteContents): the ContentStore contract, and what SQLite adds. */
import { afterAll, beforeAll, test } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { SqliteContents } from '../../../src/adapters/content/sqlite.ts';
import { contentRecordKey } from '../../../src/adapters/content/record-key.ts';
import { openDatabase } from '../../../src/adapters/sqlite/open.ts';
import { contentKey, contentStoreContract, sampleContent } from '../../support/content-contract.ts';

let dir: string;
let db: DatabaseSync;
let store: SqliteContents;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'contents-'));
  db = openDatabase(join(dir, 'spot-ingest.db'));
  store = new SqliteContents(db);
});
afterAll(async () => {
  await store.close();
  db.close();
  await rm(dir, { recursive: true, force: true });
});

contentStoreContract('SqliteContents', () => store);

test('a second connection to the same file sees what the first kept, and loses the race to it', async () => {
  const other = new SqliteContents(join(dir, 'spot-ingest.db'));
  try {
    const key = contentKey();
    await store.keep(key, sampleContent({ text: 'from the first connection' }));
    assert.equal((await other.get(key))?.text, 'from the first connection');
    const later = await other.keep(key, sampleContent({ text: 'from the second' }));
    assert.equal(later.kept, 'theirs');
    assert.equal(later.content.text, 'from the first connection');
  } finally {
    await other.close();
  }
});

test('an unreadable row reads as no record, and the next keep replaces it', async () => {
  const key = contentKey();
  db.prepare('INSERT INTO contents (pk, body, createdAt) VALUES (?, ?, ?)').run(contentRecordKey(key), new Uint8Array([1, 2, 3]), 'x');
  assert.equal(await store.get(key), null);
  const kept = await store.keep(key, sampleContent({ text: 'replacement' }));
  assert.equal(kept.kept, 'ours');
  assert.equal((await store.get(key))?.text, 'replacement');
});

test('large content (megabytes of text) is kept whole', async () => {
  const key = contentKey();
  const text = '議事録の本文です。'.repeat(400_000);
  await store.keep(key, sampleContent({ text }));
  assert.equal((await store.get(key))?.text.length, text.length);
});
