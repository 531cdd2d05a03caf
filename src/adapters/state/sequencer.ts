/**
 * Ordering of S3 event `sequencer` values (docs/design.md §4 "stale").
 *
 * AWS (S3 User Guide, "Event message structure"): for two notifications on the same object key,
 * the one with the greater sequencer hexadecimal value occurred later; sequencers can be of
 * different lengths, so "first right pad the shorter value with zeros, and then do a
 * lexicographical comparison". Sequencers of different keys are not comparable.
 *
 * (Older revisions of that page said "left pad"; AWS corrected it to "right pad".)
 */
export function compareSequencers(a: string, b: string): -1 | 0 | 1 {
  // S3 emits upper-case hex; normalise so a lower-cased copy still compares correctly.
  const x = a.trim().toUpperCase();
  const y = b.trim().toUpperCase();
  const width = Math.max(x.length, y.length);
  const px = x.padEnd(width, '0');
  const py = y.padEnd(width, '0');
  if (px < py) return -1;
  if (px > py) return 1;
  return 0;
}
