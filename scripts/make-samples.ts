/**
 * Writes the bundled samples/ that local mode seeds on first start: Japanese and English text in
 * the encodings Japanese file servers hold, a CSV from Excel (Shift_JIS), a Word document (DOCX), an
 * unsupported file, a broken one, born-digital PDFs (Japanese and English), a scanned PDF and a photo
 * of a receipt. Run: `node scripts/make-samples.ts` (the output is committed).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { strToU8, zipSync } from 'fflate';
import Encoding from 'encoding-japanese';
import { PDFDocument, StandardFonts } from 'pdf-lib';

const dir = new URL('../samples/', import.meta.url);
mkdirSync(dir, { recursive: true });
const encode = (text: string, to: 'SJIS' | 'EUCJP') => Uint8Array.from(Encoding.convert(Encoding.stringToCode(text), to, 'UNICODE'));
const write = (name: string, data: string | Uint8Array) => writeFileSync(new URL(name, dir), data);

write('請求書-2026-11.txt', encode(
  '請求書\r\n\r\n株式会社サンプル 御中\r\n\r\n件名：クラウド移行支援（11月分）\r\n請求金額：１，２３０，０００円（税込）\r\n' +
  'お支払期限：2026年12月25日\r\n\r\n上記の通りご請求申し上げます。\r\n', 'SJIS'));
write('議事録-定例会議.txt', encode(
  '定例会議 議事録\n\n日時：2026年11月20日 14:00〜15:00\n場所：東京本社 第3会議室\n\n' +
  '1. スポットインスタンスの中断対策について\n   二分前の通知で処理中のファイルを安全に返却する方針を確認した。\n' +
  '2. 全文検索の日本語対応\n   形態素解析と部分一致の両方で検索できることを確認した。\n', 'EUCJP'));
write('spot-interruptions.md',
  '# Handling Spot interruptions\n\nEC2 Spot gives a two-minute notice before it reclaims an instance.\n' +
  'spot-ingest stops receiving at once, lets short work finish, and releases the rest so another\n' +
  'instance can pick it up immediately. No message is lost.\n');
write('在庫一覧.csv', encode('品番,品名,数量,倉庫\r\nA-001,ボールペン（黒）,120,大阪\r\nA-002,ノート Ａ４,45,東京\r\nB-105,ホッチキス,8,名古屋\r\n', 'SJIS'));
write('readme-utf16.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Quarterly report (UTF-16): revenue grew 12% year on year.\r\n四半期報告：売上は前年比12%増。\r\n', 'utf16le')]));
write('backup.gz', gzipSync(Buffer.from('an archive: indexed by name and path only')));
write('broken.txt', Buffer.concat([Buffer.from('This file was damaged in transit: '), Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28]), Buffer.from(' but the rest is readable.\n')]));
write('会議資料.docx', docx(
  ['会議資料：クラウド移行プロジェクト', '', '日時：2026年11月27日 10:00〜11:00', '参加者：営業部、情報システム部',
    '1. 検索基盤の移行状況', '\tWord・Excel・PowerPoint の全文検索に対応した。', '2. 次回までの課題',
    '\tスポットインスタンスの中断時に処理中のファイルを取りこぼさないことを確認する。'],
  '社外秘'));

// A born-digital PDF, a scanned page and a photo of a receipt (EXIF-rotated), from the document
// fixtures (test/fixtures/documents/make.ts makes them): text layer, OCR, OCR after orientation.
const fixture = (name: string) => readFileSync(new URL(`../test/fixtures/documents/files/${name}`, import.meta.url));
write('請求書-テキスト層.pdf', fixture('born-digital-ja.pdf'));
write('請求書-スキャン.pdf', fixture('scanned-ja.pdf'));
write('領収書-写真.jpg', fixture('photo-exif-rotated.jpg'));

// An English born-digital PDF in a standard font (nothing embedded: small, and it renders as it should).
{
  const doc = await PDFDocument.create();
  doc.setCreationDate(new Date('2026-11-20T00:00:00Z'));
  doc.setModificationDate(new Date('2026-11-20T00:00:00Z'));
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const pages = [
    ['Quarterly operations report', '', 'Spot capacity: the fleet ran on EC2 Spot for 97% of the quarter.', 'Interruptions: 41 notices, no message lost, median drain 6 seconds.'],
    ['Search quality', '', 'Scanned invoices are now searchable through OCR of pages without text.', 'Born-digital documents are read from their text layer in milliseconds.'],
  ];
  for (const lines of pages) {
    const page = doc.addPage([595.28, 841.89]);
    lines.forEach((line, i) => page.drawText(line, { x: 72, y: 760 - i * 22, size: i === 0 ? 18 : 11, font }));
  }
  write('quarterly-report.pdf', await doc.save({ useObjectStreams: false }));
}

/** A minimal, valid DOCX: one paragraph per line (a leading \t becomes a tab), a header, one page. */
function docx(lines: string[], header: string): Uint8Array {
  const xml = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n';
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';
  const para = (line: string) => line === '' ? '<w:p/>' : `<w:p><w:r>${line.startsWith('\t') ? '<w:tab/>' : ''}<w:t xml:space="preserve">${esc(line.replace(/^\t/, ''))}</w:t></w:r></w:p>`;
  const rel = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
  const parts: Record<string, string> = {
    '[Content_Types].xml': `${xml}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>' +
      '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>' +
      '<Override PartName="/word/header1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/>' +
      '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>',
    '_rels/.rels': `${xml}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
      `<Relationship Id="rId1" Type="${rel}/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="${rel}/extended-properties" Target="docProps/app.xml"/></Relationships>`,
    'word/_rels/document.xml.rels': `${xml}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${rel}/header" Target="header1.xml"/></Relationships>`,
    'word/document.xml': `${xml}<w:document ${W}><w:body>${lines.map(para).join('')}<w:sectPr><w:headerReference w:type="default" r:id="rId1"/><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>`,
    'word/header1.xml': `${xml}<w:hdr ${W}>${para(header)}</w:hdr>`,
    'docProps/app.xml': `${xml}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>spot-ingest make-samples</Application><Pages>1</Pages></Properties>`,
  };
  // a fixed local time: the same bytes on every run
  return zipSync(Object.fromEntries(Object.entries(parts).map(([name, text]) => [name, strToU8(text)])), { level: 9, mtime: new Date(2026, 10, 27, 10, 0, 0) });
}

console.log(`samples written to ${dir.pathname}`);
