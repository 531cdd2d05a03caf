/**
 * Delay before probe number `attempt` (0-based) of an open circuit: `minMs` doubling per failed
 * probe up to `maxMs`, with "equal jitter" (half fixed, half random) so a fleet's probes spread out.
 */
export function backoffMs(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(Math.max(0, attempt), 30));
  return ceiling / 2 + random() * (ceiling / 2);
}
