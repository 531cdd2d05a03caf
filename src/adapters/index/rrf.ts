/**
 * Reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009): merges rankings whose scores
 * cannot be compared (BM25 text relevance, k-NN similarity) by rank alone. A document's fused
 * score is the sum over the rankings it appears in of 1 / (k + rank), rank counted from 1.
 * Pure: no I/O, no clock.
 */

/** The constant of the original paper; large enough that rank 1 does not drown the rest. */
export const RRF_K = 60;

export interface FusedRank {
  id: string;
  /** Σ 1 / (k + rank) over the rankings the id appears in. */
  score: number;
  /** The id's 1-based rank in each ranking (null where it is absent), in the order the rankings were given. */
  ranks: (number | null)[];
}

/** Scores closer than this are equal (sums of the same fractions in another order differ in the last bits). */
const EPSILON = 1e-12;

export interface FusionOptions {
  /** The RRF constant (default RRF_K = 60). */
  k?: number;
  /** Keep at most this many (default: all). */
  size?: number;
}

/**
 * Fuses rankings of hits (each best first) into one ranking, best first: each hit appears once —
 * the object from the earliest ranking that has it — with `score` replaced by its fused score.
 * Order and ties as fuseRanks().
 */
export function reciprocalRankFusion<T extends { id: string; score: number }>(
  rankings: readonly (readonly T[])[],
  options: FusionOptions = {},
): T[] {
  const byId = new Map<string, T>();
  for (const ranking of rankings) for (const hit of ranking) if (!byId.has(hit.id)) byId.set(hit.id, hit);
  const fused = fuseRanks(
    rankings.map((r) => r.map((h) => h.id)),
    options.k ?? RRF_K,
  );
  const size = options.size ?? fused.length;
  return fused.slice(0, Math.max(0, size)).map((f) => ({ ...byId.get(f.id)!, score: f.score }));
}

/**
 * Fuses `rankings` (each a list of ids, best first) into one list, best first. An id repeated
 * within one ranking counts at its first (best) place only. Ties — equal fused scores — go to the
 * id with the better single rank, then to the earlier ranking (so the text ranking wins over the
 * vector ones when it is given first), then to the order ids were first met; the result is the
 * same for the same input.
 */
export function fuseRanks(rankings: readonly (readonly string[])[], k: number = RRF_K): FusedRank[] {
  if (!Number.isFinite(k) || k < 0) throw new RangeError(`RRF k must be a finite number >= 0, got ${String(k)}`);
  interface Entry {
    fused: FusedRank;
    bestRank: number;
    bestList: number;
    seen: number;
  }
  const entries = new Map<string, Entry>();
  let seen = 0;
  rankings.forEach((ranking, list) => {
    ranking.forEach((id, index) => {
      const rank = index + 1;
      let entry = entries.get(id);
      if (entry === undefined) {
        entry = { fused: { id, score: 0, ranks: rankings.map(() => null) }, bestRank: rank, bestList: list, seen: seen++ };
        entries.set(id, entry);
      }
      if (entry.fused.ranks[list] !== null) return; // repeated within this ranking
      entry.fused.ranks[list] = rank;
      entry.fused.score += 1 / (k + rank);
      if (rank < entry.bestRank) {
        entry.bestRank = rank;
        entry.bestList = list;
      }
    });
  });
  return [...entries.values()]
    .sort((a, b) => {
      const diff = b.fused.score - a.fused.score;
      if (Math.abs(diff) > EPSILON) return diff;
      return a.bestRank - b.bestRank || a.bestList - b.bestList || a.seen - b.seen;
    })
    .map((e) => e.fused);
}
