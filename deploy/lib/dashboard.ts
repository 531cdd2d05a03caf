/**
 * One CloudWatch dashboard for the fleet: backlog and instances, messages in flight, outcomes by
 * kind, step timings, OCR pages per second, Bedrock tokens and cost, open dependency circuits,
 * copies reused by content, and the dead letters. The daemon's metrics come from its EMF lines (src/observability/emf*.ts).
 */
import { Duration } from 'aws-cdk-lib';
import { Dashboard, GraphWidget, MathExpression, SingleValueWidget, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { daemonMetric, groupMetric, PERIOD, queueMetric } from './metrics.ts';

export const OUTCOMES = ['done', 'duplicate', 'stale', 'retry', 'dead-letter', 'released'] as const;
export const STEPS = ['claim', 'download', 'reuse', 'extract', 'embed', 'thumbnail', 'index', 'record'] as const;

export interface FleetDashboardProps {
  queueName: string;
  dlqName: string;
  groupName: string;
}

export class FleetDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: FleetDashboardProps) {
    super(scope, id);
    const { groupName } = props;
    const daemon = (name: string, statistic: string, label = name): IMetric => daemonMetric(name, groupName, statistic).with({ label });
    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Backlog and instances',
        left: [queueMetric('ApproximateNumberOfMessagesVisible', props.queueName, 'Maximum').with({ label: 'waiting' }), queueMetric('ApproximateAgeOfOldestMessage', props.queueName, 'Maximum').with({ label: 'oldest (s)' })],
        right: [groupMetric('GroupInServiceInstances', groupName).with({ label: 'instances' })],
        width: 12,
      }),
      new GraphWidget({
        title: 'In flight',
        left: [daemon('InFlight', 'Sum', 'messages in flight (fleet)'), daemon('InFlight', 'Average', 'per instance')],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Outcomes per minute', left: OUTCOMES.map((o) => daemon(`Outcome_${o}`, 'Sum', o)), stacked: true, width: 12 }),
      new GraphWidget({ title: 'Step timings (mean, s)', left: STEPS.map((s) => daemon(`StepSeconds_${s}`, 'Average', s)), width: 12 }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'OCR pages per second (fleet)',
        left: [new MathExpression({ expression: 'ocr / PERIOD(ocr)', usingMetrics: { ocr: daemonMetric('Pages_ocr', groupName, 'Sum') }, label: 'OCR pages/s', period: PERIOD })],
        width: 8,
      }),
      new GraphWidget({
        title: 'Bedrock',
        left: [daemon('BedrockInputTokens', 'Sum', 'input tokens'), daemon('BedrockImages', 'Sum', 'images')],
        right: [daemon('BedrockCostUsd', 'Sum', 'estimated cost (USD)'), daemon('BedrockBudgetSpentUsd', 'Maximum', 'spent today (USD)')],
        width: 8,
      }),
      new GraphWidget({ title: 'Open dependency circuits', left: [daemon('OpenCircuits', 'Maximum', 'open circuits (worst instance)')], width: 8 }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Copies reused (not extracted again)',
        left: [daemon('ReusedDocuments', 'Sum', 'documents reused'), daemon('ReuseSavedPages', 'Sum', 'pages not read again')],
        right: [daemon('ReuseSavedBedrockTokens', 'Sum', 'Bedrock tokens saved')],
        width: 12,
      }),
      new SingleValueWidget({ title: 'Dead letters', metrics: [queueMetric('ApproximateNumberOfMessagesVisible', props.dlqName, 'Maximum').with({ label: 'in the DLQ' })], width: 12 }),
    );
  }
}
