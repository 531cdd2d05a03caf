/**
 * pdf.js's own data files, from the installed package (never fetched): without the predefined
 * CMaps Japanese text in CID fonts comes out empty, without the standard fonts non-embedded
 * fonts render as boxes, and the wasm decoders (JPEG 2000, JBIG2, colour profiles) live in wasm/.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const root = dirname(require.resolve('pdfjs-dist/package.json'));

/** Directory paths with a trailing slash, as pdf.js joins file names onto them. */
export const pdfAssets = {
  cMapUrl: `${join(root, 'cmaps')}/`,
  standardFontDataUrl: `${join(root, 'standard_fonts')}/`,
  wasmUrl: `${join(root, 'wasm')}/`,
} as const;
