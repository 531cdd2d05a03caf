/**
 * The spot-ingest fleet in one stack. Deploy-time parameters: the AMI (packer/), the network, the
 * source bucket, the OpenSearch domain (or a trial domain, context `trialDomain=true`), group size
 * (the minimum may be 0), maxReceiveCount, the scaling target, the alarm limits. Instance types
 * come from context `instanceTypes` (comma-separated).
 */
import { CfnOutput, CfnParameter, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { Alarms } from './alarms.ts';
import { FleetDashboard } from './dashboard.ts';
import { Fleet, LIFECYCLE_HOOK_NAME } from './fleet.ts';
import { InstanceRole } from './instance-role.ts';
import { Queues } from './queues.ts';
import { Scaling } from './scaling.ts';
import { StateTable } from './state-table.ts';
import { CHECKPOINT_PREFIX, CONTENT_PREFIX, StorageBucket, THUMBNAIL_PREFIX } from './storage-bucket.ts';
import { TrialDomain } from './trial-domain.ts';

/** Two-vCPU types of several families: spot capacity is drawn from whichever pool is deepest. */
export const DEFAULT_INSTANCE_TYPES = ['c7i.large', 'c6i.large', 'c5.large', 'c7a.large', 'm7i.large', 'm6i.large', 'm5.large'];
/** The daemon's default INGEST_VISIBILITY_TIMEOUT: the queue's own visibility timeout matches it. */
export const VISIBILITY_TIMEOUT_SECONDS = 120;

export interface SpotIngestStackProps extends StackProps {
  instanceTypes?: readonly string[];
  /** Create a small OpenSearch domain instead of taking an existing one. */
  trialDomain?: boolean;
}

export class SpotIngestStack extends Stack {
  constructor(scope: Construct, id: string, props: SpotIngestStackProps = {}) {
    super(scope, id, props);
    const p = parameters(this, props.trialDomain === true);
    const queues = new Queues(this, 'Queues', { maxReceiveCount: p.maxReceiveCount.valueAsNumber, visibilityTimeout: Duration.seconds(VISIBILITY_TIMEOUT_SECONDS) });
    const table = new StateTable(this, 'State');
    const storage = new StorageBucket(this, 'Storage');
    const logs = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH });
    const instanceRole = new InstanceRole(this, 'Instances', { logGroupArn: logs.logGroupArn });
    let endpoint = p.openSearchUrl?.valueAsString;
    let domainArn = p.openSearchDomainArn?.valueAsString;
    if (props.trialDomain) {
      const trial = new TrialDomain(this, 'Search', { role: instanceRole.role });
      endpoint = `https://${trial.domain.domainEndpoint}`;
      domainArn = trial.domain.domainArn;
    }
    instanceRole.attachDaemonPolicy({
      QueueArn: queues.queue.queueArn,
      DlqArn: queues.deadLetters.queueArn,
      SourceBucket: p.sourceBucket.valueAsString,
      ThumbnailBucket: storage.bucket.bucketName,
      StateTableArn: table.table.tableArn,
      OpenSearchDomainArn: domainArn!,
      Region: this.region,
      AccountId: this.account,
    });
    const fleet = new Fleet(this, 'Fleet', {
      amiId: p.amiId.valueAsString,
      vpcId: p.vpcId.valueAsString,
      subnetIds: p.subnetIds.valueAsList,
      instanceTypes: props.instanceTypes ?? DEFAULT_INSTANCE_TYPES,
      minSize: p.minSize.valueAsString,
      maxSize: p.maxSize.valueAsString,
      role: instanceRole.role,
      environment: {
        INGEST_QUEUE_URL: queues.queue.queueUrl,
        INGEST_DLQ_URL: queues.deadLetters.queueUrl,
        INGEST_STATE_TABLE: table.table.tableName,
        INGEST_OPENSEARCH_URL: endpoint!,
        INGEST_OPENSEARCH_SIGV4: 'es',
        INGEST_THUMBNAIL_BUCKET: storage.bucket.bucketName,
        INGEST_THUMBNAIL_PREFIX: THUMBNAIL_PREFIX,
        INGEST_CHECKPOINT_PREFIX: CHECKPOINT_PREFIX,
        INGEST_CONTENT_PREFIX: CONTENT_PREFIX,
        INGEST_LIFECYCLE_HOOK_NAME: LIFECYCLE_HOOK_NAME,
        INGEST_SCALE_IN_PROTECTION: 'on',
        INGEST_EMF: 'on',
        INGEST_EMF_INTERVAL_SECONDS: '60',
        INGEST_EMF_LOG_GROUP: logs.logGroupName,
        INGEST_BEDROCK_DAILY_BUDGET_USD: p.bedrockDailyBudgetUsd.valueAsString,
      },
    });
    const groupName = fleet.group.ref;
    new Scaling(this, 'Scaling', { group: fleet.group, queueName: queues.queue.queueName, targetLoad: p.targetLoad.valueAsNumber });
    const alarms = new Alarms(this, 'Alarms', {
      queueName: queues.queue.queueName, dlqName: queues.deadLetters.queueName, groupName,
      oldestMessageSeconds: p.oldestMessageSeconds.valueAsNumber, bedrockDailyBudgetUsd: p.bedrockDailyBudgetUsd.valueAsNumber,
    });
    const dashboard = new FleetDashboard(this, 'Dashboard', { queueName: queues.queue.queueName, dlqName: queues.deadLetters.queueName, groupName });
    new CfnOutput(this, 'QueueUrl', { value: queues.queue.queueUrl, description: 'send "file uploaded" messages here (or point S3 event notifications at it)' });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: queues.deadLetters.queueUrl });
    new CfnOutput(this, 'StateTableName', { value: table.table.tableName });
    new CfnOutput(this, 'StorageBucketName', { value: storage.bucket.bucketName });
    new CfnOutput(this, 'AutoScalingGroupName', { value: groupName });
    new CfnOutput(this, 'AlarmTopicArn', { value: alarms.topic.topicArn, description: 'subscribe to get the alarms' });
    new CfnOutput(this, 'DashboardName', { value: dashboard.dashboard.dashboardName });
    new CfnOutput(this, 'SearchEndpoint', { value: endpoint!, description: 'INGEST_OPENSEARCH_URL of the instances' });
    new CfnOutput(this, 'LogGroupName', { value: logs.logGroupName, description: 'the daemons send their EMF lines here (INGEST_EMF_LOG_GROUP): CloudWatch extracts the metrics the scaling, alarms and dashboard read' });
  }
}

function parameters(stack: Stack, trialDomain: boolean) {
  const number = (id: string, defaultValue: number, description: string, minValue?: number) =>
    new CfnParameter(stack, id, { type: 'Number', default: defaultValue, description, ...(minValue !== undefined ? { minValue } : {}) });
  return {
    amiId: new CfnParameter(stack, 'AmiId', { type: 'AWS::EC2::Image::Id', description: 'the AMI built by packer/ (npm ci + systemd unit baked in)' }),
    vpcId: new CfnParameter(stack, 'VpcId', { type: 'AWS::EC2::VPC::Id', description: 'VPC of the instances' }),
    subnetIds: new CfnParameter(stack, 'SubnetIds', { type: 'List<AWS::EC2::Subnet::Id>', description: 'subnets of the instances (several AZs: deeper spot pools); they need a route to the AWS APIs (public IP, NAT or VPC endpoints)' }),
    sourceBucket: new CfnParameter(stack, 'SourceBucketName', { type: 'String', description: 'the bucket the uploads are in (read only)' }),
    openSearchUrl: trialDomain ? undefined : new CfnParameter(stack, 'OpenSearchUrl', { type: 'String', description: 'https URL of the existing OpenSearch domain (INGEST_OPENSEARCH_URL)' }),
    openSearchDomainArn: trialDomain ? undefined : new CfnParameter(stack, 'OpenSearchDomainArn', { type: 'String', description: 'arn:aws:es:<region>:<account>:domain/<name> of that domain (for the role)' }),
    minSize: number('MinSize', 0, 'fewest instances; 0 lets the fleet stop when the queue is empty', 0),
    maxSize: number('MaxSize', 10, 'most instances', 1),
    maxReceiveCount: number('MaxReceiveCount', 5, 'receives before SQS redrive moves a message to the DLQ (the daemon dead-letters on the last one itself, with the reason)', 3),
    targetLoad: number('TargetLoadPerInstance', 10, 'messages per instance the scaling aims at: INGEST_CONCURRENCY (8) plus those allowed to wait', 1),
    oldestMessageSeconds: number('OldestMessageAlarmSeconds', 3600, 'alarm when a message has waited longer than this', 60),
    bedrockDailyBudgetUsd: number('BedrockDailyBudgetUsd', 20, 'INGEST_BEDROCK_DAILY_BUDGET_USD: Bedrock spend per UTC day; an alarm says when it is reached', 0),
  };
}
