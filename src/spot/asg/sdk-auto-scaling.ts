/**
 * AutoScalingPort on the AWS SDK v3 (AWS Query protocol). Every call has its own timeout combined
 * with the caller's signal (the timeout cancels the request, not only the wait), and every failure
 * becomes an AsgError with a stable code (port.ts). The SDK's own retries (standard mode) run inside.
 */
import {
  CompleteLifecycleActionCommand,
  RecordLifecycleActionHeartbeatCommand,
  SetInstanceProtectionCommand,
  type AutoScalingClient,
} from '@aws-sdk/client-auto-scaling';
import { classifyError } from '../../core/classify.ts';
import { AsgError, type AsgErrorCode, type AutoScalingPort } from './port.ts';

export interface SdkAutoScalingOptions {
  client: AutoScalingClient;
  /** Per call, SDK retries included. */
  timeoutMs?: number;
}

export class SdkAutoScaling implements AutoScalingPort {
  readonly #client: AutoScalingClient;
  readonly #timeoutMs: number;

  constructor(options: SdkAutoScalingOptions) {
    this.#client = options.client;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  async completeLifecycleAction(
    input: { instanceId: string; groupName: string; hookName: string; result: 'CONTINUE' | 'ABANDON' },
    signal?: AbortSignal,
  ): Promise<void> {
    const command = new CompleteLifecycleActionCommand({
      AutoScalingGroupName: input.groupName,
      LifecycleHookName: input.hookName,
      InstanceId: input.instanceId,
      LifecycleActionResult: input.result,
    });
    await this.#call('CompleteLifecycleAction', signal, (abortSignal) => this.#client.send(command, { abortSignal }));
  }

  async recordLifecycleActionHeartbeat(input: { instanceId: string; groupName: string; hookName: string }, signal?: AbortSignal): Promise<void> {
    const command = new RecordLifecycleActionHeartbeatCommand({
      AutoScalingGroupName: input.groupName,
      LifecycleHookName: input.hookName,
      InstanceId: input.instanceId,
    });
    await this.#call('RecordLifecycleActionHeartbeat', signal, (abortSignal) => this.#client.send(command, { abortSignal }));
  }

  async setInstanceProtection(input: { instanceId: string; groupName: string; protectedFromScaleIn: boolean }, signal?: AbortSignal): Promise<void> {
    const command = new SetInstanceProtectionCommand({
      AutoScalingGroupName: input.groupName,
      InstanceIds: [input.instanceId],
      ProtectedFromScaleIn: input.protectedFromScaleIn,
    });
    await this.#call('SetInstanceProtection', signal, (abortSignal) => this.#client.send(command, { abortSignal }));
  }

  async #call(action: string, signal: AbortSignal | undefined, send: (signal: AbortSignal) => Promise<unknown>): Promise<void> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    try {
      await send(combined);
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) throw new AsgError('ASG_TIMEOUT', `${action} timed out after ${this.#timeoutMs} ms`, { action, cause: err });
      throw toAsgError(action, err);
    }
  }
}

/** An SDK (or socket) failure as an AsgError. */
export function toAsgError(action: string, err: unknown): AsgError {
  const sdk = (typeof err === 'object' && err !== null ? err : {}) as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = sdk.$metadata?.httpStatusCode;
  const awsCode = status !== undefined ? sdk.name : undefined;
  const classified = classifyError(err);
  const code: AsgErrorCode = (() => {
    switch (classified.code) {
      case 'THROTTLED':
        return 'ASG_THROTTLED';
      case 'TIMEOUT':
      case 'ABORTED':
        return 'ASG_TIMEOUT';
      case 'CONNECTION':
      case 'DEPENDENCY_UNAVAILABLE':
        return 'ASG_UNAVAILABLE';
      case 'ACCESS_DENIED':
        return 'ASG_ACCESS_DENIED';
      default:
        return status !== undefined && status >= 400 && status < 500 ? 'ASG_REJECTED' : 'ASG_FAILED';
    }
  })();
  const message = err instanceof Error ? err.message : String(err);
  return new AsgError(code, `${action} failed${awsCode ? ` (${awsCode})` : ''}: ${message}`, {
    action,
    ...(awsCode ? { awsCode } : {}),
    ...(status !== undefined ? { status } : {}),
    cause: err,
  });
}
