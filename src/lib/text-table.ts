/**
 * Plain-text tables for the terminal (`dlq list`, `replay`): columns padded to the widest cell as
 * the terminal shows it — `string-width` counts East Asian wide characters (Japanese keys) as two
 * columns, combining marks and zero-width characters as none.
 */
import stringWidth from 'string-width';

export interface TextTableOptions {
  /** Columns aligned right (numbers). */
  right?: ReadonlySet<number>;
  /** A rule of `─` under the header. */
  rule?: boolean;
  /** The last column is not padded (free text). */
  lastUnpadded?: boolean;
}

/** Terminal columns a string takes. */
export const displayWidth = (text: string): number => stringWidth(text);

/** The header and rows as lines (no trailing newline), two spaces between columns. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[], options: TextTableOptions = {}): string[] {
  const widths = header.map((h, c) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[c] ?? ''))));
  const pad = (cell: string, c: number, last: boolean): string => {
    if (last && options.lastUnpadded) return cell;
    const fill = ' '.repeat(Math.max(0, widths[c]! - displayWidth(cell)));
    return options.right?.has(c) ? fill + cell : cell + fill;
  };
  const line = (cells: readonly string[]) => cells.map((cell, c) => pad(cell, c, c === cells.length - 1)).join('  ').trimEnd();
  return [line(header), ...(options.rule ? [line(widths.map((w) => '─'.repeat(w)))] : []), ...rows.map(line)];
}
