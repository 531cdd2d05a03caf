/**
 * Retry backoff as a pure value: the visibility timeout (seconds) to set on a message that failed
 * transiently, growing with its ApproximateReceiveCount, with "equal jitter" so a burst of failures
 * does not come back in lock-step.
 */
import { jitteredBackoff } from '../core/backoff.ts';

export interface BackoffPolicy {
  baseSeconds: number;
  maxSeconds: number;
}

export const defaultBackoff: BackoffPolicy = { baseSeconds: 10, maxSeconds: 900 };

/** SQS's upper bound for a message's visibility timeout. */
const SQS_MAX_VISIBILITY = 43_200;

export function retryDelaySeconds(receiveCount: number, policy: BackoffPolicy = defaultBackoff, random: () => number = Math.random): number {
  const attempt = Math.max(1, Math.floor(receiveCount));
  const delay = jitteredBackoff(attempt - 1, policy.baseSeconds, Math.min(policy.maxSeconds, SQS_MAX_VISIBILITY), 0.5, random);
  return Math.max(1, Math.round(delay));
}
