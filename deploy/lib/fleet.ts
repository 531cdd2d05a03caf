/**
 * The instances: a launch template (the AMI built by packer/, IMDSv2 only with a hop limit of 1 and
 * instance tags in IMDS, the daemon's configuration written by user data) and an Auto Scaling group
 * over several instance types, all spot, price-capacity-optimized, with capacity rebalancing and the
 * termination lifecycle hook the daemon completes after draining (docs/auto-scaling.md).
 */
import { Tags } from 'aws-cdk-lib';
import { CfnAutoScalingGroup } from 'aws-cdk-lib/aws-autoscaling';
import { CfnSecurityGroup, LaunchTemplate, OperatingSystemType, SecurityGroup, UserData, type IMachineImage } from 'aws-cdk-lib/aws-ec2';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export const LIFECYCLE_HOOK_NAME = 'spot-ingest-drain';
/** Longer than the unit's INGEST_SHUTDOWN_GRACE_SECONDS (90) plus its stop timeout margin. */
export const LIFECYCLE_HEARTBEAT_SECONDS = 180;
export const APPLICATION_TAG = { key: 'Application', value: 'spot-ingest' };

export interface FleetProps {
  amiId: string;
  vpcId: string;
  subnetIds: string[];
  instanceTypes: readonly string[];
  minSize: string;
  maxSize: string;
  role: IRole;
  /** Lines of /etc/spot-ingest/env (systemd/env.example). */
  environment: Record<string, string>;
}

export class Fleet extends Construct {
  readonly group: CfnAutoScalingGroup;
  readonly launchTemplate: LaunchTemplate;

  constructor(scope: Construct, id: string, props: FleetProps) {
    super(scope, id);
    const sg = new CfnSecurityGroup(this, 'SecurityGroup', {
      groupDescription: 'spot-ingest instances: no inbound; outbound HTTPS to AWS APIs and OpenSearch',
      vpcId: props.vpcId,
      securityGroupEgress: [{ ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIp: '0.0.0.0/0', description: 'HTTPS' }],
    });
    const userData = UserData.forLinux();
    const env = Object.entries(props.environment).map(([k, v]) => `${k}=${v}`).join('\n');
    userData.addCommands(
      'install -d -m 0755 /etc/spot-ingest',
      `cat > /etc/spot-ingest/env <<'SPOT_INGEST_ENV'\n${env}\nSPOT_INGEST_ENV`,
      'chmod 0644 /etc/spot-ingest/env',
      'systemctl enable --now spot-ingest',
      'systemctl restart spot-ingest',
    );
    const image: IMachineImage = { getImage: () => ({ imageId: props.amiId, osType: OperatingSystemType.LINUX, userData }) };
    this.launchTemplate = new LaunchTemplate(this, 'LaunchTemplate', {
      machineImage: image,
      userData,
      role: props.role,
      securityGroup: SecurityGroup.fromSecurityGroupId(this, 'Group', sg.attrGroupId),
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      instanceMetadataTags: true,
    });
    this.group = new CfnAutoScalingGroup(this, 'AutoScalingGroup', {
      minSize: props.minSize,
      maxSize: props.maxSize,
      vpcZoneIdentifier: props.subnetIds,
      capacityRebalance: true,
      mixedInstancesPolicy: {
        launchTemplate: {
          launchTemplateSpecification: { launchTemplateId: this.launchTemplate.launchTemplateId!, version: this.launchTemplate.latestVersionNumber },
          overrides: props.instanceTypes.map((instanceType) => ({ instanceType })),
        },
        instancesDistribution: {
          onDemandBaseCapacity: 0,
          onDemandPercentageAboveBaseCapacity: 0,
          spotAllocationStrategy: 'price-capacity-optimized',
        },
      },
      lifecycleHookSpecificationList: [{
        lifecycleHookName: LIFECYCLE_HOOK_NAME,
        lifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
        defaultResult: 'CONTINUE',
        heartbeatTimeout: LIFECYCLE_HEARTBEAT_SECONDS,
      }],
      metricsCollection: [{ granularity: '1Minute', metrics: ['GroupInServiceInstances', 'GroupDesiredCapacity'] }],
      tags: [{ ...APPLICATION_TAG, propagateAtLaunch: true }],
    });
    Tags.of(this.launchTemplate).add(APPLICATION_TAG.key, APPLICATION_TAG.value);
  }
}
