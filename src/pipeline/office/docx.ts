/**
 * DOCX: the body, then headers, footers, footnotes and endnotes; the page count from
 * docProps/app.xml `<Pages>` (null when absent).
 */
import type { OfficePackage } from './package.ts';
import { byNumber, joinBlocks, type FormatText } from './parts.ts';

const DOCX_EXTRA = /^word\/(?:header|footer)(\d*)\.xml$/;

export async function docxText(pkg: OfficePackage): Promise<FormatText> {
  const extras = pkg.names().filter((n) => DOCX_EXTRA.test(n)).sort(byNumber);
  const headers = extras.filter((n) => n.startsWith('word/header'));
  const footers = extras.filter((n) => n.startsWith('word/footer'));
  const notes = ['word/footnotes.xml', 'word/endnotes.xml'].filter((n) => pkg.has(n));
  const app = pkg.has('docProps/app.xml') ? ['docProps/app.xml'] : [];
  pkg.reserve(['word/document.xml', ...headers, ...footers, ...notes, ...app]);

  const texts = [await wordText(pkg, 'word/document.xml')];
  for (const name of [...headers, ...footers, ...notes]) texts.push(await wordText(pkg, name));
  const pageCount = app.length > 0 ? await pages(pkg, 'docProps/app.xml') : null;
  return { text: joinBlocks(texts), pageCount };
}

/** The first `<Pages>` holding a positive whole number. */
async function pages(pkg: OfficePackage, part: string): Promise<number | null> {
  let found: number | null = null;
  let text: string | null = null;
  await pkg.parse(part, {
    open(name, selfClosing) {
      if (name === 'Pages' && !selfClosing && found === null) text = '';
    },
    close(name) {
      if (name !== 'Pages' || text === null) return;
      const digits = /^\s*(\d+)\s*$/.exec(text)?.[1];
      const n = digits === undefined ? NaN : Number(digits);
      if (Number.isSafeInteger(n) && n > 0) found = n;
      text = null;
    },
    text(value) {
      // a page count is a few digits: a longer <Pages> is not one, however long it goes on
      if (text !== null) text = text.length > 32 ? text : text + value;
    },
  });
  return found;
}

/** WordprocessingML: `<w:t>` of runs, tab/br/cr inside runs, a newline per paragraph. Deleted text, field codes and fallbacks are left out. */
async function wordText(pkg: OfficePackage, part: string): Promise<string> {
  let out = '';
  let inText = 0;
  let inRun = 0;
  let skip = 0;
  await pkg.parse(part, {
    open(name, selfClosing) {
      if (skip > 0) {
        if (!selfClosing) skip++;
        return;
      }
      if (name === 'Fallback') {
        if (!selfClosing) skip = 1;
        return;
      }
      if (name === 'r' && !selfClosing) inRun++;
      else if (name === 't' && !selfClosing) inText++;
      else if (inRun > 0 && (name === 'tab' || name === 'ptab')) out += '\t';
      else if (inRun > 0 && (name === 'br' || name === 'cr')) out += '\n';
      else if (inRun > 0 && name === 'noBreakHyphen') out += '-';
      else if (name === 'p' && selfClosing) out += '\n';
    },
    close(name) {
      if (skip > 0) {
        skip--;
        return;
      }
      if (name === 'r') inRun = Math.max(0, inRun - 1);
      else if (name === 't') inText = Math.max(0, inText - 1);
      else if (name === 'p') out += '\n';
    },
    text(value) {
      if (skip === 0 && inText > 0) out += value;
    },
  });
  return out;
}
