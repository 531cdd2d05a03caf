/**
 * The one backoff of the project: delay number `attempt` (0-based), in the unit of `base` and `max`,
 * is `base` doubling per attempt up to `max`, of which the fraction `jitter` is random — 0.5 is
 * "equal jitter" (half fixed, half random) — so that failures do not come back in lock-step.
 * Used by message retries (src/consumer/backoff.ts), failed receives (poller), circuit probes
 * (src/gate/), the IMDS watcher and scale-in protection.
 */
export function jitteredBackoff(attempt: number, base: number, max: number, jitter = 0.5, random: () => number = Math.random): number {
  const ceiling = Math.min(max, base * 2 ** Math.min(Math.max(0, attempt), 30));
  return ceiling * (1 - jitter) + random() * ceiling * jitter;
}
