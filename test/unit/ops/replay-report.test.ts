/**
 * `spot-ingest replay` without the pipeline: how fixture files become message bodies
 * (loadFixtures), the summary table (formatReport) and the column widths of Japanese text
 * (src/lib/text-table.ts). The replay itself runs in test/e2e/replay.test.ts.
 */
import { afterAll, beforeAll, describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { loadConfig } from '../../../src/config.ts';
import {
  formatReport, loadFixtures, replayFixtures, UsageError,
  type ReplayEventResult, type ReplayMessageResult, type ReplayReport,
} from '../../../src/commands/replay.ts';
import { displayWidth } from '../../../src/lib/text-table.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spot-ingest-replay-unit-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('loadFixtures', () => {
  test('a directory means its *.json files sorted by name (case-insensitive extension), nothing else', async () => {
    const fixtures = join(dir, 'sorted');
    await mkdir(join(fixtures, 'nested.json'), { recursive: true });
    await writeFile(join(fixtures, 'b.json'), '{"b":1}');
    await writeFile(join(fixtures, 'A.JSON'), '{"a":1}');
    await writeFile(join(fixtures, 'notes.txt'), 'not a fixture');
    const loaded = await loadFixtures([fixtures]);
    assert.deepEqual(loaded.map((f) => [f.messageId, f.index, f.body]), [['A.JSON', 0, '{"a":1}'], ['b.json', 0, '{"b":1}']]);
  });

  test('an array of bodies: strings verbatim, anything else re-serialised, one message each (#index); a BOM is allowed', async () => {
    const file = join(dir, 'batch.json');
    await writeFile(file, `\uFEFF${JSON.stringify(['{"raw": true}', { eventType: 'FILE_DELETED' }, 42])}`);
    const loaded = await loadFixtures([file]);
    assert.deepEqual(loaded.map((f) => [f.messageId, f.index, f.body]), [
      ['batch.json#0', 0, '{"raw": true}'],
      ['batch.json#1', 1, '{"eventType":"FILE_DELETED"}'],
      ['batch.json#2', 2, '42'],
    ]);
    assert.ok(loaded.every((f) => f.fixture === file));
  });

  test('a file that is not JSON is still one body, kept as it is (it then dead-letters as MESSAGE_INVALID_JSON)', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(file, '{"eventType": ');
    assert.deepEqual((await loadFixtures([file])).map((f) => [f.messageId, f.body]), [['broken.json', '{"eventType": ']]);
  });

  test('a missing path or a directory without *.json is a UsageError naming it', async () => {
    await assert.rejects(loadFixtures([join(dir, 'nope.json')]), (err) => err instanceof UsageError && /no such fixture file or directory: .*nope\.json/.test(err.message));
    const empty = join(dir, 'empty');
    await mkdir(empty);
    await writeFile(join(empty, 'readme.md'), '# none');
    await assert.rejects(loadFixtures([empty]), (err) => err instanceof UsageError && /no \*\.json fixtures in .*empty/.test(err.message));
  });
});

const event = (o: Partial<ReplayEventResult> & Pick<ReplayEventResult, 'key' | 'outcome'>): ReplayEventResult => ({
  bucket: 'uploads', kind: 'upsert', code: null, textSource: null, characters: null, pages: null, warnings: [], steps: {}, reused: null, ...o,
});
const message = (o: Partial<ReplayMessageResult> & Pick<ReplayMessageResult, 'messageId' | 'outcome'>): ReplayMessageResult => ({
  fixture: `/f/${o.messageId}`, index: 0, error: null, test: false, events: [], ...o,
});
const report = (messages: ReplayMessageResult[], o: Partial<ReplayReport> = {}): ReplayReport => {
  const counts: ReplayReport['counts'] = {};
  for (const m of messages) counts[m.outcome] = (counts[m.outcome] ?? 0) + 1;
  return { files: '/srv/files', database: null, interrupted: false, messages, counts, exitCode: 0, ...o };
};

describe('formatReport', () => {
  test('one row per file event; rows for messages without files say why; counts in a fixed order; failures listed', () => {
    const text = formatReport(report([
      message({
        messageId: 'two.json', outcome: 'done', events: [
          event({ key: '請求書.txt', outcome: 'done', textSource: 'text-layer', characters: 1234, pages: 1, steps: { download: 3, extract: 12 } }),
          event({ key: 'old.txt', kind: 'delete', outcome: 'done' }),
        ],
      }),
      message({ messageId: 'test.json', outcome: 'done', test: true }),
      message({ messageId: 'empty.json', outcome: 'done' }),
      message({ messageId: 'bad.json', outcome: 'dead-letter', error: { code: 'MESSAGE_INVALID_JSON', message: 'not JSON' } }),
      message({
        messageId: 'flaky.json', outcome: 'retry', error: { code: 'STORAGE_ROOT_MISSING', message: 'the directory is gone' },
        events: [event({ key: 'x.pdf', outcome: 'retry' })],
      }),
      message({ messageId: 'lost.json', outcome: 'dead-letter', events: [event({ key: 'lost.bin', outcome: 'dead-letter' })] }),
      message({ messageId: 'stale.json', outcome: 'stale', events: [event({ key: 'gone.txt', outcome: 'stale', code: 'OBJECT_NOT_FOUND' })] }),
    ]));
    const lines = text.split('\n');
    assert.match(lines[0]!, /^MESSAGE\s+FILE\/KEY\s+OUTCOME\s+SOURCE\s+CHARS\s+PAGES\s+MS PER STEP\s+CODE$/);
    assert.match(lines[1]!, /^─+ {2}─+/);
    const row = (needle: string) => lines.find((l) => l.includes(needle)) ?? assert.fail(`no row with ${needle}:\n${text}`);
    assert.match(row('請求書.txt'), /^two\.json\s+請求書\.txt\s+done\s+text-layer\s+1234\s+1\s+download 3, extract 12$/);
    // the second event of a message has no message id; a delete says so; no numbers ⇒ dashes
    assert.match(row('old.txt'), /^\s+old\.txt \(delete\)\s+done\s+—\s+—\s+—\s+—$/);
    assert.match(row('test.json'), /\(s3:TestEvent\)\s+done/);
    assert.match(row('empty.json'), /\(no files\)\s+done/);
    assert.match(row('bad.json'), /\(no file: body rejected\)\s+dead-letter\s+—\s+—\s+—\s+—\s+MESSAGE_INVALID_JSON$/);
    // an event without its own code shows the message's error code when it failed
    assert.match(row('x.pdf'), /retry\s+—\s+—\s+—\s+—\s+STORAGE_ROOT_MISSING$/);
    assert.match(row('gone.txt'), /stale .*OBJECT_NOT_FOUND$/);
    // a failed event of a message without an error has no code to show
    assert.match(row('lost.bin'), /dead-letter\s+—\s+—\s+—\s+—$/);
    assert.ok(text.includes('7 messages from /srv/files: 3 done, 1 stale, 1 retry, 2 dead-letter\n'), text);
    assert.ok(text.includes('  dead-letter bad.json: MESSAGE_INVALID_JSON: not JSON\n'), text);
    assert.ok(text.includes('  retry flaky.json: STORAGE_ROOT_MISSING: the directory is gone\n'), text);
    assert.ok(!text.includes('state and index kept'), text);
  });

  test('columns line up by display width: Japanese keys take two columns a character', () => {
    const text = formatReport(report([
      message({ messageId: 'a.json', outcome: 'done', events: [event({ key: '経理/請求書.txt', outcome: 'done', characters: 5 })] }),
      message({ messageId: 'b.json', outcome: 'done', events: [event({ key: 'ascii-key-of-width-18', outcome: 'done', characters: 123456 })] }),
    ]));
    const rows = text.split('\n').slice(2, 4);
    // the OUTCOME column starts at the same terminal column on both rows
    const outcomeColumn = (line: string) => displayWidth(line.slice(0, line.indexOf('done')));
    assert.equal(outcomeColumn(rows[0]!), outcomeColumn(rows[1]!));
    // CHARS is right-aligned: both numbers end in the same column
    const endOf = (line: string, n: string) => displayWidth(line.slice(0, line.indexOf(n) + n.length));
    assert.equal(endOf(rows[0]!, ' 5'), endOf(rows[1]!, '123456'));
  });

  test('an interrupted replay: messages not replayed, "(interrupted)", one message in the singular, and the kept database', () => {
    const one = formatReport(report(
      [message({ messageId: 'later.json', outcome: 'released', error: { code: 'INTERRUPTED', message: 'not replayed: interrupted' } })],
      { interrupted: true, database: '/tmp/keep/spot-ingest.db' },
    ));
    assert.match(one, /^later\.json\s+\(not replayed\)\s+released\s+—\s+—\s+—\s+—\s+INTERRUPTED$/m);
    assert.match(one, /^1 message from \/srv\/files: 1 released \(interrupted\)$/m);
    assert.match(one, /^ {2}released later\.json: INTERRUPTED: not replayed: interrupted$/m);
    assert.match(one, /^state and index kept in \/tmp\/keep\/spot-ingest\.db$/m);
    assert.match(formatReport(report([])), /^0 messages from \/srv\/files: nothing replayed$/m);
  });
});

test('replayFixtures draws its progress bar on the stream it is given, and reports each file with its outcome', async () => {
  const files = join(dir, 'bucket-dir');
  await mkdir(files, { recursive: true });
  await writeFile(join(files, 'note.txt'), 'スポットインスタンスの中断通知\n');
  const body = (key: string) => JSON.stringify({ eventType: 'FILE_UPLOADED', s3Bucket: 'uploads', s3Key: key });
  const progress = Object.assign(new PassThrough(), { isTTY: true, columns: 120 });
  let drawn = '';
  progress.on('data', (chunk: Buffer) => { drawn += chunk.toString(); });
  const result = await replayFixtures([
    { messageId: 'one.json', fixture: '/f/one.json', index: 0, body: body('note.txt') },
    { messageId: 'two.json', fixture: '/f/two.json', index: 0, body: body('missing.txt') },
  ], { files, config: loadConfig({ INGEST_DATA_DIR: join(dir, 'data'), INGEST_POOL_SIZE: '1' }), progress });
  assert.match(drawn, /replay \[[█░]+\] \d\/2/);
  assert.deepEqual(result.messages.map((m) => [m.messageId, m.outcome, m.events.map((e) => [e.bucket, e.key, e.outcome, e.code])]), [
    ['one.json', 'done', [['uploads', 'note.txt', 'done', null]]],
    ['two.json', 'stale', [['uploads', 'missing.txt', 'stale', 'OBJECT_NOT_FOUND']]],
  ]);
  assert.equal(result.messages[0]!.events[0]!.characters, 'スポットインスタンスの中断通知\n'.length);
  assert.equal(result.exitCode, 0);
  assert.equal(result.database, null);
  assert.equal(result.interrupted, false);
  assert.deepEqual(result.counts, { done: 1, stale: 1 });
});
