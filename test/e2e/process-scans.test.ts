/**
 * Scans as a user's archive holds them, through the spawned CLI (`spot-ingest process <file>`): a
 * page fed upside down, a page scanned 6° askew under a gutter shadow, and a page of vertical
 * Japanese each come back as their text; a page of noise with no text says so (OCR_NO_TEXT).
 */
import { test, beforeAll, afterAll } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import type { IndexDocument } from '../../src/core/index-document.ts';
import { characterErrorRate } from '../support/cer.ts';
import { runCli } from '../support/daemon.ts';
import { renderVertical, VERTICAL_COLUMNS } from '../support/vertical-page.ts';
import { renderText, type Grey } from '../fixtures/documents/render.ts';

const LINES = [
  '社内資料 第3号（ページ 1）',
  '本日の定例会議では来期の予算案について議論しました。',
  'The quarterly report will be published on 2/18.',
  '見積書の有効期限は発行日から三十日間とします。',
  '会議室の予約は社内システムから行ってください。',
  'Shipping address: 1-9-9 Marunouchi, Chiyoda-ku, Tokyo',
  '年度末に向けて業務の引き継ぎを進めています。',
];
const COLUMNS = VERTICAL_COLUMNS;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spot-ingest-scans-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const env = { INGEST_QUEUE_URL: '', LOG_LEVEL: '', INGEST_DATA_DIR: '' };

async function scan(name: string, page: Grey, f: (s: Sharp) => Sharp = (s) => s): Promise<string> {
  const path = join(dir, name);
  const image = f(sharp(page.data, { raw: { width: page.width, height: page.height, channels: 1 } }));
  await writeFile(path, await image.withDensity(300).png().toBuffer());
  return path;
}

async function processed(path: string): Promise<IndexDocument> {
  const r = await runCli(['process', path], { ...env, INGEST_DATA_DIR: join(dir, 'data') });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as IndexDocument;
}

test('a page fed upside down is turned and read', async () => {
  const doc = await processed(await scan('upside-down.png', renderText(LINES, 1800, 900, { left: 100, top: 80 }), (s) => s.rotate(180)));
  assert.equal(doc.text_source, 'ocr');
  const cer = characterErrorRate(LINES.join('\n'), doc.content);
  assert.ok(cer < 0.03, `CER ${cer}: ${doc.content}`);
});

test('a page scanned 6° askew with a shadow down its left edge is read', async () => {
  const page = renderText(LINES, 1800, 900, { left: 160, top: 80 });
  const shaded = Uint8Array.from(page.data, (v, i) => Math.round(v * (1 - 0.75 * Math.exp(-(i % page.width) / 300))));
  const doc = await processed(await scan('askew-shadow.png', { ...page, data: shaded }, (s) => s.rotate(6, { background: '#ffffff' })));
  const cer = characterErrorRate(LINES.join('\n'), doc.content);
  assert.ok(cer < 0.03, `CER ${cer}: ${doc.content}`);
});

test('vertical Japanese is read in its columns, right to left', async () => {
  const doc = await processed(await scan('tategaki.png', renderVertical(COLUMNS)));
  const cer = characterErrorRate(COLUMNS.join('\n'), doc.content);
  assert.ok(cer < 0.03, `CER ${cer}: ${doc.content}`);
});

test('a page with ink but nothing readable is indexed with OCR_NO_TEXT, not silently empty', async () => {
  // scattered blobs: ink (not blank), but no text
  const width = 1200;
  const height = 900;
  const data = new Uint8Array(width * height).fill(255);
  for (let k = 0; k < 40; k++) {
    const cx = 100 + ((k * 337) % 1000);
    const cy = 100 + ((k * 211) % 700);
    for (let y = -12; y <= 12; y++) for (let x = -12; x <= 12; x++) if (x * x + y * y <= 144) data[(cy + y) * width + cx + x] = 0;
  }
  const doc = await processed(await scan('blobs.png', { width, height, data }));
  assert.equal(doc.text_source, 'none', JSON.stringify(doc.content));
  assert.ok(doc.warnings.some((w) => w.startsWith('OCR_NO_TEXT: page 1')), JSON.stringify(doc.warnings));
  assert.ok(!doc.warnings.some((w) => w.startsWith('BLANK_PAGES')), 'a page with ink is not called blank');
});
