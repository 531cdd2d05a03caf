/**
 * PPTX: slides in numeric order, each followed by its speaker notes (without the slide-number
 * field); the page count is the number of slides.
 */
import { corrupt, type OfficePackage } from './package.ts';
import { byNumber, joinBlocks, relationships, relsPathOf, type FormatText } from './parts.ts';

export const SLIDE = /^ppt\/slides\/slide(\d+)\.xml$/;

export async function pptxText(pkg: OfficePackage): Promise<FormatText> {
  const slides = pkg.names().filter((n) => SLIDE.test(n)).sort(byNumber);
  const slideRels = slides.map(relsPathOf).filter((n) => pkg.has(n));
  const notes = pkg.names().filter((n) => /^ppt\/notesSlides\/[^/]+\.xml$/.test(n));
  pkg.reserve([...slides, ...slideRels, ...notes]);
  if (slides.length === 0 && !pkg.has('ppt/presentation.xml')) throw corrupt('no ppt/presentation.xml and no slides');

  const blocks: string[] = [];
  for (const slide of slides) {
    let text = await drawingText(pkg, slide, false);
    const rels = relsPathOf(slide);
    if (pkg.has(rels)) {
      for (const [, target] of await relationships(pkg, rels, slide, 'notesSlide')) {
        if (!pkg.has(target)) continue;
        const note = (await drawingText(pkg, target, true)).trim();
        if (note !== '') text = `${text.replace(/\s+$/, '')}\n${note}`;
      }
    }
    blocks.push(text);
  }
  return { text: joinBlocks(blocks), pageCount: slides.length };
}

/** DrawingML: `<a:t>` text, `<a:br/>` and each `<a:p>` a newline. For notes, fields (the slide number) are left out. */
async function drawingText(pkg: OfficePackage, part: string, skipFields: boolean): Promise<string> {
  let out = '';
  let inText = 0;
  let skip = 0;
  await pkg.parse(part, {
    open(name, selfClosing) {
      if (skip > 0) {
        if (!selfClosing) skip++;
        return;
      }
      if (name === 'Fallback' || (skipFields && name === 'fld')) {
        if (!selfClosing) skip = 1;
      } else if (name === 't' && !selfClosing) inText++;
      else if (name === 'br') out += '\n';
      else if (name === 'p' && selfClosing) out += '\n';
    },
    close(name) {
      if (skip > 0) {
        skip--;
        return;
      }
      if (name === 't') inText = Math.max(0, inText - 1);
      else if (name === 'p') out += '\n';
    },
    text(value) {
      if (skip === 0 && inText > 0) out += value;
    },
  });
  return out;
}
