/**
 * Where the operator commands (send, dlq) talk to: in local mode the embedded stack of the RUNNING
 * `spot-ingest run` (published in <INGEST_DATA_DIR>/local-stack.json), else real AWS from the
 * environment. Also turns the AWS failures a user can fix into StartupErrors (exit 1, no stack).
 */
import { readFileSync } from 'node:fs';
import { createAwsClients, type AwsClients } from '../adapters/aws/clients.ts';
import { StartupError } from '../core/errors.ts';
import { ConfigError } from '../config.ts';
import { LOCAL_CREDENTIALS } from '../local/embedded-stack.ts';
import { localStackFile, type LocalStackInfo } from '../runtime/local.ts';
import { classifyError } from '../core/classify.ts';

export const NO_LOCAL_DAEMON = 'no local spot-ingest is running (start it with npm start)';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The stack of the local daemon running on `dataDir`, or a StartupError saying none is. */
export function readRunningLocalStack(dataDir: string): LocalStackInfo {
  const file = localStackFile(dataDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new StartupError(`${NO_LOCAL_DAEMON}; no ${file}`);
    throw err;
  }
  let info: Partial<LocalStackInfo>;
  try {
    info = JSON.parse(text) as Partial<LocalStackInfo>;
  } catch {
    throw new StartupError(`${NO_LOCAL_DAEMON}; ${file} is not valid JSON`);
  }
  const { pid, endpoint, queueUrl, dlqUrl, bucket, region } = info;
  if (typeof pid !== 'number' || typeof endpoint !== 'string' || typeof queueUrl !== 'string' || typeof dlqUrl !== 'string' || typeof bucket !== 'string' || typeof region !== 'string') {
    throw new StartupError(`${NO_LOCAL_DAEMON}; ${file} lacks pid/endpoint/queueUrl/dlqUrl/bucket/region`);
  }
  if (!isAlive(pid)) throw new StartupError(`${NO_LOCAL_DAEMON}; ${file} names pid ${pid}, which is not running (a killed daemon leaves it behind)`);
  return { pid, endpoint, queueUrl, dlqUrl, bucket, region };
}

/** SDK clients for the running daemon's embedded emulator (the environment's endpoints are ignored). */
export function localStackClients(info: LocalStackInfo): AwsClients {
  return createAwsClients({ AWS_ENDPOINT_URL_SQS: info.endpoint, AWS_ENDPOINT_URL_S3: info.endpoint }, { credentials: LOCAL_CREDENTIALS, region: info.region });
}

/**
 * An AWS failure worth a one-line message (unreachable endpoint, missing credentials, no such
 * queue or bucket, access denied) becomes a StartupError naming what was attempted; anything else
 * (a bug) is returned unchanged, so the CLI prints its stack.
 */
export function explainAwsError(err: unknown, what: string): unknown {
  if (err instanceof ConfigError || err instanceof StartupError) return err;
  const e = err as { name?: string; message?: string; $metadata?: unknown };
  const classified = classifyError(err);
  if (classified.code === 'CONNECTION' || classified.code === 'TIMEOUT') {
    return new StartupError(`${what}: cannot reach the service (${classified.message})`, { cause: err });
  }
  if (e?.$metadata !== undefined || /Credential/.test(e?.name ?? '') || /^Region is missing/.test(e?.message ?? '')) {
    return new StartupError(`${what}: ${e.name ?? 'Error'}: ${e.message ?? String(err)}`, { cause: err });
  }
  return err;
}
