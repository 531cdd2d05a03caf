/**
 * INGEST_IMDS: `off` → no watcher; `on` → a watcher even when IMDS does not answer (its failures
 * are logged with backoff); `auto` → one probe of the token endpoint (~1 s): a watcher when it
 * answers, otherwise one info line and nothing more (a laptop neither waits nor fills its log).
 */
import type { Logger } from '../observability/logger.ts';
import { ImdsClient } from './imds-client.ts';
import { SpotWatcher } from './watcher.ts';

/**
 * Whether `auto` may probe at all: never on a laptop (local mode) or where the SDK's
 * AWS_EC2_METADATA_DISABLED=true says there is no IMDS — unless an endpoint is set explicitly.
 * Shared by the daemon and `doctor`, so neither sends a request to 169.254.169.254 off EC2.
 */
export function effectiveImdsMode(config: { imds: 'on' | 'off' | 'auto'; localMode: boolean; imdsEndpoint: string | undefined; imdsDisabled: boolean }): 'on' | 'off' | 'auto' {
  if (config.imds !== 'auto' || config.imdsEndpoint !== undefined) return config.imds;
  if (config.localMode || config.imdsDisabled) return 'off';
  return 'auto';
}

export interface SpotWatcherSetup {
  mode: 'on' | 'off' | 'auto';
  logger: Logger;
  /** IMDS base URL (config.imdsEndpoint); default http://169.254.169.254. */
  endpoint?: string;
  probeTimeoutMs?: number;
  intervalMs?: number;
}

/**
 * The watcher (not yet started: attach listeners, then start()), or undefined when IMDS is off
 * (by choice or because it is not there). The watcher owns the IMDS client made here: its stop()
 * closes the client's agent, so stop it after everything else that reads `watcher.imds`.
 */
export async function createSpotWatcher(options: SpotWatcherSetup): Promise<SpotWatcher | undefined> {
  const { mode, logger } = options;
  if (mode === 'off') {
    logger.debug('IMDS off (INGEST_IMDS=off): no spot interruption watcher');
    return undefined;
  }
  const endpoint = options.endpoint;
  const imds = new ImdsClient({ ...(endpoint ? { endpoint } : {}), timeoutMs: options.probeTimeoutMs ?? 1_000 });
  if (mode === 'auto' && !(await imds.probe())) {
    await imds.close();
    logger.info({ endpoint: imds.endpoint }, 'IMDS not reachable (not on EC2?): no spot interruption watcher; set INGEST_IMDS=on to insist');
    return undefined;
  }
  const watcher = new SpotWatcher({
    imds,
    logger: logger.child({ component: 'spot-watcher' }),
    onStop: () => imds.close(),
    ...(options.intervalMs ? { intervalMs: options.intervalMs } : {}),
  });
  logger.info({ endpoint: imds.endpoint, mode }, 'spot interruption watcher enabled');
  return watcher;
}
