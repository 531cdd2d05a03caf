/**
 * What the three formats share: relationship parts, part ordering and joining the text of parts.
 * (The corrupt-file error is the package's: package.ts.)
 */
import { posix } from 'node:path';
import { corrupt, type OfficePackage } from './package.ts';
import { attr } from './xml.ts';

/** The text of one format's parts and its page count (docs/design.md §6 `page_count`). */
export interface FormatText {
  text: string;
  pageCount: number | null;
}

export function relsPathOf(part: string): string {
  return posix.join(posix.dirname(part), '_rels', `${posix.basename(part)}.rels`);
}

/** Relationship Id → target part name (resolved against the source part), optionally of one type (by its last path segment). */
export async function relationships(pkg: OfficePackage, relsPart: string, source: string, type?: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await pkg.parse(relsPart, {
    open(name, _selfClosing, attrs) {
      if (name !== 'Relationship') return;
      const id = attr(attrs, 'Id');
      const target = attr(attrs, 'Target');
      if (id === undefined || target === undefined || attr(attrs, 'TargetMode') === 'External') return;
      if (type !== undefined && (attr(attrs, 'Type') ?? '').split('/').pop() !== type) return;
      const resolved = target.startsWith('/') ? posix.normalize(target.slice(1)) : posix.join(posix.dirname(source), target);
      out.set(id, resolved);
    },
  });
  return out;
}

/** Numeric order of the last number in a part name: slide2 before slide10; no number first. */
export function byNumber(a: string, b: string): number {
  const n = (s: string) => Number(/(\d+)\.xml$/.exec(s)?.[1] ?? -1);
  return n(a) - n(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Parts/sheets/slides separated by a blank line; empty ones dropped. */
export function joinBlocks(blocks: string[]): string {
  return blocks.map((b) => b.replace(/^\n+|\s+$/g, '')).filter((b) => b !== '').join('\n\n');
}
