/**
 * PageOcr (src/pool/page-ocr.ts) with the real engines (tesseract.js, the installed jpn / eng /
 * jpn_vert / osd data): an upside-down page and a page on its side are turned upright by OSD, and
 * vertical Japanese is read by the vertical model. Small pages, so that each reads in about a second.
 */
import { afterAll, beforeAll, test } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { prepareLanguageDir } from '../../../src/pool/ocr-languages.ts';
import { IDLE_PAGES, PageOcr, verticalLangs } from '../../../src/pool/page-ocr.ts';
import { prepareForOcr } from '../../../src/pool/preprocess.ts';
import { characterErrorRate } from '../../support/cer.ts';
import { renderText } from '../../fixtures/documents/render.ts';
import { renderVertical, VERTICAL_COLUMNS } from '../../support/vertical-page.ts';

const LINES = [
  '本日の定例会議では来期の予算案について議論しました。',
  '見積書の有効期限は発行日から三十日間とします。',
  '会議室の予約は社内システムから行ってください。',
  '年度末に向けて業務の引き継ぎを進めています。',
];
const COLUMNS = VERTICAL_COLUMNS;

let dir: string;
let ocr: PageOcr;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spot-ingest-page-ocr-'));
  ocr = new PageOcr({ langs: ['jpn', 'eng'], langPath: await prepareLanguageDir(['jpn', 'eng'], dir) });
});
afterAll(async () => {
  await ocr?.close();
  await rm(dir, { recursive: true, force: true });
});

async function png(data: Uint8Array, width: number, height: number, degrees = 0): Promise<Buffer> {
  return sharp(data, { raw: { width, height, channels: 1 } }).rotate(degrees).withDensity(300).png().toBuffer();
}

async function read(file: Buffer) {
  const ready = await prepareForOcr(sharp(file), { targetDpi: 300, density: 300 });
  assert.ok(ready.png);
  return { ready, reading: await ocr.read(ready.png, ready.layout) };
}

test('verticalLangs: jpn is read vertically as jpn_vert, other languages as they are; none without jpn', () => {
  assert.deepEqual(verticalLangs(['jpn', 'eng']), ['jpn_vert', 'eng']);
  assert.equal(verticalLangs(['eng']), null);
});

test('an upright page is read once, as it is', async () => {
  const page = renderText(LINES, 1700, 700, { left: 80, top: 60 });
  const { reading } = await read(await png(page.data, page.width, page.height));
  assert.equal(reading.rotated, 0);
  assert.equal(reading.model, 'horizontal');
  assert.ok(characterErrorRate(LINES.join(''), reading.text) < 0.03, reading.text);
});

for (const degrees of [180, 90, 270] as const) {
  test(`a page turned ${degrees}° is turned back by OSD and read`, async () => {
    const page = renderText(LINES, 1700, 700, { left: 80, top: 60 });
    const { ready, reading } = await read(await png(page.data, page.width, page.height, degrees));
    assert.equal(ready.layout?.lines, degrees === 180 ? 'horizontal' : 'vertical');
    assert.equal(reading.rotated, (360 - degrees) % 360);
    assert.equal(reading.model, 'horizontal');
    assert.ok(characterErrorRate(LINES.join(''), reading.text) < 0.03, reading.text);
  });
}

test('vertical Japanese (columns right to left) is read with the vertical model, detected or by the better confidence', async () => {
  const page = renderVertical(COLUMNS);
  const { ready, reading } = await read(await png(page.data, page.width, page.height));
  // a tight grid of characters has rows as well as columns: 'vertical' or 'unknown', never 'horizontal'
  assert.notEqual(ready.layout?.lines, 'horizontal');
  assert.equal(reading.model, 'vertical');
  assert.equal(reading.rotated, 0);
  assert.ok(characterErrorRate(COLUMNS.join(''), reading.text) < 0.05, reading.text);
});

test(`the OSD and vertical engines are closed after ${IDLE_PAGES} pages without use, and start again when needed`, async () => {
  const page = renderText(LINES, 1700, 700, { left: 80, top: 60 });
  const upsideDown = await png(page.data, page.width, page.height, 180);
  await read(upsideDown);
  assert.ok(ocr.engines.includes('osd'), ocr.engines.join(', '));
  const tiny = renderText(LINES.slice(0, 2), 1700, 330, { left: 80, top: 60 });
  for (let i = 0; i < IDLE_PAGES; i++) await read(await png(tiny.data, tiny.width, tiny.height));
  assert.deepEqual(ocr.engines, ['main']);
  const { reading } = await read(upsideDown);
  assert.equal(reading.rotated, 180);
  assert.ok(ocr.engines.includes('osd'));
});
