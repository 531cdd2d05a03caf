/**
 * Reads one prepared page: which way up it is, and which model reads it.
 * - Lines running vertically (page-analysis) are either a page on its side or vertical Japanese.
 *   tesseract's OSD tells them apart: a page turned by 90° or 270° is turned upright and read as
 *   usual; an upright one is vertical text, read with the vertical model (jpn_vert, when jpn is a
 *   language), or with the usual one when that reads it with more confidence.
 * - Horizontal lines are read at once, as before. Only a page read with low confidence (an
 *   upside-down page reads as garbage) is given to OSD, then turned and read again if OSD finds it
 *   upside down (or sideways), keeping the more confident reading. When the lines' direction could
 *   not be told, the vertical model also gets a try.
 * So an ordinary upright page costs one recognition, as it did; OSD (~0.4 s) and the extra engines
 * start only for the pages that need them, and are closed again after IDLE_PAGES pages without
 * use: each holds ~100 MB (measured: OSD +95 MB, jpn_vert +114 MB on top of the ~250 MB of a worker
 * reading upright pages).
 */
import sharp from 'sharp';
import { OcrEngine, type OcrResult, type Orientation } from './ocr-engine.ts';
import type { PageLayout } from './page-analysis.ts';

export interface PageOcrOptions {
  langs: string[];
  langPath: string;
  startTimeoutMs?: number;
}

export interface PageReading extends OcrResult {
  /** Clockwise turn applied before reading (from OSD). */
  rotated: 0 | 90 | 180 | 270;
  /** Which model read the page. */
  model: 'horizontal' | 'vertical';
}

/** Below this mean word confidence a horizontal page is checked for its orientation. */
export const LOW_CONFIDENCE = 70;
/** OSD's orientation is trusted from this margin (tesseract's own min_orientation_margin is 7). */
export const MIN_ORIENTATION_CONFIDENCE = 5;
/** The vertical model's reading is kept without a second opinion from this confidence. */
const CONFIDENT_VERTICAL = 80;
/** The OSD and vertical engines are closed after this many pages read without them. */
export const IDLE_PAGES = 20;

/** The vertical model's languages for `langs`: jpn read as jpn_vert; null when jpn is not among them. */
export function verticalLangs(langs: readonly string[]): string[] | null {
  return langs.includes('jpn') ? langs.map((l) => (l === 'jpn' ? 'jpn_vert' : l)) : null;
}

export class PageOcr {
  readonly #main: OcrEngine;
  readonly #vertical: OcrEngine | null;
  readonly #osd: OcrEngine;
  /** Pages read since each extra engine was last used. */
  readonly #idle = new Map<OcrEngine, number>();

  constructor(options: PageOcrOptions) {
    const { langs, langPath } = options;
    const timeout = options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs };
    this.#main = new OcrEngine({ langs, langPath, ...timeout });
    const vertical = verticalLangs(langs);
    this.#vertical = vertical ? new OcrEngine({ langs: vertical, langPath, ...timeout }) : null;
    this.#osd = new OcrEngine({ langs: [], langPath, osd: true, ...timeout });
  }

  async read(png: Buffer, layout: PageLayout | null): Promise<PageReading> {
    await this.#closeIdle();
    if (layout?.lines === 'vertical') return this.#readVertical(png);
    const first: PageReading = { ...(await this.#main.recognize(png)), rotated: 0, model: 'horizontal' };
    if (first.confidence >= LOW_CONFIDENCE && first.text !== '') return first;
    const orientation = await this.#orientation(png);
    if (orientation !== null && orientation.degrees !== 0) {
      const turned = await rotate(png, orientation.degrees);
      return better(first, { ...(await this.#main.recognize(turned)), rotated: orientation.degrees, model: 'horizontal' });
    }
    // Lines in no clear direction (vertical text on a tight grid looks like rows too): the vertical
    // model gets a try, and the more confident reading wins.
    if (layout?.lines !== 'unknown' || !this.#vertical) return first;
    return better(first, { ...(await this.#use(this.#vertical).recognize(png)), rotated: 0, model: 'vertical' });
  }

  /** The engines holding a tesseract worker now: 'main', 'vertical', 'osd'. */
  get engines(): string[] {
    return [['main', this.#main], ['vertical', this.#vertical], ['osd', this.#osd]].filter(([, e]) => (e as OcrEngine | null)?.started).map(([name]) => name as string);
  }

  async close(): Promise<void> {
    await Promise.all([this.#main.close(), this.#vertical?.close(), this.#osd.close()]);
  }

  async #readVertical(png: Buffer): Promise<PageReading> {
    const orientation = await this.#orientation(png);
    const degrees = orientation?.degrees ?? 0;
    if (degrees === 90 || degrees === 270) {
      return { ...(await this.#main.recognize(await rotate(png, degrees))), rotated: degrees, model: 'horizontal' };
    }
    const upright = degrees === 180 ? await rotate(png, 180) : png;
    if (!this.#vertical) return { ...(await this.#main.recognize(upright)), rotated: degrees, model: 'horizontal' };
    const vertical: PageReading = { ...(await this.#use(this.#vertical).recognize(upright)), rotated: degrees, model: 'vertical' };
    if (vertical.confidence >= CONFIDENT_VERTICAL) return vertical;
    return better(vertical, { ...(await this.#main.recognize(upright)), rotated: degrees, model: 'horizontal' });
  }

  /**
   * OSD's answer when it is confident, else null. Orientation detection only improves a reading: when
   * it fails on a page (its engine reports an error), the page is read as it lies rather than failed.
   */
  async #orientation(png: Buffer): Promise<Orientation | null> {
    const found = await this.#use(this.#osd).detect(png).catch(() => null);
    return found && found.confidence >= MIN_ORIENTATION_CONFIDENCE ? found : null;
  }

  #use(engine: OcrEngine): OcrEngine {
    this.#idle.set(engine, 0);
    return engine;
  }

  /** Counts this page against each extra engine in use, and closes those idle for IDLE_PAGES pages. */
  async #closeIdle(): Promise<void> {
    for (const [engine, pages] of this.#idle) {
      if (pages + 1 < IDLE_PAGES) {
        this.#idle.set(engine, pages + 1);
        continue;
      }
      this.#idle.delete(engine);
      await engine.close();
    }
  }
}

function better(a: PageReading, b: PageReading): PageReading {
  if (a.text === '') return b;
  if (b.text === '') return a;
  return b.confidence > a.confidence ? b : a;
}

/** The PNG turned clockwise by `degrees`, keeping its density. */
async function rotate(png: Buffer, degrees: 90 | 180 | 270): Promise<Buffer> {
  const { density } = await sharp(png).metadata();
  const turned = sharp(png).rotate(degrees).toColourspace('b-w');
  return (density ? turned.withDensity(density) : turned).png({ compressionLevel: 1 }).toBuffer();
}
