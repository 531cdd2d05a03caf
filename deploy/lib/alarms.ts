/**
 * Alarms an operator of the fleet needs, all to one SNS topic (subscribe to it):
 * - a dead letter exists (the DLQ is not empty): a file needs a person (`spot-ingest dlq list`);
 * - the oldest waiting message is older than the limit: the fleet does not keep up, or is stopped;
 * - daemons not reporting: instances in service that wrote no EMF line in the minute (hung, or
 *   their log shipping is broken);
 * - the daily Bedrock budget is reached: documents are indexed without vectors until midnight UTC.
 */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, MathExpression, TreatMissingData, type IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { daemonMetric, groupMetric, PERIOD, queueMetric } from './metrics.ts';

export interface AlarmsProps {
  queueName: string;
  dlqName: string;
  groupName: string;
  oldestMessageSeconds: number;
  bedrockDailyBudgetUsd: number;
}

export class Alarms extends Construct {
  readonly topic: Topic;
  readonly deadLetters: Alarm;
  readonly oldestMessage: Alarm;
  readonly notReporting: Alarm;
  readonly bedrockBudget: Alarm;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', { displayName: 'spot-ingest alarms' });
    const action: IAlarmAction = new SnsAction(this.topic);
    this.deadLetters = new Alarm(this, 'DeadLetters', {
      alarmDescription: 'A message was dead-lettered: see `spot-ingest dlq list` for the file and its error code',
      metric: queueMetric('ApproximateNumberOfMessagesVisible', props.dlqName, 'Maximum', Duration.minutes(5)),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.oldestMessage = new Alarm(this, 'OldestMessage', {
      alarmDescription: `A message has waited more than ${props.oldestMessageSeconds} s: the fleet is not keeping up (or not running)`,
      metric: queueMetric('ApproximateAgeOfOldestMessage', props.queueName, 'Maximum', Duration.minutes(5)),
      threshold: props.oldestMessageSeconds,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.notReporting = new Alarm(this, 'DaemonsNotReporting', {
      alarmDescription: 'Instances in service wrote no EMF line in the minute: a daemon is hung or stopped, or its log shipping is broken',
      metric: new MathExpression({
        expression: 'FILL(instances, 0) - FILL(reporting, 0)',
        usingMetrics: { instances: groupMetric('GroupInServiceInstances', props.groupName), reporting: daemonMetric('InFlight', props.groupName, 'SampleCount') },
        period: PERIOD,
        label: 'instances not reporting',
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.bedrockBudget = new Alarm(this, 'BedrockBudget', {
      alarmDescription: `Today's Bedrock spend reached the daily budget (${props.bedrockDailyBudgetUsd} USD): documents are indexed without vectors (embedding_pending) until 00:00 UTC`,
      metric: daemonMetric('BedrockBudgetSpentUsd', props.groupName, 'Maximum'),
      threshold: props.bedrockDailyBudgetUsd,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    for (const alarm of [this.deadLetters, this.oldestMessage, this.notReporting, this.bedrockBudget]) alarm.addAlarmAction(action);
  }
}
