/**
 * The page measurements preprocessing decides by (src/pool/page-analysis.ts), the light flattening
 * (light.ts) and the dust removal (despeckle.ts), on rendered pages with known skew, direction,
 * line height, light and dust.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import sharp, { type Sharp } from 'sharp';
import { analysePage, type GreyRaster } from '../../../src/pool/page-analysis.ts';
import { flattenLight } from '../../../src/pool/light.ts';
import { despeckle } from '../../../src/pool/despeckle.ts';
import { renderText, type Grey } from '../../fixtures/documents/render.ts';

const LINES = [
  '社内資料 第1号（ページ 1）',
  '本日の定例会議では来期の予算案について議論しました。',
  'The quarterly report will be published on 2/18.',
  '請求金額は4,496,042円（税込）です。',
  '新製品の発売日は来年の春を予定しております。',
  'Shipping address: 1-9-9 Marunouchi, Chiyoda-ku, Tokyo',
  '見積書の有効期限は発行日から三十日間とします。',
  '工事期間中はご迷惑をおかけしますが、ご理解をお願いします。',
  '会議室の予約は社内システムから行ってください。',
  '年度末に向けて業務の引き継ぎを進めています。',
];

const page = (): Grey => renderText(LINES, 1800, 1400, { left: 120, top: 120 });

async function transformed(grey: Grey, f: (s: Sharp) => Sharp): Promise<GreyRaster> {
  const { data, info } = await f(sharp(grey.data, { raw: { width: grey.width, height: grey.height, channels: 1 } })).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

test('an upright page of text: horizontal lines, no skew, the lines\' height, even light, no specks', () => {
  const layout = analysePage(page());
  assert.equal(layout.lines, 'horizontal');
  assert.ok(Math.abs(layout.skew) <= 0.2, `skew ${layout.skew}`);
  // 50 px NotoSansJP: the glyphs span about 44 px across a line
  assert.ok(layout.lineHeight !== null && layout.lineHeight >= 36 && layout.lineHeight <= 54, `line height ${layout.lineHeight}`);
  assert.ok(layout.evenness > 0.95, `evenness ${layout.evenness}`);
  assert.equal(layout.speckle, 0);
});

for (const degrees of [-9, -3, 4, 12]) {
  test(`a page turned ${degrees}° clockwise measures a skew of ${degrees}° (±0.3)`, async () => {
    const layout = analysePage(await transformed(page(), (s) => s.rotate(degrees, { background: '#ffffff' })));
    assert.equal(layout.lines, 'horizontal');
    assert.ok(Math.abs(layout.skew - degrees) <= 0.3, `skew ${layout.skew}`);
  });
}

test('a page on its side has vertical lines; the same page upside down has horizontal ones', async () => {
  assert.equal(analysePage(await transformed(page(), (s) => s.rotate(90))).lines, 'vertical');
  assert.equal(analysePage(await transformed(page(), (s) => s.rotate(270))).lines, 'vertical');
  assert.equal(analysePage(await transformed(page(), (s) => s.rotate(180))).lines, 'horizontal');
});

test('a page with next to no ink cannot tell its lines\' direction', () => {
  const blank = { data: new Uint8Array(800 * 600).fill(250), width: 800, height: 600 };
  for (let i = 0; i < 10; i++) blank.data[300 * 800 + 400 + i] = 0;
  const layout = analysePage(blank);
  assert.equal(layout.lines, 'unknown');
  assert.equal(layout.skew, 0);
  assert.equal(layout.lineHeight, null);
});

test('a shadow is measured as uneven light, and flattenLight turns its paper white again', () => {
  const grey = page();
  const shaded = new Uint8Array(grey.data.length);
  for (let y = 0; y < grey.height; y++) {
    for (let x = 0; x < grey.width; x++) {
      const light = 0.35 + (0.65 * x) / grey.width; // dark on the left
      shaded[y * grey.width + x] = Math.round(grey.data[y * grey.width + x]! * light);
    }
  }
  const raster = { data: shaded, width: grey.width, height: grey.height };
  const layout = analysePage(raster);
  assert.ok(layout.evenness < 0.6, `evenness ${layout.evenness}`);
  assert.equal(layout.lines, 'horizontal', 'the shadow is not taken for a line');
  const flat = flattenLight(raster, layout.background);
  // paper on the dark side (left margin) and on the light side (right margin)
  const paperAt = (x: number) => flat[700 * grey.width + x]!;
  assert.ok(paperAt(40) >= 235, `left margin ${paperAt(40)}`);
  assert.ok(paperAt(grey.width - 40) >= 235, `right margin ${paperAt(grey.width - 40)}`);
  // and the ink stays ink
  const inkBefore = grey.data.filter((v) => v < 100).length;
  const inkAfter = flat.filter((v, i) => v < 128 && grey.data[i]! < 100).length;
  assert.ok(inkAfter > inkBefore * 0.9, `ink kept: ${inkAfter} of ${inkBefore}`);
});

test('salt-and-pepper noise is measured as specks', () => {
  const grey = page();
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const noisy = Uint8Array.from(grey.data, (v) => (random() < 0.005 ? 0 : v));
  assert.ok(analysePage({ data: noisy, width: grey.width, height: grey.height }).speckle > 0.001);
});

test('despeckle removes dust away from the text, keeps the text and the dots that belong to it', () => {
  const grey = page();
  const data = Uint8Array.from(grey.data);
  const dust: number[] = [];
  // 300 specks of 2×2 px in the blank band under the last line and in the right margin
  for (let k = 0; k < 300; k++) {
    const x = 60 + ((k * 97) % 1600);
    const y = 1270 + ((k * 13) % 100);
    for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) data[(y + dy) * grey.width + x + dx] = 0;
    dust.push(y * grey.width + x);
  }
  const textInk = grey.data.filter((v) => v < 128).length;
  const removed = despeckle(data, grey.width, grey.height, { threshold: 128, paper: 255, maxArea: 20, clearance: 4, minSpecks: 200 });
  assert.ok(removed >= 280, `removed ${removed}`);
  assert.ok(dust.filter((i) => data[i] === 0).length < 20, 'the dust is gone');
  const kept = data.filter((v, i) => v < 128 && grey.data[i]! < 128).length;
  assert.ok(kept > textInk * 0.995, `text ink kept: ${kept} of ${textInk}`);
});

test('despeckle leaves a page alone when it finds fewer specks than minSpecks', () => {
  const grey = page();
  const data = Uint8Array.from(grey.data);
  data[1300 * grey.width + 900] = 0;
  assert.equal(despeckle(data, grey.width, grey.height, { threshold: 128, paper: 255, maxArea: 20, clearance: 4, minSpecks: 200 }), 0);
  assert.equal(data[1300 * grey.width + 900], 0);
});
