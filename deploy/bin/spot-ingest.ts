/**
 * `npx cdk synth` / `npx cdk deploy`: the spot-ingest fleet. Context (`-c name=value`):
 * `stackName` (default SpotIngest), `instanceTypes` (comma-separated, default 7 two-vCPU types),
 * `trialDomain=true` (a small OpenSearch domain instead of an existing one).
 */
import { App } from 'aws-cdk-lib';
import { SpotIngestStack } from '../lib/stack.ts';

const app = new App();
const context = (name: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(name);
  return value === undefined || value === null ? undefined : String(value);
};
const types = context('instanceTypes')?.split(',').map((t) => t.trim()).filter(Boolean);
new SpotIngestStack(app, context('stackName') ?? 'SpotIngest', {
  description: 'spot-ingest: SQS file events to searchable documents on an EC2 Spot fleet',
  ...(types && types.length > 0 ? { instanceTypes: types } : {}),
  trialDomain: context('trialDomain') === 'true',
});
app.synth();
