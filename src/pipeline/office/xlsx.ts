/**
 * XLSX: a header line (the sheet name) per sheet in workbook order, then one line per row with the
 * non-empty cell values tab-separated; the page count is the number of sheets.
 */
import { posix } from 'node:path';
import { corrupt, type OfficePackage } from './package.ts';
import { byNumber, joinBlocks, relationships, type FormatText } from './parts.ts';
import { attr, attrByLocal } from './xml.ts';

export async function xlsxText(pkg: OfficePackage): Promise<FormatText> {
  if (!pkg.has('xl/workbook.xml')) throw corrupt('xl/workbook.xml is missing');
  const sheetParts = pkg.names().filter((n) => n.startsWith('xl/worksheets/') && /^[^/]+\.xml$/.test(n.slice('xl/worksheets/'.length)));
  const optional = ['xl/_rels/workbook.xml.rels', 'xl/sharedStrings.xml'].filter((n) => pkg.has(n));
  pkg.reserve(['xl/workbook.xml', ...optional, ...sheetParts]);

  const sheets: Array<{ name: string; rid: string | null }> = [];
  await pkg.parse('xl/workbook.xml', {
    open(name, _selfClosing, attrs) {
      if (name === 'sheet') sheets.push({ name: attr(attrs, 'name') ?? '', rid: attr(attrs, 'r:id') ?? attrByLocal(attrs, 'id') });
    },
  });
  const rels = pkg.has('xl/_rels/workbook.xml.rels') ? await relationships(pkg, 'xl/_rels/workbook.xml.rels', 'xl/workbook.xml') : new Map<string, string>();
  const shared = pkg.has('xl/sharedStrings.xml') ? await sharedStrings(pkg) : [];

  // workbook order via the relationships; sheets no relationship names follow in file-name order
  const numbered = [...sheetParts].sort(byNumber);
  const ordered: Array<{ name: string; part: string | null }> = sheets.map((s, i) => {
    const target = s.rid === null ? undefined : rels.get(s.rid);
    if (target !== undefined) return { name: s.name, part: target.startsWith('xl/worksheets/') ? (pkg.has(target) ? target : null) : null };
    return { name: s.name, part: rels.size === 0 ? (numbered[i] ?? null) : null };
  });
  const used = new Set(ordered.map((s) => s.part));
  for (const part of numbered) if (!used.has(part)) ordered.push({ name: posix.basename(part, '.xml'), part });

  const blocks: string[] = [];
  for (const sheet of ordered) {
    const rows = sheet.part === null ? [] : await sheetRows(pkg, sheet.part, shared);
    blocks.push([sheet.name, ...rows].join('\n'));
  }
  return { text: joinBlocks(blocks), pageCount: Math.max(sheets.length, ordered.length) };
}

/** `<si>` items: the `<t>` runs concatenated, phonetic guides (`<rPh>`, furigana) left out. */
async function sharedStrings(pkg: OfficePackage): Promise<string[]> {
  const out: string[] = [];
  let current: string | null = null;
  let inText = 0;
  let inPhonetic = 0;
  await pkg.parse('xl/sharedStrings.xml', {
    open(name, selfClosing) {
      if (name === 'si') {
        if (selfClosing) out.push('');
        else current = '';
      } else if (name === 'rPh' && !selfClosing) inPhonetic++;
      else if (name === 't' && !selfClosing) inText++;
    },
    close(name) {
      if (name === 'si') {
        out.push(xstring(current ?? ''));
        current = null;
      } else if (name === 'rPh') inPhonetic = Math.max(0, inPhonetic - 1);
      else if (name === 't') inText = Math.max(0, inText - 1);
    },
    text(value) {
      if (current !== null && inText > 0 && inPhonetic === 0) current += value;
    },
  });
  return out;
}

interface Cell {
  type: string;
  value: string;
  inline: string;
}

/** One line per row, non-empty cell values tab-separated (in-cell line breaks become spaces). */
async function sheetRows(pkg: OfficePackage, part: string, shared: readonly string[]): Promise<string[]> {
  const rows: string[] = [];
  let row: string[] | null = null;
  let cell: Cell | null = null;
  let inValue = 0;
  let inInline = 0;
  let inText = 0;
  let inPhonetic = 0;
  await pkg.parse(part, {
    open(name, selfClosing, attrs) {
      if (selfClosing) {
        if (name === 'row') rows.push('');
        return;
      }
      if (name === 'row') row = [];
      else if (name === 'c') cell = { type: attr(attrs, 't') ?? 'n', value: '', inline: '' };
      else if (name === 'v') inValue++;
      else if (name === 'is') inInline++;
      else if (name === 't') inText++;
      else if (name === 'rPh') inPhonetic++;
    },
    close(name) {
      if (name === 'row') {
        if (row !== null && row.length > 0) rows.push(row.join('\t'));
        row = null;
      } else if (name === 'c') {
        // line breaks and tabs inside a cell (Alt+Enter) would break the one-line-per-row layout
        const text = cell === null ? '' : cellText(cell, shared).replace(/[\t\r\n]+/g, ' ').trim();
        if (text !== '') (row ??= []).push(text);
        cell = null;
      } else if (name === 'v') inValue = Math.max(0, inValue - 1);
      else if (name === 'is') inInline = Math.max(0, inInline - 1);
      else if (name === 't') inText = Math.max(0, inText - 1);
      else if (name === 'rPh') inPhonetic = Math.max(0, inPhonetic - 1);
    },
    text(value) {
      if (cell === null) return;
      if (inValue > 0) cell.value += value;
      else if (inInline > 0 && inText > 0 && inPhonetic === 0) cell.inline += value;
    },
  });
  return rows.filter((r) => r !== '');
}

function cellText(cell: Cell, shared: readonly string[]): string {
  switch (cell.type) {
    case 's': {
      const index = Number(cell.value.trim());
      return Number.isSafeInteger(index) && index >= 0 ? (shared[index] ?? '') : '';
    }
    case 'inlineStr':
      return xstring(cell.inline);
    case 'b':
      return cell.value.trim() === '1' ? 'TRUE' : cell.value.trim() === '0' ? 'FALSE' : cell.value.trim();
    case 'str':
      return xstring(cell.value);
    default: // n, e, d
      return cell.value.trim();
  }
}

/** ST_Xstring escapes: `_x000D_` is a character, `_x005F_` an underscore. */
function xstring(value: string): string {
  return value.includes('_x') ? value.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))) : value;
}
