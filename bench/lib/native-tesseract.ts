/**
 * Debian's native `tesseract` CLI as the OCR benchmarks' named alternative (bench:ocr,
 * bench:ocr-quality): installed with apt when missing, given the same traineddata as the pool
 * (@tesseract.js-data, gunzipped), one thread per process.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { findLanguageFiles } from '../../src/pool/ocr-languages.ts';
import { log } from './report.ts';

/** The pool's languages, as both sides read them. */
export const OCR_LANGS = ['jpn', 'eng'];
/** Where Debian's tesseract-ocr-osd puts osd.traineddata. */
const OSD_DIRS = ['/usr/share/tesseract-ocr/5/tessdata', '/usr/share/tesseract-ocr/4.00/tessdata', '/usr/share/tessdata'];

export interface Native {
  version: string;
  leptonica: string;
  /** SIMD it reports ("Found AVX2", ...) */
  simd: string[];
}

/** The installed CLI's versions (apt-installing it first when missing); null when unavailable. */
export function nativeTesseract(): Native | null {
  const probe = () => spawnSync('tesseract', ['--version'], { encoding: 'utf8' });
  let out = probe();
  if (out.error || out.status !== 0) {
    log('tesseract not found: trying `apt-get install -y tesseract-ocr` ...');
    const apt = spawnSync('apt-get', ['install', '-y', 'tesseract-ocr'], { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (apt.error || apt.status !== 0) log(`apt-get install failed: ${apt.error?.message ?? apt.stderr.trim().split('\n').slice(-2).join(' / ')}`);
    out = probe();
  }
  if (out.error || out.status !== 0) return null;
  const lines = `${out.stdout}\n${out.stderr}`.split('\n').map((l) => l.trim());
  return {
    version: lines.find((l) => l.startsWith('tesseract '))?.replace('tesseract ', '') ?? 'unknown',
    leptonica: lines.find((l) => l.startsWith('leptonica-'))?.replace('leptonica-', '') ?? 'unknown',
    simd: lines.filter((l) => /^Found (AVX|FMA|SSE|NEON)/.test(l)).map((l) => l.replace('Found ', '')),
  };
}

/** The pool's traineddata gunzipped into `<dir>/tessdata`, plus Debian's osd.traineddata when installed. */
export async function nativeTessdata(dir: string): Promise<{ tessdata: string; osd: string | null }> {
  const tessdata = join(dir, 'tessdata');
  await mkdir(tessdata, { recursive: true });
  // only the recognition languages: the osd and jpn_vert files that come with them are not the CLI's
  for (const file of findLanguageFiles(OCR_LANGS).filter((f) => OCR_LANGS.includes(f.lang))) {
    if (file.path === null) throw new Error(`@tesseract.js-data/${file.lang} is not installed`);
    await pipeline(createReadStream(file.path), createGunzip(), createWriteStream(join(tessdata, `${file.lang}.traineddata`)));
  }
  const osd = OSD_DIRS.map((d) => join(d, 'osd.traineddata')).find((p) => existsSync(p)) ?? null;
  if (osd) await copyFile(osd, join(tessdata, 'osd.traineddata'));
  return { tessdata, osd };
}

/** Runs one `tesseract` process (LSTM, one thread); resolves with its wall time. Throws on a non-zero exit. */
export function tesseract(input: string, outBase: string, tessdata: string, psm: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('tesseract', [input, outBase, '--tessdata-dir', tessdata, '-l', OCR_LANGS.join('+'), '--oem', '1', '--psm', String(psm)], {
      env: { ...process.env, OMP_THREAD_LIMIT: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(performance.now() - t0);
      else reject(new Error(`tesseract ${input} exited ${code}: ${stderr.trim()}`));
    });
  });
}

/**
 * Reads `paths` with `processes` tesseract processes at once: process k gets pages k, k + P, k + 2P…
 * in one list file (the pages are alike, so a static split is fair). Returns each page's text in the
 * input order, the wall time of the batch and each process's own time. `onStart` runs just before
 * the processes start (e.g. to open a CPU window).
 */
export async function readInParallel(paths: readonly string[], work: string, tessdata: string, psm: number, processes: number, onStart: () => void = () => undefined): Promise<{ texts: string[]; wallMs: number; processMs: number[] }> {
  const shares = Array.from({ length: Math.min(processes, paths.length) }, (_, k) => paths.map((p, i) => ({ p, i })).filter(({ i }) => i % processes === k));
  await Promise.all(shares.map((share, k) => writeFile(join(work, `list-${k}.txt`), `${share.map(({ p }) => p).join('\n')}\n`)));
  onStart();
  const t0 = performance.now();
  const processMs = await Promise.all(shares.map((_, k) => tesseract(join(work, `list-${k}.txt`), join(work, `out-${k}`), tessdata, psm)));
  const wallMs = performance.now() - t0;
  const texts: string[] = new Array<string>(paths.length).fill('');
  for (const [k, share] of shares.entries()) {
    // One text for all the list's pages, each page's text followed by a form feed.
    const parts = (await readFile(join(work, `out-${k}.txt`), 'utf8')).split('\f');
    if (parts.length < share.length) throw new Error(`native process ${k}: ${parts.length} page texts for ${share.length} pages`);
    share.forEach(({ i }, j) => (texts[i] = parts[j]!));
  }
  return { texts, wallMs, processMs };
}
