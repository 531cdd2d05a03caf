/**
 * Synthetic documents for the document benchmarks, made the way test/fixtures/documents/make.ts
 * makes its scans (that script has no exports: it writes the fixtures when imported), so the same
 * approach is repeated here:
 * - scanned pages: black NotoSansJP text on white, 50 px glyphs (12 pt at 300 dpi), lines 1.8×
 *   apart, drawn with @napi-rs/canvas on an A4 page of 2480×3508 px, saved as 8-bit greyscale PNG
 *   with a 300-dpi pHYs chunk (tesseract guesses 70 dpi without one);
 * - PDFs (pdf-lib + @pdf-lib/fontkit): text pages with NotoSansJP embedded (a text layer), and
 *   scanned pages (such a page as a full-page DeviceGray image, no text layer and no font).
 * The text is Japanese with some English lines, drawn from fixed sentences with a seeded PRNG:
 * the same pages on every run.
 */
import { readFileSync } from 'node:fs';
import fontkit from '@pdf-lib/fontkit';
import { concatTransformationMatrix, drawObject, PDFDocument, popGraphicsState, pushGraphicsState, type PDFFont } from 'pdf-lib';
import sharp from 'sharp';
import { seededRandom } from './stats.ts';
import { fontPath, renderText, type Grey } from '../../test/fixtures/documents/render.ts';

let fontBytes: Buffer | undefined;

export const A4_POINTS = { width: 595.28, height: 841.89 };
export const A4_300DPI = { width: 2480, height: 3508 };
export const SCAN_DPI = 300;
const MARGIN_PX = 236; // 20 mm at 300 dpi

export type { Grey };

// ---------------------------------------------------------------- text

const JA_SENTENCES = [
  '本日の定例会議では来期の予算案について議論しました。',
  '新しい物流センターは{m}月{d}日に稼働を開始します。',
  '見積書の有効期限は発行日から三十日間とします。',
  '請求金額は{yen}円（税込）です。',
  'お支払いは翌月末日までに指定の口座へお振り込みください。',
  '東京都千代田区丸の内{n}丁目の本社で説明会を開催します。',
  '大阪支店の営業成績は前年同期比{p}%増となりました。',
  '品質管理部門から検査結果の報告書が提出されました。',
  '契約内容に変更がある場合は書面にて通知いたします。',
  '次回の打ち合わせは{m}月{d}日午後二時からを予定しています。',
  '添付資料をご確認のうえ、ご意見をお寄せください。',
  '本件に関するお問い合わせは総務部までご連絡ください。',
  '在庫数量は{n}{n}{n}個で、追加発注は不要と判断しました。',
  '納品予定日は{m}月{d}日、場所は横浜倉庫です。',
  '研修の参加者は合計{n}{n}名でした。',
  '個人情報の取り扱いには十分に注意してください。',
  '年度末に向けて業務の引き継ぎを進めています。',
  '新製品の発売日は来年の春を予定しております。',
  '工事期間中はご迷惑をおかけしますが、ご理解をお願いします。',
  '会議室の予約は社内システムから行ってください。',
  '経費精算の締め切りは毎月{d}日です。',
  '顧客満足度調査の結果を以下にまとめました。',
  '保守契約の更新手続きについてご案内いたします。',
  '第{n}四半期の売上高は{yen}円でした。',
];
const EN_SENTENCES = [
  'Invoice No. {n}{n}{n}{n}-{n}{n} total {yen} JPY',
  'Meeting room {n}B is booked from 14:00 to 15:30.',
  'Please return the signed contract by {m}/{d}.',
  'Order No. 2026-{n}{n}{n}{n} qty {n}{n} unit price {yen} JPY',
  'Shipping address: 1-{n}-{n} Marunouchi, Chiyoda-ku, Tokyo',
  'Contact: support@example.co.jp, tel. 03-{n}{n}{n}{n}-{n}{n}{n}{n}',
  'The quarterly report will be published on {m}/{d}.',
  'Total amount due: {yen} JPY (tax included)',
];

function fill(template: string, random: () => number): string {
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  return template
    .replace(/\{m\}/g, () => String(int(1, 12)))
    .replace(/\{d\}/g, () => String(int(1, 28)))
    .replace(/\{n\}/g, () => String(int(1, 9)))
    .replace(/\{p\}/g, () => String(int(2, 39)))
    .replace(/\{yen\}/g, () => int(1_000, 9_999_999).toLocaleString('en'));
}

/**
 * `lines` lines of text for page `index` of a document `seed`: a title, then Japanese sentences
 * with about one English line in four. The same arguments give the same lines.
 */
export function pageLines(seed: number, index: number, lines: number): string[] {
  const random = seededRandom(seed * 10_007 + index);
  const out = [`社内資料 第${index + 1}号（ページ ${index + 1}）`];
  while (out.length < lines) {
    const english = random() < 0.25;
    const pool = english ? EN_SENTENCES : JA_SENTENCES;
    out.push(fill(pool[Math.floor(random() * pool.length)]!, random));
  }
  return out;
}

// ---------------------------------------------------------------- scans

/** Renders `lines` black on white at 300-dpi scale (A4 by default). Throws when they do not fit. */
export function renderScan(lines: readonly string[], size: { width: number; height: number } = A4_300DPI): Grey {
  return renderText(lines, size.width, size.height, { left: MARGIN_PX, top: MARGIN_PX });
}

/** 8-bit greyscale PNG with its density (pHYs) set. */
export function greyPng(img: Grey, dpi = SCAN_DPI): Promise<Buffer> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 1 } })
    .toColourspace('b-w')
    .withDensity(dpi)
    .png({ compressionLevel: 6 })
    .toBuffer();
}

// ---------------------------------------------------------------- PDFs

async function newPdf(title: string): Promise<{ doc: PDFDocument; font: () => Promise<PDFFont> }> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  doc.registerFontkit(fontkit);
  let embedded: PDFFont | undefined;
  fontBytes ??= readFileSync(fontPath);
  const bytes = fontBytes;
  const font = async () => (embedded ??= await doc.embedFont(bytes, { subset: false })); // see pdf()
  doc.setTitle(title);
  doc.setProducer('spot-ingest benchmarks (pdf-lib)');
  return { doc, font };
}

export type PdfPage = { kind: 'text'; lines: readonly string[] } | { kind: 'scan'; image: Grey };

/**
 * A PDF of text pages (a text layer: NotoSansJP, `size` pt, 1.6× leading) and scanned pages (one
 * full-page greyscale image each: Flate, DeviceGray, 8 bit; no text layer, no font).
 *
 * The font is embedded WHOLE (3 MB per PDF): a subset of this NotoSansJP TTF made by pdf-lib
 * (@pdf-lib/fontkit 1.1.1) renders in pdf.js with most glyphs missing, so a rendered page (OCR,
 * thumbnail) would hold a fraction of its text. The text layer is right either way.
 */
export async function pdf(title: string, pages: readonly PdfPage[], size = 10.5): Promise<Uint8Array> {
  const { doc, font: getFont } = await newPdf(title);
  for (const page of pages) {
    const p = doc.addPage([A4_POINTS.width, A4_POINTS.height]);
    if (page.kind === 'text') {
      const font = await getFont();
      page.lines.forEach((line, i) => p.drawText(line, { font, size, x: 57, y: A4_POINTS.height - 72 - i * size * 1.6 }));
    } else {
      const img = page.image;
      const stream = doc.context.flateStream(img.data, {
        Type: 'XObject', Subtype: 'Image', Width: img.width, Height: img.height, ColorSpace: 'DeviceGray', BitsPerComponent: 8,
      });
      const name = p.node.newXObject('Im', doc.context.register(stream));
      p.pushOperators(pushGraphicsState(), concatTransformationMatrix(A4_POINTS.width, 0, 0, A4_POINTS.height, 0, 0), drawObject(name), popGraphicsState());
    }
  }
  return doc.save({ useObjectStreams: true });
}
