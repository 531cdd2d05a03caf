/**
 * Who this instance is, from IMDS (IMDSv2, the spot watcher's client): its instance id, and its
 * Auto Scaling group from the instance tag aws:autoscaling:groupName (readable only when instance
 * tags in metadata are on; otherwise IMDS answers 404 and INGEST_ASG_NAME must name the group).
 * An answer (a 404 included) is kept; a failure is not, so the next ask tries IMDS again.
 */
import { AsgError, type AsgTarget } from './asg/port.ts';
import type { ImdsClient } from './imds-client.ts';

export const INSTANCE_ID_PATH = '/latest/meta-data/instance-id';
export const ASG_NAME_TAG_PATH = '/latest/meta-data/tags/instance/aws:autoscaling:groupName';

const INSTANCE_ID = /^i-[0-9a-f]{8,32}$/;

/** Whether a string looks like an EC2 instance id (i-0123456789abcdef0). */
export function isInstanceId(value: string | undefined): value is string {
  return value !== undefined && INSTANCE_ID.test(value);
}

export interface InstanceIdentityOptions {
  /** IMDS; undefined ⇒ only the configured values below are known. */
  imds: Pick<ImdsClient, 'get'> | undefined;
  /** INGEST_ASG_NAME: wins over the tag. */
  asgName?: string | undefined;
  /** INGEST_INSTANCE_ID: stands in for the Auto Scaling calls only when IMDS has no answer and it is an instance id. */
  configuredInstanceId?: string | undefined;
}

/** An IMDS answer: a value, nothing there (404 / IMDS off), or a failure (try again later). */
type Answer = { value: string } | { absent: true } | { error: unknown };

export class InstanceIdentity {
  readonly #o: InstanceIdentityOptions;
  /** path → answer (null: IMDS says there is none). */
  readonly #known = new Map<string, string | null>();

  constructor(options: InstanceIdentityOptions) {
    this.#o = options;
  }

  /** The EC2 instance id; undefined when IMDS is off or fails and INGEST_INSTANCE_ID is no instance id. */
  async instanceId(signal?: AbortSignal): Promise<string | undefined> {
    const answer = await this.#instanceId(signal);
    return 'value' in answer ? answer.value : undefined;
  }

  /** The Auto Scaling group: INGEST_ASG_NAME, else the instance tag; undefined when neither is there. */
  async asgName(signal?: AbortSignal): Promise<string | undefined> {
    const answer = await this.#asgName(signal);
    return 'value' in answer ? answer.value : undefined;
  }

  /**
   * Both, for the Auto Scaling calls; else an AsgError: ASG_TARGET_UNKNOWN when IMDS failed (ask
   * again later), ASG_TARGET_MISSING when there is nothing to find.
   */
  async asgTarget(signal?: AbortSignal): Promise<AsgTarget> {
    const [id, group] = [await this.#instanceId(signal), await this.#asgName(signal)];
    if ('value' in id && 'value' in group) return { instanceId: id.value, groupName: group.value };
    const failure = 'error' in id ? id.error : 'error' in group ? group.error : undefined;
    if (failure !== undefined) {
      const message = failure instanceof Error ? failure.message : String(failure);
      throw new AsgError('ASG_TARGET_UNKNOWN', `instance id or Auto Scaling group not known yet: IMDS: ${message}`, { action: 'identify instance', cause: failure });
    }
    const missing = 'absent' in group
      ? 'no Auto Scaling group name: set INGEST_ASG_NAME, or allow instance tags in metadata (aws:autoscaling:groupName)'
      : 'no instance id: IMDS is off (INGEST_IMDS) and INGEST_INSTANCE_ID is not an instance id';
    throw new AsgError('ASG_TARGET_MISSING', missing, { action: 'identify instance' });
  }

  async #instanceId(signal: AbortSignal | undefined): Promise<Answer> {
    const answer = await this.#read(INSTANCE_ID_PATH, signal);
    if (!('value' in answer) && isInstanceId(this.#o.configuredInstanceId)) return { value: this.#o.configuredInstanceId };
    return answer;
  }

  async #asgName(signal: AbortSignal | undefined): Promise<Answer> {
    return this.#o.asgName !== undefined ? { value: this.#o.asgName } : await this.#read(ASG_NAME_TAG_PATH, signal);
  }

  async #read(path: string, signal: AbortSignal | undefined): Promise<Answer> {
    const imds = this.#o.imds;
    if (imds === undefined) return { absent: true };
    const known = this.#known.get(path);
    if (known !== undefined) return known === null ? { absent: true } : { value: known };
    try {
      const body = await imds.get(path, signal);
      const value = body === null || body.trim() === '' ? null : body.trim();
      this.#known.set(path, value);
      return value === null ? { absent: true } : { value };
    } catch (err) {
      if (signal?.aborted) throw err;
      return { error: err };
    }
  }
}
