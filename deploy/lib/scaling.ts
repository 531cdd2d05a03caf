/**
 * Scaling on the load per instance, as docs/auto-scaling.md explains: target tracking on
 * visible messages / InService instances + the daemons' average InFlight. Target tracking cannot
 * leave zero instances (there is no InFlight then), so a step policy adds the first instance when
 * the group is empty and messages wait.
 */
import { CfnScalingPolicy, type CfnAutoScalingGroup } from 'aws-cdk-lib/aws-autoscaling';
import { Alarm, ComparisonOperator, MathExpression, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { groupMetric, queueMetric, PERIOD } from './metrics.ts';

export interface ScalingProps {
  group: CfnAutoScalingGroup;
  queueName: string;
  /** Messages per instance the policy aims at (INGEST_CONCURRENCY plus the ones allowed to wait). */
  targetLoad: number;
}

export class Scaling extends Construct {
  readonly targetTracking: CfnScalingPolicy;
  readonly fromZero: CfnScalingPolicy;
  readonly fromZeroAlarm: Alarm;

  constructor(scope: Construct, id: string, props: ScalingProps) {
    super(scope, id);
    const groupName = props.group.ref;
    this.targetTracking = new CfnScalingPolicy(this, 'LoadPerInstance', {
      autoScalingGroupName: groupName,
      policyType: 'TargetTrackingScaling',
      targetTrackingConfiguration: {
        targetValue: props.targetLoad,
        customizedMetricSpecification: {
          metrics: [
            stat('backlog', 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', props.queueName, 'Sum'),
            stat('busy', 'SpotIngest', 'InFlight', 'AutoScalingGroupName', groupName, 'Average'),
            stat('instances', 'AWS/AutoScaling', 'GroupInServiceInstances', 'AutoScalingGroupName', groupName, 'Average'),
            { id: 'load', label: 'messages per instance (waiting share + in flight)', expression: 'backlog / instances + busy', returnData: true },
          ],
        },
      },
    });
    this.fromZero = new CfnScalingPolicy(this, 'FirstInstance', {
      autoScalingGroupName: groupName,
      policyType: 'StepScaling',
      adjustmentType: 'ChangeInCapacity',
      stepAdjustments: [{ metricIntervalLowerBound: 0, scalingAdjustment: 1 }],
    });
    this.fromZeroAlarm = new Alarm(this, 'WaitingWithNoInstance', {
      alarmDescription: 'Messages wait and the group has no instance in service: add one (target tracking takes over from there)',
      metric: new MathExpression({
        expression: 'IF(FILL(instances, 0) < 1 AND backlog > 0, 1, 0)',
        usingMetrics: { backlog: queueMetric('ApproximateNumberOfMessagesVisible', props.queueName, 'Maximum'), instances: groupMetric('GroupInServiceInstances', groupName) },
        period: PERIOD,
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.fromZeroAlarm.addAlarmAction({ bind: () => ({ alarmActionArn: this.fromZero.attrArn }) });
  }
}

function stat(id: string, namespace: string, metricName: string, dimension: string, value: string, statistic: string): CfnScalingPolicy.TargetTrackingMetricDataQueryProperty {
  return { id, returnData: false, metricStat: { stat: statistic, metric: { namespace, metricName, dimensions: [{ name: dimension, value }] } } };
}
