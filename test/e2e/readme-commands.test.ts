/** The README's walkthrough commands that need no running daemon, run exactly as shown there. */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { runCli } from '../support/daemon.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');

test('README: replay test/fixtures/replay --files . → every message done, exit 0', async () => {
  assert.ok(readme.includes('npx spot-ingest replay test/fixtures/replay --files .'), 'the README still shows this command');
  process.chdir(root);
  const r = await runCli(['replay', 'test/fixtures/replay', '--files', '.', '--json'], { INGEST_QUEUE_URL: '' });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { messages: Array<{ outcome: string }> };
  assert.equal(out.messages.length, 3);
  assert.ok(out.messages.every((m) => m.outcome === 'done'));
});

test('README: process samples/請求書-2026-11.txt → its document as JSON', async () => {
  assert.ok(readme.includes('npx spot-ingest process samples/請求書-2026-11.txt'));
  process.chdir(root);
  const r = await runCli(['process', 'samples/請求書-2026-11.txt'], { INGEST_QUEUE_URL: '' });
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { content: string; encoding: string; text_source: string };
  assert.match(doc.content, /請求金額/);
  assert.equal(doc.encoding, 'shift_jis');
  assert.equal(doc.text_source, 'text-layer');
});
