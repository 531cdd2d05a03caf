/**
 * Retry backoff as a pure value: the visibility timeout (seconds) to set on a message that failed
 * transiently, growing with its ApproximateReceiveCount, with "equal jitter" so a burst of failures
 * does not come back in lock-step.
 */
export interface BackoffPolicy {
  baseSeconds: number;
  maxSeconds: number;
}

export const defaultBackoff: BackoffPolicy = { baseSeconds: 10, maxSeconds: 900 };

/** SQS's upper bound for a message's visibility timeout. */
const SQS_MAX_VISIBILITY = 43_200;

export function retryDelaySeconds(receiveCount: number, policy: BackoffPolicy = defaultBackoff, random: () => number = Math.random): number {
  const attempt = Math.max(1, Math.floor(receiveCount));
  const ceiling = Math.min(policy.maxSeconds, policy.baseSeconds * 2 ** Math.min(attempt - 1, 30), SQS_MAX_VISIBILITY);
  const half = ceiling / 2;
  return Math.max(1, Math.round(half + random() * half));
}
