/**
 * Early release under a drain deadline: how much longer an in-flight job is expected to take, from
 * how long it has run and how long finished jobs took. A job that will not finish before the
 * deadline is released at once (its message is visible to another instance sooner), rather than
 * held until the deadline and released then.
 */

/** Expected remaining ms for a job running `elapsedMs`, or undefined when there is no telling. */
export type FinishPredictor = (elapsedMs: number, finishedMs: readonly number[]) => number | undefined;

/**
 * p90 of the durations of finished jobs that ran longer than this one has so far (conditioning on
 * elapsed time): a job already past every finished one is expected not to finish (Infinity).
 * Fewer than `minSamples` finished jobs: no prediction (wait for the deadline).
 */
export function p90Remaining(elapsedMs: number, finishedMs: readonly number[], minSamples = 5): number | undefined {
  if (finishedMs.length < minSamples) return undefined;
  const longer = finishedMs.filter((d) => d > elapsedMs).sort((a, b) => a - b);
  if (longer.length === 0) return Number.POSITIVE_INFINITY;
  const p90 = longer[Math.min(longer.length - 1, Math.ceil(longer.length * 0.9) - 1)]!;
  return p90 - elapsedMs;
}
