/**
 * OCR language data comes from installed npm packages (`@tesseract.js-data/<lang>`, the
 * `4.0.0_best_int` LSTM models), never from the network. tesseract.js reads every language from
 * one directory, so the daemon links the packages' files into `<data dir>/tessdata` at start.
 */
import { mkdir, rename, stat, symlink, unlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
export const OCR_MODEL = '4.0.0_best_int';

export interface OcrLanguageFile {
  lang: string;
  /** Absolute path of `<lang>.traineddata.gz`, or null when its package is not installed. */
  path: string | null;
}

export function parseLangs(spec: string): string[] {
  return spec.split('+').map((l) => l.trim()).filter((l) => l !== '');
}

/** The models the OCR of `langs` loads: the languages, orientation detection and, with jpn, vertical Japanese. */
export function ocrDataLangs(langs: readonly string[]): string[] {
  return [...new Set([...langs, 'osd', ...(langs.includes('jpn') ? ['jpn_vert'] : [])])];
}

/** The data file of each of `langs` and of the models that come with them (ocrDataLangs). */
export function findLanguageFiles(langs: readonly string[]): OcrLanguageFile[] {
  return ocrDataLangs(langs).map((lang) => {
    try {
      const root = dirname(require.resolve(`@tesseract.js-data/${lang}/package.json`));
      return { lang, path: join(root, OCR_MODEL, `${lang}.traineddata.gz`) };
    } catch {
      return { lang, path: null };
    }
  });
}

export class OcrLanguageError extends Error {
  readonly code = 'OCR_LANGUAGE_MISSING';
  readonly retryable = false;
  override readonly name = 'OcrLanguageError';
}

/** Checks every language's file and links them into `<dataDir>/tessdata`; returns that directory. */
export async function prepareLanguageDir(langs: readonly string[], dataDir: string): Promise<string> {
  const files = findLanguageFiles(langs);
  const missing: string[] = [];
  for (const file of files) {
    if (file.path === null || !(await exists(file.path))) missing.push(file.lang);
  }
  if (missing.length > 0) {
    throw new OcrLanguageError(
      `INGEST_OCR_LANGS: no OCR data installed for ${missing.join(', ')} (install ${missing.map((l) => `@tesseract.js-data/${l}`).join(' ')})`,
    );
  }
  const dir = join(dataDir, 'tessdata');
  await mkdir(dir, { recursive: true });
  for (const file of files) {
    const link = join(dir, `${file.lang}.traineddata.gz`);
    const temp = `${link}.${process.pid}.tmp`;
    await unlink(temp).catch(() => undefined);
    await symlink(file.path!, temp);
    await rename(temp, link); // atomic: a second process starting at once sees a whole link
  }
  return dir;
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
