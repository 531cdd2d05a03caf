/**
 * npm run bench:pipeline — files/hour of the real extraction on a mixed corpus, against the same
 * pipeline forced to OCR every PDF page at 300 dpi (what the seed's Python tool did), same run,
 * same corpus, same machine.
 *
 * Per file: detectType (src/pipeline/detect-type.ts), then extractContent (src/pipeline/extract.ts)
 * with a DocumentPool of 2 workers for PDFs and images; 4 files at a time (the daemon's default
 * concurrency on 2 cores). The two sides differ in one task setting only:
 *   ours:   minTextChars 20 (the daemon's default): a PDF page is OCRed only without a text layer;
 *   forced: minTextChars Number.MAX_SAFE_INTEGER: every PDF page is rendered at 300 dpi and OCRed.
 * Images are OCRed and DOCX/XLSX/PPTX/text read the same way on both sides.
 *
 * Corpus (20 files, bench/lib/pipeline-corpus.ts): the fixtures whose pages render correctly
 * (scanned PDF, photo, TIFF, PNG, DOCX, XLSX, PPTX from test/fixtures/documents/files) plus
 * generated born-digital PDFs of several pages, a mixed PDF, a 2-page scanned PDF and text files
 * (UTF-8, Shift_JIS, CSV, Markdown).
 * Ours runs twice (before and after the forced run); the slower of its two runs is used.
 * Target: ours >= 10× the forced run's files/hour. Writes bench/results/pipeline.md and .json.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { detectType, type TypeCategory } from '../src/pipeline/detect-type.ts';
import { extractContent } from '../src/pipeline/extract.ts';
import { DocumentPool } from '../src/pool/document-pool.ts';
import type { PageSource } from '../src/core/document.ts';
import { prepareLanguageDir } from '../src/pool/ocr-languages.ts';
import { greyPng, renderScan } from './lib/documents.ts';
import { makeCorpus, PIPELINE_CORPUS_SEED, type PipelineCorpusFile as CorpusFile } from './lib/pipeline-corpus.ts';
import {
  codeRevision, cpuText, cpuWindow, disturbedNote, f0, f1, log, type CpuShare, machine, machineLine, mdTable, packageVersion, secs, textTable, writeResults, type Machine,
} from './lib/report.ts';
import { runMain } from './lib/run-main.ts';

const POOL_SIZE = 2;
const CONCURRENCY = 4;
const LANGS = ['jpn', 'eng'];
const SEED = PIPELINE_CORPUS_SEED;
const TARGET_RATIO = 10;
const FILE_TIMEOUT_MS = 600_000;
const LOW_CONFIDENCE = 60;
/** Daemon defaults, except minTextChars on the forced side. */
const TASK = { maxPages: 1000, minTextChars: 20, ocrDpi: 300, thumbnailSize: 256, ocr: true };

// ---------------------------------------------------------------- one run

interface FileRun {
  name: string;
  category: TypeCategory;
  ms: number;
  textSource: string;
  chars: number;
  pageCount: number | null;
  pages: Record<PageSource, number>;
  error: string | null;
  warnings: string[];
}

interface Run {
  side: 'ours' | 'forced';
  label: string;
  round: number;
  wallMs: number;
  filesPerHour: number;
  files: FileRun[];
  pages: Record<PageSource, number>;
  /** cores used during the run: by the bench, by others, stolen by the hypervisor */
  cpu: CpuShare | null;
  /** characters of text extracted, all files */
  chars: number;
  problems: string[];
}

const emptyPages = (): Record<PageSource, number> => ({ 'text-layer': 0, ocr: 0, blank: 0, failed: 0 });

async function runCorpus(side: Run['side'], round: number, corpus: readonly CorpusFile[], pool: DocumentPool): Promise<Run> {
  const results: FileRun[] = new Array<FileRun>(corpus.length);
  let next = 0;
  const one = async (file: CorpusFile): Promise<FileRun> => {
    const pages = emptyPages();
    const t = performance.now();
    const signal = AbortSignal.timeout(FILE_TIMEOUT_MS);
    let category: TypeCategory = 'binary';
    try {
      const type = await detectType(file.path, { fileName: basename(file.path) }, { signal });
      category = type.category;
      const out = await extractContent(file.path, type, { signal, reader: pool, lowConfidence: LOW_CONFIDENCE, onPage: (p) => (pages[p.source] += 1) });
      return { name: file.name, category, ms: performance.now() - t, textSource: out.textSource, chars: out.text.length, pageCount: out.pageCount, pages, error: null, warnings: out.warnings };
    } catch (err) {
      return { name: file.name, category, ms: performance.now() - t, textSource: 'none', chars: 0, pageCount: null, pages, error: err instanceof Error ? err.message : String(err), warnings: [] };
    }
  };
  const cpuMeter = cpuWindow();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < corpus.length) {
      const i = next++;
      results[i] = await one(corpus[i]!);
    }
  }));
  const wallMs = performance.now() - t0;
  const cpu = cpuMeter.stop();
  const total = emptyPages();
  for (const r of results) for (const k of Object.keys(total) as PageSource[]) total[k] += r.pages[k];
  const problems = results.filter((r) => r.error !== null).map((r) => `${r.name}: ${r.error}`);
  for (const r of results) if (r.pages.failed > 0) problems.push(`${r.name}: ${r.pages.failed} failed pages`);
  return {
    side, round, cpu, wallMs, files: results, pages: total, problems, chars: results.reduce((a, r) => a + r.chars, 0),
    label: side === 'ours' ? 'spot-ingest extraction (text layer first)' : 'forced OCR of every page at 300 dpi',
    filesPerHour: (corpus.length / wallMs) * 3_600_000,
  };
}

/** The text layer of every generated born-digital page must be in our extraction (whitespace aside). */
function checkText(run: Run, corpus: readonly CorpusFile[]): void {
  const squash = (s: string) => s.normalize('NFKC').replace(/\s+/gu, '');
  for (const file of corpus) {
    const r = run.files.find((f) => f.name === file.name);
    if (!r || !file.textPages) continue;
    const expectedChars = squash(file.textPages.map((p) => p.join('')).join('')).length;
    if (r.textSource !== 'text-layer' || r.chars < expectedChars) {
      run.problems.push(`${file.name}: expected its text layer (${expectedChars} characters), got ${r.textSource} with ${r.chars} characters`);
    }
  }
}

// ---------------------------------------------------------------- main

async function newPool(langPath: string, minTextChars: number): Promise<DocumentPool> {
  const pool = new DocumentPool({ size: POOL_SIZE, recyclePages: 200, ocrLangs: LANGS, langPath, task: { ...TASK, minTextChars } });
  return pool;
}

/** Starts both workers (thread, tesseract.js, languages) with a one-line image, before any clock. */
async function warm(pool: DocumentPool, probe: string): Promise<number> {
  const t = performance.now();
  await Promise.all(Array.from({ length: POOL_SIZE }, () => pool.read('image', probe, 'image/png', { signal: AbortSignal.timeout(120_000) })));
  return performance.now() - t;
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const wall0 = performance.now();
  const m = machine();
  const dir = await mkdtemp(join(tmpdir(), 'spot-ingest-bench-pipeline-'));
  try {
    const g0 = performance.now();
    const corpusDir = join(dir, 'corpus');
    await mkdir(corpusDir);
    const corpus = await makeCorpus(corpusDir);
    const probe = join(dir, 'probe.png');
    await writeFile(probe, await greyPng(renderScan(['起動 warm-up'], { width: 1000, height: 400 })));
    log(`corpus: ${corpus.length} files (${(corpus.reduce((a, f) => a + f.bytes, 0) / 2 ** 20).toFixed(1)} MiB) generated/copied in ${secs(performance.now() - g0)} into ${dir}`);
    const langPath = await prepareLanguageDir(LANGS, dir);

    const runs: Run[] = [];
    const warmups: Record<string, number> = {};
    const side = async (which: Run['side'], round: number) => {
      const pool = await newPool(langPath, which === 'ours' ? TASK.minTextChars : Number.MAX_SAFE_INTEGER);
      try {
        warmups[`${which}-${round}`] = await warm(pool, probe);
        log(`${which} (round ${round}): pool warm in ${secs(warmups[`${which}-${round}`]!)}; ${corpus.length} files, ${CONCURRENCY} at a time`);
        const run = await runCorpus(which, round, corpus, pool);
        if (which === 'ours') checkText(run, corpus);
        log(`  ${secs(run.wallMs)}, ${f0(run.filesPerHour)} files/h; CPU own/other/steal ${cpuText(run.cpu)} cores; pages: ${JSON.stringify(run.pages)}${run.problems.length > 0 ? `; PROBLEMS: ${run.problems.join('; ')}` : ''}`);
        runs.push(run);
      } finally {
        await pool.close();
      }
    };
    await side('ours', 1);
    await side('forced', 1);
    await side('ours', 2);

    const oursRuns = runs.filter((r) => r.side === 'ours');
    const ours = oursRuns.reduce((a, b) => (b.wallMs > a.wallMs ? b : a));
    const forced = runs.find((r) => r.side === 'forced')!;
    const ratio = ours.filesPerHour / forced.filesPerHour;
    const ok = runs.every((r) => r.problems.length === 0);
    const targetMet = ok && ratio >= TARGET_RATIO;
    const versions = {
      pdfjs: await packageVersion('pdfjs-dist'),
      tesseractJs: await packageVersion('tesseract.js'),
      sharp: await packageVersion('sharp'),
      canvas: await packageVersion('@napi-rs/canvas'),
    };
    const totalMs = performance.now() - wall0;

    log('');
    log(textTable(['side', 'round', 'wall', 'files/h', 'text-layer pages', 'OCR pages', 'blank', 'failed', 'ok'], runs.map((r) => [
      r.label, String(r.round), secs(r.wallMs), f0(r.filesPerHour), String(r.pages['text-layer']), String(r.pages.ocr), String(r.pages.blank), String(r.pages.failed), r.problems.length === 0 ? 'yes' : 'NO',
    ])));
    log('');
    log(`target: ours >= ${TARGET_RATIO}× forced OCR files/h -> ${targetMet ? 'MET' : 'NOT MET'} (${f1(ratio)}×, using ours' slower run)`);
    log(`total bench time ${secs(totalMs)}`);

    await writeResults('pipeline', report({ startedAt, m, corpus, runs, ours, forced, ratio, targetMet, versions, warmups, totalMs }), {
      date: startedAt.toISOString(), machine: m, versions,
      settings: { poolSize: POOL_SIZE, concurrency: CONCURRENCY, task: TASK, forcedMinTextChars: Number.MAX_SAFE_INTEGER, seed: SEED },
      corpus: corpus.map(({ name, bytes, what, origin }) => ({ name, bytes, what, origin })),
      runs, warmups, target: { ratio: TARGET_RATIO, measured: ratio, met: targetMet }, totalMs,
    });
    log('wrote bench/results/pipeline.md and bench/results/pipeline.json');
    if (!ok) process.exitCode = 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function report(o: {
  startedAt: Date;
  m: Machine;
  corpus: CorpusFile[];
  runs: Run[];
  ours: Run;
  forced: Run;
  ratio: number;
  targetMet: boolean;
  versions: Record<string, string>;
  warmups: Record<string, number>;
  totalMs: number;
}): string {
  const { ours, forced } = o;
  const v = o.versions;
  const textPages = ours.pages['text-layer'];
  const ocrPages = ours.pages.ocr;
  const byName = (run: Run, name: string) => run.files.find((f) => f.name === name);
  const corpusRows = o.corpus.map((f) => {
    const a = byName(ours, f.name);
    const b = byName(forced, f.name);
    const pages = (r: FileRun | undefined) => (r ? `${r.pages['text-layer']} / ${r.pages.ocr}` : '–');
    return [f.name, f.what, f0(f.bytes / 1024), a?.category ?? '?', pages(a), a ? secs(a.ms) : '–', pages(b), b ? secs(b.ms) : '–'];
  });
  const problems = o.runs.flatMap((r) => r.problems.map((p) => `- ${r.label}, round ${r.round}: ${p}`));
  const slowest = (r: Run) => r.files.reduce((a, b) => (b.ms > a.ms ? b : a));
  return `# Pipeline benchmark: spot-ingest extraction vs forced OCR of every page

Generated by \`npm run bench:pipeline\` (bench/pipeline.ts) on ${o.startedAt.toISOString()}.

- Machine: ${machineLine(o.m)}
- Code: ${codeRevision()}
- pdfjs-dist ${v.pdfjs}, tesseract.js ${v.tesseractJs}, sharp ${v.sharp}, @napi-rs/canvas ${v.canvas}; OCR languages ${LANGS.join('+')}

## Method

- Each file goes through the real extraction: \`detectType\` (src/pipeline/detect-type.ts) then \`extractContent\` (src/pipeline/extract.ts), PDFs and images on a \`DocumentPool\` of ${POOL_SIZE} worker threads, ${CONCURRENCY} files at a time (the daemon's default concurrency on 2 cores), in one fixed (seeded) order. No download, index or state writes: extraction only.
- **Ours**: the daemon's task settings (minTextChars ${TASK.minTextChars}, ocrDpi ${TASK.ocrDpi}, thumbnailSize ${TASK.thumbnailSize}, maxPages ${TASK.maxPages}): a PDF page is OCRed only when its text layer has fewer than ${TASK.minTextChars} characters.
- **Forced OCR** (the seed's Python approach): the same pool and pipeline with \`minTextChars: Number.MAX_SAFE_INTEGER\`: every PDF page is rendered at ${TASK.ocrDpi} dpi (pdf.js on @napi-rs/canvas) and OCRed. Images, Office and text files are handled the same on both sides.
- Same corpus for both. Each run gets a fresh pool, warmed before the clock (a one-line image on each worker: thread start, tesseract.js, languages; ${Object.entries(o.warmups).map(([k, ms]) => `${k} ${secs(ms)}`).join(', ')}). Ours runs before and after the forced run; **the slower of its two runs** is used for the ratio.
- files/hour = ${o.corpus.length} files / wall time of the run × 3600.
- "CPU own / other / steal": average cores used during the run by the bench (main thread + pool workers), by everything else on the machine, and taken by the hypervisor (steal), from /proc; "other" or "steal" well above 0 means the run was disturbed.
- Generated born-digital PDFs embed NotoSansJP whole (3 MB each), not as a subset: see "Notes". For the same reason the fixtures born-digital-ja.pdf, mixed.pdf and text-100-pages.pdf are not in the corpus.

## Corpus (${o.corpus.length} files, ${(o.corpus.reduce((a, f) => a + f.bytes, 0) / 2 ** 20).toFixed(1)} MiB)

In ours' run ${textPages} PDF pages came from the text layer and ${ocrPages} pages (scanned PDF pages and image pages) were OCRed; the forced run OCRed ${forced.pages.ocr}.

${mdTable(['file', 'what', 'KiB', 'category', 'ours: text / OCR pages', `ours: time (round ${ours.round})`, 'forced: text / OCR pages', 'forced: time'], corpusRows, 4)}

Times per file are from start to end of that file with ${CONCURRENCY} files in flight on ${POOL_SIZE} workers (queueing included).

## Results

${mdTable(['side', 'round', 'CPU own / other / steal', 'wall', 'files/hour', 'text-layer pages', 'OCR pages', 'blank pages', 'failed pages', 'characters extracted', 'slowest file', 'ok'], o.runs.map((r) => {
    const s = slowest(r);
    return [r.label, String(r.round), cpuText(r.cpu), secs(r.wallMs), f0(r.filesPerHour), String(r.pages['text-layer']), String(r.pages.ocr), String(r.pages.blank), String(r.pages.failed), String(r.chars), `${s.name} ${secs(s.ms)}`, r.problems.length === 0 ? 'yes' : 'NO'];
  }), 1)}

${disturbedNote(o.runs.map((r) => ({ what: `${r.label}, round ${r.round}`, cpu: r.cpu })), 'Run the bench again on a quiet machine for clean numbers.')}## Target

Ours ≥ ${TARGET_RATIO}× the forced-OCR files/hour: **${o.targetMet ? 'met' : 'not met'}** — ${f0(ours.filesPerHour)} against ${f0(forced.filesPerHour)} files/hour, **${f1(o.ratio)}×** (ours' slower run, round ${ours.round}).

The ratio depends on the corpus: it is about (time to OCR every page) / (time to OCR the pages without a text layer + everything else). Here ${textPages} of ${textPages + ocrPages} PDF/image pages have a text layer; a corpus with a larger share of scans gives a smaller ratio, one with more born-digital pages a larger one.
${problems.length > 0 ? `\n## Problems\n\n${problems.join('\n')}\n` : ''}
## Notes

- A NotoSansJP subset made by pdf-lib (\`embedFont(..., { subset: true })\`, @pdf-lib/fontkit 1.1.1) renders in pdf.js (as the pool runs it) with most glyphs missing, while the whole font renders completely; the text layer is right either way. Which side is at fault was not checked with a second renderer. Rendered pages of the fixtures made that way (born-digital-ja.pdf, mixed.pdf, text-100-pages.pdf) hold a fraction of their text, so a forced-OCR run over them would be cheaper than over real PDFs. The generated PDFs here embed the whole font, and their pages render completely.
- The 20-character rule keeps every page of the born-digital PDFs on the text layer. In the forced run the text of such a page is its text layer followed by the OCR text (pdf-task.ts keeps a text layer the OCR text does not contain word for word), hence its ${f1(forced.chars / ours.chars)}× characters extracted.
- A PDF is one pool task: its pages are read one after another on one worker, so in the forced run a long PDF keeps one worker busy for a long time while the other finishes the rest (see the slowest file).

Total bench time: ${secs(o.totalMs)}. Raw numbers: bench/results/pipeline.json.
`;
}

runMain(main);
