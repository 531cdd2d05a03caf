/**
 * The CDK stack (deploy/lib/stack.ts) with aws-cdk-lib/assertions: every resource the fleet needs,
 * its settings, and the instance role's statements (from packer/iam-policy.json, no `*` resource).
 * Runs in the root `npm test` (vitest project "deploy").
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SpotIngestStack, DEFAULT_INSTANCE_TYPES } from '../lib/stack.ts';
import { POLICY_FILE } from '../lib/instance-role.ts';
import { LIFECYCLE_HOOK_NAME } from '../lib/fleet.ts';

const template = Template.fromStack(new SpotIngestStack(new App(), 'Test'));
const resources = (type: string) => Object.values(template.findResources(type)) as Array<{ Properties: Record<string, unknown> }>;

test('the queue redrives to its DLQ after MaxReceiveCount receives (a parameter), both encrypted, long polling', () => {
  template.resourceCountIs('AWS::SQS::Queue', 2);
  template.hasResourceProperties('AWS::SQS::Queue', {
    RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: { Ref: 'MaxReceiveCount' } },
    ReceiveMessageWaitTimeSeconds: 20,
    VisibilityTimeout: 120,
    SqsManagedSseEnabled: true,
  });
  template.hasParameter('MaxReceiveCount', { Type: 'Number', Default: 5 });
});

test('the state table: key pk, on demand, point-in-time recovery, TTL on expiresAt', () => {
  template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
    TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
  });
});

test('the bucket: no public access, encrypted, TLS only, checkpoints expire', () => {
  template.hasResourceProperties('AWS::S3::Bucket', {
    PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    LifecycleConfiguration: { Rules: Match.arrayWith([
      Match.objectLike({ Prefix: 'checkpoints/', ExpirationInDays: 7, Status: 'Enabled' }),
      // large kept extractions outlive the state-table records (90 days) that name them
      Match.objectLike({ Prefix: 'content/', ExpirationInDays: 100, Status: 'Enabled' }),
    ]) },
  });
  template.hasResourceProperties('AWS::S3::BucketPolicy', {
    PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
  });
});

test('the launch template: the AMI parameter, IMDSv2 required with a hop limit of 1, instance tags in IMDS', () => {
  template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
    LaunchTemplateData: Match.objectLike({
      ImageId: { Ref: 'AmiId' },
      MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1, InstanceMetadataTags: 'enabled' },
      IamInstanceProfile: Match.anyValue(),
      UserData: Match.anyValue(),
    }),
  });
  template.hasParameter('AmiId', { Type: 'AWS::EC2::Image::Id' });
});

test('the user data writes the daemon\'s configuration: queue, DLQ, table, index, bucket, hook, EMF, scale-in protection', () => {
  const [lt] = resources('AWS::EC2::LaunchTemplate');
  const userData = JSON.stringify((lt!.Properties.LaunchTemplateData as { UserData: unknown }).UserData);
  for (const name of ['INGEST_QUEUE_URL', 'INGEST_DLQ_URL', 'INGEST_STATE_TABLE', 'INGEST_OPENSEARCH_URL', 'INGEST_OPENSEARCH_SIGV4=es', 'INGEST_THUMBNAIL_BUCKET', 'INGEST_CONTENT_PREFIX=content/', `INGEST_LIFECYCLE_HOOK_NAME=${LIFECYCLE_HOOK_NAME}`, 'INGEST_EMF=on', 'INGEST_EMF_LOG_GROUP', 'INGEST_SCALE_IN_PROTECTION=on', 'INGEST_BEDROCK_DAILY_BUDGET_USD', '/etc/spot-ingest/env']) {
    assert.ok(userData.includes(name), name);
  }
});

test('the group: all spot, price-capacity-optimized over several types, capacity rebalance, the drain hook, a minimum of 0 allowed', () => {
  template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
    MinSize: { Ref: 'MinSize' },
    MaxSize: { Ref: 'MaxSize' },
    CapacityRebalance: true,
    VPCZoneIdentifier: { Ref: 'SubnetIds' },
    MixedInstancesPolicy: {
      InstancesDistribution: { OnDemandBaseCapacity: 0, OnDemandPercentageAboveBaseCapacity: 0, SpotAllocationStrategy: 'price-capacity-optimized' },
      LaunchTemplate: { LaunchTemplateSpecification: Match.anyValue(), Overrides: DEFAULT_INSTANCE_TYPES.map((t) => ({ InstanceType: t })) },
    },
    LifecycleHookSpecificationList: [{ LifecycleHookName: LIFECYCLE_HOOK_NAME, LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING', DefaultResult: 'CONTINUE', HeartbeatTimeout: 180 }],
    Tags: [{ Key: 'Application', Value: 'spot-ingest', PropagateAtLaunch: true }],
  });
  template.hasParameter('MinSize', { Type: 'Number', Default: 0, MinValue: 0 });
  assert.ok(DEFAULT_INSTANCE_TYPES.length >= 3);
});

test('scaling: target tracking on backlog / instances + InFlight, and a step from zero instances', () => {
  template.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
    PolicyType: 'TargetTrackingScaling',
    TargetTrackingConfiguration: {
      TargetValue: { Ref: 'TargetLoadPerInstance' },
      CustomizedMetricSpecification: {
        Metrics: Match.arrayWith([
          Match.objectLike({ Id: 'busy', MetricStat: Match.objectLike({ Metric: Match.objectLike({ Namespace: 'SpotIngest', MetricName: 'InFlight' }) }) }),
          Match.objectLike({ Id: 'load', Expression: 'backlog / instances + busy', ReturnData: true }),
        ]),
      },
    },
  });
  template.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', { PolicyType: 'StepScaling', AdjustmentType: 'ChangeInCapacity' });
});

test('alarms: DLQ not empty, oldest message, daemons not reporting, Bedrock budget — all to the alarm topic', () => {
  const alarms = resources('AWS::CloudWatch::Alarm');
  const described = (words: RegExp) => alarms.find((a) => words.test(JSON.stringify(a.Properties.AlarmDescription)));
  const dlq = described(/dead-lettered/);
  assert.equal(dlq?.Properties.MetricName, 'ApproximateNumberOfMessagesVisible');
  assert.equal(dlq?.Properties.Threshold, 0);
  assert.equal(dlq?.Properties.ComparisonOperator, 'GreaterThanThreshold');
  assert.equal(described(/has waited/)?.Properties.MetricName, 'ApproximateAgeOfOldestMessage');
  assert.match(JSON.stringify(described(/wrote no EMF line/)?.Properties.Metrics), /SampleCount/);
  assert.equal(described(/Bedrock spend/)?.Properties.MetricName, 'BedrockBudgetSpentUsd');
  for (const alarm of [dlq, described(/has waited/), described(/wrote no EMF line/), described(/Bedrock spend/)]) {
    assert.match(JSON.stringify(alarm?.Properties.AlarmActions), /AlarmsTopic/);
  }
});

test('the dashboard shows backlog, in flight, outcomes, step timings, OCR pages/s, Bedrock, the circuits and reused copies', () => {
  const [dashboard] = resources('AWS::CloudWatch::Dashboard');
  const body = JSON.stringify(dashboard!.Properties.DashboardBody);
  for (const name of ['ApproximateNumberOfMessagesVisible', 'InFlight', 'Outcome_done', 'Outcome_dead-letter', 'StepSeconds_extract', 'Pages_ocr', 'BedrockInputTokens', 'BedrockCostUsd', 'OpenCircuits', 'ReusedDocuments', 'ReuseSavedPages', 'ReuseSavedBedrockTokens']) {
    assert.ok(body.includes(name), name);
  }
});

test('the instance role carries every statement of packer/iam-policy.json, IMDS-safe: no "*" action, no "*" resource', () => {
  const file = JSON.parse(readFileSync(POLICY_FILE, 'utf8')) as { Statement: Array<{ Sid: string }> };
  const policies = resources('AWS::IAM::Policy');
  const statements = policies.flatMap((p) => (p.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement);
  for (const { Sid } of file.Statement) assert.ok(statements.some((s) => s.Sid === Sid), `statement ${Sid}`);
  for (const s of statements) {
    assert.notEqual(s.Action, '*');
    assert.notEqual(s.Resource, '*', `statement ${String(s.Sid)} has a narrower resource`);
    if (Array.isArray(s.Resource)) assert.ok(!s.Resource.includes('*'), String(s.Sid));
    assert.doesNotMatch(JSON.stringify(s), /\$\{\w+\}/, 'every placeholder filled');
  }
  const logs = statements.find((s) => s.Sid === 'ShipLogsAndMetrics');
  assert.deepEqual(logs?.Action, ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams']);
  assert.match(JSON.stringify(logs?.Resource), /Logs/, 'on the stack\'s log group');
  const queue = statements.find((s) => s.Sid === 'ConsumeIngestQueue');
  assert.match(JSON.stringify(queue?.Resource), /QueuesUploads/);
});

test('with trialDomain, a small OpenSearch domain replaces the endpoint parameters', () => {
  const trial = Template.fromStack(new SpotIngestStack(new App(), 'Trial', { trialDomain: true }));
  trial.resourceCountIs('AWS::OpenSearchService::Domain', 1);
  trial.hasResourceProperties('AWS::OpenSearchService::Domain', {
    ClusterConfig: Match.objectLike({ InstanceCount: 1, InstanceType: 't3.small.search' }),
    EncryptionAtRestOptions: { Enabled: true },
    NodeToNodeEncryptionOptions: { Enabled: true },
    DomainEndpointOptions: Match.objectLike({ EnforceHTTPS: true }),
  });
  assert.equal(trial.findParameters('OpenSearchUrl').OpenSearchUrl, undefined);
  // the domain's access-policy custom resource too has no "*" resource
  for (const policy of Object.values(trial.findResources('AWS::IAM::Policy')) as Array<{ Properties: { PolicyDocument: { Statement: Array<{ Resource: unknown }> } } }>) {
    for (const s of policy.Properties.PolicyDocument.Statement) assert.ok(s.Resource !== '*' && !(Array.isArray(s.Resource) && s.Resource.includes('*')), JSON.stringify(s));
  }
  template.resourceCountIs('AWS::OpenSearchService::Domain', 0);
});
