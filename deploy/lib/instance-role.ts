/**
 * The instances' role: the least-privilege policy of packer/iam-policy.json, read from that file
 * (one place for both the hand-built and the CDK-built fleet) with its placeholders filled in with
 * this stack's resources, plus what the stack itself adds: Systems Manager for shell access, and
 * writing to the stack's log group (the daemons send their EMF lines there: INGEST_EMF_LOG_GROUP).
 */
import { readFileSync } from 'node:fs';
import { Effect, ManagedPolicy, Policy, PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export const POLICY_FILE = new URL('../../packer/iam-policy.json', import.meta.url);

export interface PolicyValues {
  QueueArn: string;
  DlqArn: string;
  SourceBucket: string;
  ThumbnailBucket: string;
  StateTableArn: string;
  OpenSearchDomainArn: string;
  Region: string;
  AccountId: string;
}

/** The policy document of packer/iam-policy.json with every `${Name}` replaced by its value. */
export function packerPolicy(values: PolicyValues): PolicyDocument {
  const text = readFileSync(POLICY_FILE, 'utf8');
  const missing = new Set<string>();
  const json = JSON.parse(text, (_key, value: unknown) => {
    if (typeof value !== 'string') return value;
    return value.replace(/\$\{(\w+)\}/g, (_m, name: string) => {
      if (!(name in values)) missing.add(name);
      return values[name as keyof PolicyValues] ?? '';
    });
  }) as object;
  if (missing.size > 0) throw new Error(`${POLICY_FILE.pathname}: no value for ${[...missing].join(', ')}`);
  return PolicyDocument.fromJson(json);
}

export interface InstanceRoleProps {
  logGroupArn: string;
}

export class InstanceRole extends Construct {
  readonly role: Role;

  constructor(scope: Construct, id: string, props: InstanceRoleProps) {
    super(scope, id);
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('ec2.amazonaws.com'),
      description: 'spot-ingest instances: packer/iam-policy.json + SSM + the log group',
      managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    this.role.addToPolicy(new PolicyStatement({
      sid: 'ShipLogsAndMetrics',
      effect: Effect.ALLOW,
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      resources: [props.logGroupArn, `${props.logGroupArn}:log-stream:*`],
    }));
  }

  /** Attaches packer/iam-policy.json, filled in with the stack's resources (after they exist: a trial domain needs the role first). */
  attachDaemonPolicy(values: PolicyValues): Policy {
    return new Policy(this, 'Daemon', { document: packerPolicy(values), roles: [this.role] });
  }
}
