/**
 * The Auto Scaling side of the daemon, from configuration: scale-in protection that follows the
 * work (INGEST_SCALE_IN_PROTECTION=on) and the termination lifecycle hook completed after the drain
 * (INGEST_LIFECYCLE_HOOK_NAME). Both need this instance's id and group (INGEST_ASG_NAME or the IMDS
 * tag): when there is nothing to find, one warning and both stay off; when IMDS merely failed, they
 * start and ask again at their first call.
 */
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { createAutoScalingClient } from '../adapters/aws/clients.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../observability/logger.ts';
import type { InstanceIdentity } from '../spot/instance-identity.ts';
import { LIFECYCLE_PATH } from '../spot/watcher.ts';
import type { ImdsClient } from '../spot/imds-client.ts';
import { isAsgError, type AutoScalingPort, type TargetResolver } from '../spot/asg/port.ts';
import { ScaleInProtection } from '../spot/asg/scale-in-protection.ts';
import { SdkAutoScaling } from '../spot/asg/sdk-auto-scaling.ts';
import { TERMINATED, TerminationLifecycle } from '../spot/asg/termination-lifecycle.ts';

/** Each Auto Scaling call (SDK retries included), and removeProtection()'s wait at shutdown. */
const SHUTDOWN_CALL_TIMEOUT_MS = 5_000;

export interface AsgSetup {
  config: Pick<Config, 'localMode' | 'lifecycleHookName' | 'lifecycleHeartbeatSeconds' | 'scaleInProtection' | 'scaleInIdleSeconds'> & Partial<Pick<Config, 'env'>>;
  identity: InstanceIdentity;
  /** IMDS, to read the target lifecycle state after a drain nobody announced; undefined ⇒ off. */
  imds: Pick<ImdsClient, 'get'> | undefined;
  logger: Logger;
  /** Instead of the SDK adapter (tests). */
  asg?: AutoScalingPort;
}

export interface AsgFeatures {
  protection: ScaleInProtection | undefined;
  lifecycle: TerminationLifecycle | undefined;
  /** A target lifecycle state seen by the spot watcher. */
  observeLifecycle(state: string): void;
  /**
   * After the drain: when the instance is being terminated, complete the lifecycle action
   * (protection is moot then); otherwise take scale-in protection off. Never throws.
   */
  afterDrain(): Promise<void>;
  close(): Promise<void>;
}

export async function createAsgFeatures(setup: AsgSetup): Promise<AsgFeatures | undefined> {
  const { config, identity, logger, imds } = setup;
  if (config.lifecycleHookName === undefined && !config.scaleInProtection) return undefined;
  if (config.localMode) {
    logger.warn('INGEST_LIFECYCLE_HOOK_NAME / INGEST_SCALE_IN_PROTECTION are ignored in local mode');
    return undefined;
  }
  if (config.lifecycleHookName !== undefined && imds === undefined) {
    logger.warn('INGEST_LIFECYCLE_HOOK_NAME needs IMDS (INGEST_IMDS) to see the target lifecycle state: the hook is left to its timeout');
  }
  // the hook is completed only when IMDS says Terminated
  const hookName = imds === undefined ? undefined : config.lifecycleHookName;
  if (hookName === undefined && !config.scaleInProtection) return undefined;
  const log = logger.child({ component: 'auto-scaling' });
  let known: { instanceId: string; groupName: string } | undefined;
  try {
    known = await identity.asgTarget();
  } catch (err) {
    if (isAsgError(err) && err.code === 'ASG_TARGET_MISSING') {
      logger.warn({ reason: err.message }, 'Auto Scaling integration off (lifecycle hook, scale-in protection)');
      return undefined;
    }
    log.warn({ err: { code: isAsgError(err) ? err.code : undefined, message: (err as Error).message } }, 'instance identity not known yet; asking again at the first Auto Scaling call');
  }
  const target: TargetResolver = (signal) => identity.asgTarget(signal);
  let client: AutoScalingClient | undefined;
  let asg = setup.asg;
  if (asg === undefined) {
    client = createAutoScalingClient(setup.config.env ?? {});
    // short: these calls also run at shutdown, inside systemd's TimeoutStopSec and the spot notice
    asg = new SdkAutoScaling({ client, timeoutMs: SHUTDOWN_CALL_TIMEOUT_MS });
  }
  const lifecycle = hookName === undefined || imds === undefined
    ? undefined
    : new TerminationLifecycle({
        asg, target, hookName, logger: log,
        heartbeatMs: config.lifecycleHeartbeatSeconds * 1000,
        readState: (signal?: AbortSignal) => imds.get(LIFECYCLE_PATH, signal),
      });
  const protection = config.scaleInProtection ? new ScaleInProtection({ asg, target, logger: log, idleMs: config.scaleInIdleSeconds * 1000 }).start() : undefined;
  log.info(
    { instanceId: known?.instanceId, group: known?.groupName, lifecycleHook: hookName ?? null, scaleInProtection: config.scaleInProtection },
    'Auto Scaling integration on',
  );
  let terminating = false;
  return {
    protection,
    lifecycle,
    observeLifecycle(state) {
      if (state === TERMINATED) terminating = true;
      lifecycle?.observe(state);
    },
    async afterDrain() {
      await lifecycle?.complete();
      // a terminating instance cannot be protected any more (nor needs to be unprotected)
      if (!terminating && !lifecycle?.terminating) await protection?.removeProtection(SHUTDOWN_CALL_TIMEOUT_MS);
    },
    async close() {
      await Promise.allSettled([protection?.close(), lifecycle?.close()]);
      client?.destroy();
    },
  };
}
