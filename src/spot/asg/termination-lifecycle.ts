/**
 * The termination lifecycle hook (INGEST_LIFECYCLE_HOOK_NAME): when the Auto Scaling group takes
 * this instance out (target lifecycle state Terminated), the instance waits in Terminating:Wait
 * until the hook is completed or times out. The daemon drains first, then completes the action
 * with CONTINUE so the group terminates the instance at once instead of after the hook's timeout.
 *
 * observe() is told every lifecycle state the spot watcher sees; complete() also asks IMDS once
 * when nothing was seen (a drain started by SIGTERM while the hook is pending). While a termination
 * drain runs, RecordLifecycleActionHeartbeat every `heartbeatMs` (0: never) keeps the hook from
 * timing out. Failures are logged; they never change the exit code.
 */
import type { Logger } from '../../observability/logger.ts';
import { classifyError } from '../../core/classify.ts';
import type { AutoScalingPort, TargetResolver } from './port.ts';

export const TERMINATED = 'Terminated';

export interface TerminationLifecycleOptions {
  asg: Pick<AutoScalingPort, 'completeLifecycleAction' | 'recordLifecycleActionHeartbeat'>;
  target: TargetResolver;
  hookName: string;
  logger: Logger;
  /** The target lifecycle state now (IMDS), null when there is none; undefined ⇒ only observe(). */
  readState?: (signal?: AbortSignal) => Promise<string | null>;
  /** RecordLifecycleActionHeartbeat interval while terminating; 0 = never. */
  heartbeatMs?: number;
}

export class TerminationLifecycle {
  readonly #o: TerminationLifecycleOptions;
  readonly #abort = new AbortController();
  #terminating = false;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #beat: Promise<void> | undefined;
  /** No more heartbeats (the drain is over, or closed). */
  #heartbeatStopped = false;
  #completed = false;
  #closed = false;

  constructor(options: TerminationLifecycleOptions) {
    this.#o = options;
  }

  /** The group's target lifecycle state is Terminated (as far as this process knows). */
  get terminating(): boolean {
    return this.#terminating;
  }

  get completed(): boolean {
    return this.#completed;
  }

  /** A target lifecycle state seen by the spot watcher. */
  observe(state: string): void {
    if (state !== TERMINATED || this.#terminating) return;
    this.#terminating = true;
    this.#scheduleHeartbeat();
  }

  /**
   * After the drain: when the instance is being terminated, CompleteLifecycleAction(CONTINUE).
   * Returns whether the action was completed. Never throws (failures are logged).
   */
  async complete(): Promise<boolean> {
    if (this.#completed || this.#closed) return this.#completed;
    const signal = this.#abort.signal;
    if (!this.#terminating && this.#o.readState) {
      try {
        if ((await this.#o.readState(signal)) === TERMINATED) this.#terminating = true;
      } catch (err) {
        this.#o.logger.warn({ err: describe(err) }, 'could not read the target lifecycle state; the lifecycle action is left to the hook timeout');
      }
    }
    this.#stopHeartbeat();
    if (!this.#terminating) return false;
    await this.#beat;
    try {
      const target = await this.#o.target(signal);
      await this.#o.asg.completeLifecycleAction({ ...target, hookName: this.#o.hookName, result: 'CONTINUE' }, signal);
      this.#completed = true;
      this.#o.logger.info({ hook: this.#o.hookName, instanceId: target.instanceId, group: target.groupName, result: 'CONTINUE' }, 'lifecycle action completed');
    } catch (err) {
      if (!this.#closed) {
        this.#o.logger.error({ err: describe(err), hook: this.#o.hookName }, 'CompleteLifecycleAction failed; the group terminates the instance when the hook times out');
      }
    }
    return this.#completed;
  }

  /** Stop the heartbeat and abort a call in progress. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#stopHeartbeat();
    this.#abort.abort(new Error('termination lifecycle closed'));
    await this.#beat;
  }

  #scheduleHeartbeat(): void {
    const every = this.#o.heartbeatMs ?? 0;
    if (every <= 0 || this.#heartbeatStopped) return;
    this.#heartbeatTimer = setTimeout(() => {
      this.#heartbeatTimer = undefined;
      this.#beat = this.#heartbeat().finally(() => {
        this.#beat = undefined;
        if (!this.#heartbeatStopped) this.#scheduleHeartbeat();
      });
    }, every);
    this.#heartbeatTimer.unref();
  }

  #stopHeartbeat(): void {
    this.#heartbeatStopped = true;
    clearTimeout(this.#heartbeatTimer);
    this.#heartbeatTimer = undefined;
  }

  async #heartbeat(): Promise<void> {
    try {
      const target = await this.#o.target(this.#abort.signal);
      await this.#o.asg.recordLifecycleActionHeartbeat({ ...target, hookName: this.#o.hookName }, this.#abort.signal);
      this.#o.logger.debug({ hook: this.#o.hookName }, 'lifecycle action heartbeat recorded');
    } catch (err) {
      if (!this.#closed) this.#o.logger.warn({ err: describe(err), hook: this.#o.hookName }, 'RecordLifecycleActionHeartbeat failed');
    }
  }
}

function describe(err: unknown): { code: string; message: string } {
  const e = classifyError(err);
  return { code: e.code, message: e.message };
}
