/**
 * Writes the bundled samples/ that local mode seeds on first start: Japanese and English text in
 * the encodings Japanese file servers hold, a CSV from Excel (Shift_JIS), an unsupported file, and a
 * broken one. Run: `node scripts/make-samples.ts` (the output is committed).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import Encoding from 'encoding-japanese';

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
console.log(`samples written to ${dir.pathname}`);
