/**
 * The three EC2 Auto Scaling calls the daemon makes about its own instance, behind a port (the SDK
 * adapter is sdk-auto-scaling.ts), and the error every implementation throws: an IngestError with
 * a stable `code` (ASG_*) and `retryable`.
 */
import { IngestError } from '../../core/errors.ts';
import type { ErrorCode } from '../../core/codes.ts';

/** This instance in its group: what every call names. */
export interface AsgTarget {
  instanceId: string;
  groupName: string;
}

export interface AutoScalingPort {
  /** CompleteLifecycleAction with LifecycleActionResult CONTINUE (or ABANDON). */
  completeLifecycleAction(
    input: AsgTarget & { hookName: string; result: 'CONTINUE' | 'ABANDON' },
    signal?: AbortSignal,
  ): Promise<void>;
  /** RecordLifecycleActionHeartbeat: restarts the hook's heartbeat timeout. */
  recordLifecycleActionHeartbeat(input: AsgTarget & { hookName: string }, signal?: AbortSignal): Promise<void>;
  /** SetInstanceProtection for this one instance. */
  setInstanceProtection(input: AsgTarget & { protectedFromScaleIn: boolean }, signal?: AbortSignal): Promise<void>;
}

/**
 * Stable codes: ASG_THROTTLED, ASG_TIMEOUT, ASG_UNAVAILABLE (5xx, connection), ASG_FAILED and
 * ASG_TARGET_UNKNOWN (instance id or group name not known yet: IMDS did not answer) are retryable; ASG_ACCESS_DENIED (the instance role lacks the action) and ASG_REJECTED (a 4xx such as
 * ValidationError: no such hook, no lifecycle action in progress, instance not InService) are not.
 */
export type AsgErrorCode = Extract<ErrorCode, `ASG_${string}`>;

export class AsgError extends IngestError {
  /** The service's own error code (e.g. ValidationError), when it answered. */
  readonly awsCode: string | undefined;
  readonly action: string;

  constructor(code: AsgErrorCode, message: string, options: { action: string; awsCode?: string; status?: number; cause?: unknown }) {
    super(code, message, {
      retryable: code !== 'ASG_ACCESS_DENIED' && code !== 'ASG_REJECTED' && code !== 'ASG_TARGET_MISSING',
      cause: options.cause,
      details: { action: options.action, awsCode: options.awsCode, status: options.status },
    });
    this.name = 'AsgError';
    this.awsCode = options.awsCode;
    this.action = options.action;
  }
}

/** Resolves this instance's AsgTarget, or throws ASG_TARGET_UNKNOWN (retryable). */
export type TargetResolver = (signal?: AbortSignal) => Promise<AsgTarget>;

export function isAsgError(err: unknown): err is AsgError {
  return err instanceof AsgError;
}
