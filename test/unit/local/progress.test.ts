/** Local mode's one line per settled message (src/local/progress.ts, docs/design.md §8). */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { QueueMessage } from '../../../src/consumer/queue-message.ts';
import { permanent, transient } from '../../../src/core/errors.ts';
import type { MessageOutcome } from '../../../src/core/outcome.ts';
import type { JobResult } from '../../../src/consumer/processor.ts';
import { printProgress } from '../../../src/local/progress.ts';

const message: QueueMessage = { messageId: '0123456789abcdef', receiptHandle: 'r', body: '{}', receiveCount: 1, receivedAt: 0 };

function lines(outcome: MessageOutcome, result: JobResult): string[] {
  const out = new PassThrough();
  printProgress(out, message, outcome, result);
  return String(out.read() ?? '').split('\n').slice(0, -1);
}

test('a done file: mark, outcome, key, text source, characters, pages, OCR confidence and top-level step timings', () => {
  assert.deepEqual(lines('done', {
    outcome: 'done',
    events: [{
      key: '経理/請求書.pdf', kind: 'upsert', outcome: 'done', textSource: 'mixed', characters: 1234, pages: 3, ocrConfidence: 91,
      steps: { download: 12, extract: 340, 'extract.ocr': 300, index: 5 },
    }],
  }), ['✔ done        経理/請求書.pdf  mixed  1234 chars  3 pages  OCR confidence 91  (download 12ms, extract 340ms, index 5ms)']);
});

test('one page is singular; warnings are listed; an event without details prints only its key', () => {
  assert.deepEqual(lines('done', {
    outcome: 'done',
    events: [
      { key: 'scan.png', kind: 'upsert', outcome: 'done', textSource: 'ocr', characters: 0, pages: 1, warnings: ['OCR_LOW_CONFIDENCE', 'PAGE_LIMIT'] },
      { key: 'old.txt', kind: 'delete', outcome: 'done' },
    ],
  }), [
    '✔ done        scan.png  ocr  0 chars  1 page  ⚠ OCR_LOW_CONFIDENCE, PAGE_LIMIT',
    '✔ done        old.txt  ',
  ]);
});

test('a reused document says where its extraction was made and what that saved', () => {
  assert.deepEqual(lines('done', {
    outcome: 'done',
    events: [
      { key: '2025/scan.pdf', kind: 'upsert', outcome: 'done', textSource: 'ocr', characters: 120, pages: 3, reused: { from: 's3://b/2024/scan.pdf', savedPages: 3, savedBedrockTokens: 410 }, steps: { reuse: 2, index: 4 } },
      { key: 'copy.txt', kind: 'upsert', outcome: 'done', textSource: 'text-layer', characters: 9, reused: { from: 's3://b/a.txt', savedPages: 1, savedBedrockTokens: 0 } },
    ],
  }), [
    '✔ done        2025/scan.pdf  ocr  120 chars  3 pages  reused from s3://b/2024/scan.pdf (saved 3 pages, 410 Bedrock tokens)  (reuse 2ms, index 4ms)',
    '✔ done        copy.txt  text-layer  9 chars  reused from s3://b/a.txt (saved 1 page)',
  ]);
});

test('a failed message names its error code and message on every event line', () => {
  const error = transient('DEPENDENCY_UNAVAILABLE', 'DynamoDB did not answer');
  assert.deepEqual(lines('retry', { outcome: 'retry', error, events: [{ key: 'a.txt', kind: 'upsert', outcome: 'retry' }] }), [
    '↻ retry       a.txt  DEPENDENCY_UNAVAILABLE: DynamoDB did not answer',
  ]);
});

test('a message with no file event gets one line naming the message by its id', () => {
  const error = permanent('MESSAGE_INVALID_JSON', 'the body is not JSON');
  assert.deepEqual(lines('dead-letter', { outcome: 'dead-letter', error, events: [] }), [
    '✖ dead-letter (message 01234567)  MESSAGE_INVALID_JSON: the body is not JSON',
  ]);
  assert.deepEqual(lines('done', { outcome: 'done', events: [] }), ['✔ done        (message 01234567)  ']);
});

test('every outcome has its own mark', () => {
  const marks = (['done', 'duplicate', 'stale', 'retry', 'dead-letter', 'released'] as const)
    .map((outcome) => lines(outcome, { outcome, events: [{ key: 'k', kind: 'upsert', outcome }] })[0]!.split(' ')[0]);
  assert.deepEqual(marks, ['✔', '=', '~', '↻', '✖', '⏎']);
});
