/**
 * Delay number `attempt` (0-based), in the unit of `base` and `max`: `base` doubling per attempt up
 * to `max`, with "equal jitter" (half fixed, half random) so that failures do not come back in
 * lock-step. Shared by message retries (src/consumer/backoff.ts) and circuit probes (src/gate/).
 */
export function equalJitterBackoff(attempt: number, base: number, max: number, random: () => number = Math.random): number {
  const ceiling = Math.min(max, base * 2 ** Math.min(Math.max(0, attempt), 30));
  return ceiling / 2 + random() * (ceiling / 2);
}
