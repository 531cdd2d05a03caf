import { describe, test, beforeEach, afterEach } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { documentId } from '../../../src/adapters/index/document-id.ts';
import { ftsQuery, makeSnippet, parseQuery, SqliteIndex } from '../../../src/adapters/index/sqlite.ts';
import type { IndexDocument } from '../../../src/core/index-document.ts';
import { openDatabase } from '../../../src/adapters/sqlite/open.ts';
import { SqliteState } from '../../../src/adapters/state/sqlite.ts';
import { isIngestError } from '../../../src/core/errors.ts';

function doc(key: string, content: string, overrides: Partial<IndexDocument> = {}): IndexDocument {
  const fileName = key.split('/').pop() ?? key;
  return {
    id: documentId('bucket', key),
    bucket: 'bucket',
    key,
    file_name: fileName,
    original_path: key,
    extension: fileName.includes('.') ? fileName.split('.').pop()! : null,
    content_type: 'text/plain',
    size: Buffer.byteLength(content),
    sha256: 'a'.repeat(64),
    etag: 'etag-1',
    modified_at: '2025-01-01T00:00:00.000Z',
    indexed_at: '2025-01-02T00:00:00.000Z',
    page_count: null,
    content,
    text_source: 'text-layer',
    ocr_confidence: null,
    thumbnail_key: null,
    warnings: [],
    ...overrides,
  };
}

const WEATHER = doc('reports/weather.txt', '今日の報告。東京都の天気は晴れです。大阪は曇り。');
const ENGLISH = doc('docs/Quarterly Report.docx', 'The Quarterly revenue grew. Revenue in Tokyo was strong.', {
  text_source: 'ocr',
  ocr_confidence: 91.5,
});

describe('SqliteIndex', () => {
  let dir: string;
  let dbPath: string;
  let index: SqliteIndex;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spot-ingest-index-'));
    dbPath = join(dir, 'spot-ingest.db');
    index = new SqliteIndex(dbPath);
  });

  afterEach(async () => {
    await index.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('upsert then get returns the whole document; get of an unknown id → null', async () => {
    const full = doc('a/b.pdf', 'text', {
      page_count: 3,
      text_embedding: [0.1, -0.2, 0.3],
      image_embedding: null,
      warnings: ['page 2: low OCR confidence'],
      encoding: 'Shift_JIS',
      original_path: null,
    });
    await index.upsert(full);
    assert.deepEqual(await index.get(full.id), full);
    assert.equal(await index.get('nope'), null);
    assert.equal(await index.count(), 1);
  });

  test('upsert replaces the document and its index entry', async () => {
    await index.upsert(WEATHER);
    await index.upsert({ ...WEATHER, content: '名古屋は雪です。', sha256: 'b'.repeat(64) });
    assert.equal(await index.count(), 1);
    assert.equal((await index.get(WEATHER.id))?.sha256, 'b'.repeat(64));
    assert.deepEqual(await index.search('天気は'), [], 'old text no longer found');
    const hits = await index.search('名古屋');
    assert.equal(hits.length, 1);
    assert.equal(hits[0]?.id, WEATHER.id);
  });

  test('delete removes the document and its index entry; a missing document is fine', async () => {
    await index.upsert(WEATHER);
    await index.upsert(ENGLISH);
    await index.delete(WEATHER.id);
    await index.delete(WEATHER.id);
    await index.delete('never-existed');
    assert.equal(await index.get(WEATHER.id), null);
    assert.equal(await index.count(), 1);
    assert.deepEqual(await index.search('東京都'), []);
    assert.equal((await index.search('revenue')).length, 1);
    // The FTS index is consistent with its content table.
    index.db.exec(`INSERT INTO documents_fts (documents_fts, rank) VALUES ('integrity-check', 1)`);
  });

  test('Japanese: substrings of 3+ characters match, with a highlighted snippet', async () => {
    await index.upsert(WEATHER);
    await index.upsert(ENGLISH);
    for (const query of ['天気は', '東京都', '東京都の天気']) {
      const hits = await index.search(query);
      assert.equal(hits.length, 1, query);
      const hit = hits[0]!;
      assert.equal(hit.id, WEATHER.id);
      assert.equal(hit.bucket, 'bucket');
      assert.equal(hit.key, 'reports/weather.txt');
      assert.equal(hit.file_name, 'weather.txt');
      assert.equal(hit.original_path, 'reports/weather.txt');
      assert.equal(hit.text_source, 'text-layer');
      assert.ok(hit.score > 0, `score ${hit.score}`);
      assert.ok(hit.snippet.includes(`«${query}»`), hit.snippet);
    }
    assert.deepEqual(await index.search('名古屋'), []);
  });

  test('English: case-insensitive, in content and in the file name', async () => {
    await index.upsert(WEATHER);
    await index.upsert(ENGLISH);
    const hits = await index.search('REVENUE');
    assert.equal(hits.length, 1);
    assert.equal(hits[0]?.id, ENGLISH.id);
    assert.equal(hits[0]?.text_source, 'ocr');
    assert.match(hits[0]!.snippet, /«revenue»/);
    assert.match(hits[0]!.snippet, /«Revenue»/);
    const byName = await index.search('quarterly report');
    assert.equal(byName[0]?.id, ENGLISH.id, 'every term must occur, in any column');
    assert.deepEqual(await index.search('quarterly nothing'), []);
  });

  test('queries shorter than 3 characters fall back to LIKE', async () => {
    await index.upsert(WEATHER);
    await index.upsert(ENGLISH);
    const hits = await index.search('東京');
    assert.equal(hits.length, 1);
    assert.equal(hits[0]?.id, WEATHER.id);
    assert.ok(hits[0]!.score > 0);
    assert.equal(hits[0]?.snippet, '今日の報告。«東京»都の天気は晴れです。大阪は曇り。');
    assert.equal((await index.search('大阪'))[0]?.id, WEATHER.id);
    assert.equal((await index.search('tO'))[0]?.id, ENGLISH.id, 'ASCII case-insensitive');
    // A short and a long term together: MATCH + LIKE, both marked.
    const mixed = await index.search('天気 晴れです');
    assert.equal(mixed.length, 1);
    assert.ok(mixed[0]!.score > 0);
    assert.match(mixed[0]!.snippet, /«天気»は«晴れです»/);
    assert.deepEqual(await index.search('天気 晴れませ'), []);
    assert.deepEqual(await index.search('雨 晴れです'), []);
    // Short terms only, all required.
    assert.equal((await index.search('天気 晴れ')).length, 1);
    assert.deepEqual(await index.search('天気 雨'), []);
    // LIKE wildcards in the query are literal.
    assert.deepEqual(await index.search('%'), []);
    assert.deepEqual(await index.search('_'), []);
  });

  test('more occurrences rank first', async () => {
    const once = doc('rank/once.txt', 'プロジェクトの進捗について。特記事項はありません。以上、報告します。');
    const thrice = doc('rank/thrice.txt', 'プロジェクトの進捗。プロジェクトの課題。プロジェクトの予定を報告。');
    const none = doc('rank/none.txt', '関係のない文書です。天気の話をします。以上、報告します。');
    await index.upsert(once);
    await index.upsert(thrice);
    await index.upsert(none);
    const hits = await index.search('プロジェクト');
    assert.deepEqual(hits.map((h) => h.id), [thrice.id, once.id]);
    assert.ok(hits[0]!.score > hits[1]!.score, JSON.stringify(hits.map((h) => h.score)));
    // Also for the LIKE fallback.
    const short = await index.search('課題 予定');
    assert.deepEqual(short.map((h) => h.id), [thrice.id]);
    const en1 = doc('rank/en1.txt', 'cat dog bird fish');
    const en2 = doc('rank/en2.txt', 'ox ox ox dog fish');
    await index.upsert(en1);
    await index.upsert(en2);
    assert.deepEqual((await index.search('ox')).map((h) => h.id), [en2.id]);
    const two = await index.search('og');
    assert.equal(two.length, 2);
  });

  test('size limits the hits; empty queries find nothing; FTS syntax in a query is literal', async () => {
    for (let i = 0; i < 5; i++) await index.upsert(doc(`many/${i}.txt`, `共通の文章 number ${i}`));
    assert.equal((await index.search('共通の文章')).length, 5);
    assert.equal((await index.search('共通の文章', { size: 2 })).length, 2);
    assert.deepEqual(await index.search('共通の文章', { size: 0 }), []);
    assert.deepEqual(await index.search(''), []);
    assert.deepEqual(await index.search('  \u3000 '), []);
    for (const q of ['"quoted', 'a AND', 'NOT OR', '(x*', 'col:umn', 'NEAR(a b)']) {
      await assert.doesNotReject(index.search(q), q);
    }
    await index.upsert(doc('syntax/q.txt', 'he said "hello" AND left'));
    assert.equal((await index.search('"hello"')).length, 1);
    assert.equal((await index.search('AND')).length, 1);
  });

  test('a second connection on the same file searches while the first writes', async () => {
    const writerDb = openDatabase(dbPath);
    const writer = new SqliteIndex(writerDb);
    const reader = new SqliteIndex(dbPath, { open: { busyTimeoutMs: 50 } });
    try {
      await writer.upsert(WEATHER);
      writerDb.exec('BEGIN IMMEDIATE');
      await writer.upsert(ENGLISH);
      await writer.delete(WEATHER.id);
      // The writer holds the write lock: the reader neither waits nor fails, and sees the last commit.
      const started = performance.now();
      assert.equal((await reader.search('東京都')).length, 1);
      assert.deepEqual(await reader.search('revenue'), []);
      assert.equal(await reader.count(), 1);
      assert.ok(performance.now() - started < 1_000);
      // A second writer waits busy_timeout, then gets a transient error.
      await assert.rejects(reader.upsert(doc('x/y.txt', 'z')), (err: unknown) =>
        isIngestError(err) && err.code === 'DATABASE_BUSY' && err.retryable);
      writerDb.exec('COMMIT');
      assert.deepEqual(await reader.search('東京都'), []);
      assert.equal((await reader.search('revenue'))[0]?.id, ENGLISH.id);
    } finally {
      await reader.close();
      await writer.close();
      writerDb.close();
    }
  });

  test('state and index share one connection; close() leaves a borrowed one open and is idempotent', async () => {
    const db = openDatabase(join(dir, 'shared', 'spot-ingest.db'));
    const shared = new SqliteIndex(db);
    const state = new SqliteState(db);
    await shared.upsert(WEATHER);
    const claim = await state.claim({
      pk: 'bucket/reports/weather.txt', kind: 'upsert', eventTime: '2025-01-01T00:00:00.000Z',
      owner: 'me', leaseUntil: 200, now: 100,
    });
    assert.equal(claim.kind, 'claimed');
    await shared.close();
    await shared.close();
    await state.close();
    assert.equal(db.isOpen, true);
    await assert.rejects(shared.search('東京都'), /closed/);
    const reopened = new SqliteIndex(db);
    assert.equal((await reopened.search('東京都')).length, 1);
    await reopened.close();
    db.close();
  });

  test('with query vectors the search is hybrid: a document only the k-NN finds appears, fused by rank', async () => {
    const near = doc('photos/kitten.jpg', 'a picture', { text_embedding: [1, 0, 0], image_embedding: [0, 1] });
    const far = doc('notes/dog.txt', 'dog notes about a cat', { text_embedding: [0, 1, 0] });
    const none = doc('notes/plain.txt', 'cat without vectors');
    for (const d of [near, far, none]) await index.upsert(d);

    const textOnly = await index.search('cat');
    assert.ok(!textOnly.some((h) => h.id === near.id), 'the text match alone does not find it');
    const hybrid = await index.search('cat', { vectors: { text: [0.9, 0.1, 0] } });
    assert.deepEqual(new Set(hybrid.map((h) => h.id)), new Set([near.id, far.id, none.id]));
    // far is both a text hit and the nearest vector: first after fusion
    assert.equal(hybrid[0]!.id, far.id);
    const byImage = await index.search('cat', { vectors: { image: [0, 1] } });
    assert.ok(byImage.some((h) => h.id === near.id));
    assert.ok(hybrid.every((h) => h.score > 0 && h.score < 1), 'fused scores');
    // a vector of another length is no match (another model's vectors)
    const other = await index.search('picture', { vectors: { text: [1, 0] } });
    assert.deepEqual(other.map((h) => h.id), [near.id]);
  });

  test('listPendingEmbeddings pages through the pending documents once each, in a stable order', async () => {
    const docs = Array.from({ length: 7 }, (_, i) => doc(`p/${i}.txt`, `pending ${i}`, { embedding_pending: i % 3 !== 0 }));
    for (const d of docs) await index.upsert(d);
    const seen: string[] = [];
    let after: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await index.listPendingEmbeddings({ size: 2, ...(after !== undefined ? { after } : {}) });
      seen.push(...page.docs.map((d) => d.key));
      assert.ok(page.docs.every((d) => d.embedding_pending === true && d.content.startsWith('pending')));
      if (page.next === undefined) break;
      after = page.next;
      // filling one in while paging does not make another be skipped
      await index.upsert({ ...page.docs[0]!, embedding_pending: false });
    }
    assert.deepEqual(seen, ['p/1.txt', 'p/2.txt', 'p/4.txt', 'p/5.txt']);
    await assert.rejects(index.listPendingEmbeddings({ size: 2, after: 'nope' }), (e) => isIngestError(e) && !e.retryable);
  });

  test('an abort signal rejects before anything is done; a document without an id is refused', async () => {
    await assert.rejects(index.upsert(WEATHER, { signal: AbortSignal.abort() }), { name: 'AbortError' });
    await assert.rejects(index.search('x', { signal: AbortSignal.abort() }), { name: 'AbortError' });
    assert.equal(await index.count(), 0);
    await assert.rejects(index.upsert({ ...WEATHER, id: '' }), (err: unknown) =>
      isIngestError(err) && err.code === 'INDEX_DOCUMENT_INVALID' && !err.retryable);
  });
});

describe('query and snippet helpers', () => {
  test('parseQuery splits on any white space and sorts terms by trigram usability', () => {
    assert.deepEqual(parseQuery(' 東京 天気は\u3000ab  abc 東京 '), { long: ['天気は', 'abc'], short: ['東京', 'ab'] });
    // Characters, not UTF-16 units: an emoji pair is two characters.
    assert.deepEqual(parseQuery('😀😀'), { long: [], short: ['😀😀'] });
  });

  test('ftsQuery quotes every term', () => {
    assert.equal(ftsQuery(['abc', 'say "hi"']), '"abc" AND "say ""hi"""');
  });

  test('makeSnippet marks every match in a window around the first one', () => {
    const text = `${'x'.repeat(300)}needle${'y'.repeat(300)}NEEDLE`;
    const snippet = makeSnippet(text, ['needle']);
    assert.ok(snippet.startsWith('…') && snippet.endsWith('…'));
    assert.ok(snippet.includes('«needle»'));
    assert.ok(snippet.length < 200);
    assert.equal(makeSnippet('short text', ['zz']), 'short text');
    assert.equal(makeSnippet('a.b a+b', ['a+b']), 'a.b «a+b»');
  });
});
