/**
 * The CloudWatch metrics the alarms, the scaling policy and the dashboard read: the queues' own,
 * the group's, and the daemon's (namespace SpotIngest, written as EMF lines: src/observability/emf.ts).
 */
import { Duration } from 'aws-cdk-lib';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';

export const NAMESPACE = 'SpotIngest';
export const PERIOD = Duration.minutes(1);

export function daemonMetric(name: string, groupName: string, statistic: string, extra: Record<string, string> = {}): Metric {
  return new Metric({ namespace: NAMESPACE, metricName: name, dimensionsMap: { AutoScalingGroupName: groupName, ...extra }, statistic, period: PERIOD });
}

export function queueMetric(name: string, queueName: string, statistic: string, period = PERIOD): Metric {
  return new Metric({ namespace: 'AWS/SQS', metricName: name, dimensionsMap: { QueueName: queueName }, statistic, period });
}

export function groupMetric(name: string, groupName: string): Metric {
  return new Metric({ namespace: 'AWS/AutoScaling', metricName: name, dimensionsMap: { AutoScalingGroupName: groupName }, statistic: 'Average', period: PERIOD });
}
