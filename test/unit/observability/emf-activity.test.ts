/**
 * EmfActivity (src/observability/emf-activity.ts): each EMF line carries what happened since the
 * previous one, from the daemon's Prometheus registry.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { EmfActivity } from '../../../src/observability/emf-activity.ts';
import { backlogRecord, buildEmf } from '../../../src/observability/emf.ts';
import { Metrics } from '../../../src/observability/metrics.ts';

const byName = (metrics: Array<{ name: string; value: number }>) => Object.fromEntries(metrics.map((m) => [m.name, m.value]));

test('counters become the deltas of the interval; the step durations their mean; the budget and circuits their state now', async () => {
  const metrics = new Metrics();
  let up = { opensearch: 1, state: 1 };
  metrics.dependencies = () => up;
  const activity = new EmfActivity(metrics.registry);
  metrics.messages.inc({ outcome: 'done' }, 3);
  metrics.messages.inc({ outcome: 'retry' });
  metrics.pages.inc({ source: 'ocr' }, 5);
  metrics.stepSeconds.observe({ step: 'ocr' }, 2);
  metrics.stepSeconds.observe({ step: 'ocr' }, 4);
  metrics.bedrockInputTokens.inc({ model: 'm' }, 1000);
  metrics.bedrockCost.inc({ model: 'm' }, 0.02);
  metrics.bedrockBudgetSpent.set(1.5);
  metrics.reusedDocuments.inc(2);
  metrics.reuseSavedPages.inc(7);
  metrics.reuseSavedBedrockTokens.inc(900);
  const first = byName(await activity.collect());
  assert.equal(first.Outcome_done, 3);
  assert.equal(first.Outcome_retry, 1);
  assert.equal(first.Pages_ocr, 5);
  assert.equal(first.StepSeconds_ocr, 3);
  assert.equal(first.BedrockInputTokens, 1000);
  assert.equal(first.BedrockCostUsd, 0.02);
  assert.equal(first.BedrockBudgetSpentUsd, 1.5);
  assert.equal(first.OpenCircuits, 0);
  assert.equal(first.ReusedDocuments, 2);
  assert.equal(first.ReuseSavedPages, 7);
  assert.equal(first.ReuseSavedBedrockTokens, 900);

  metrics.messages.inc({ outcome: 'done' });
  metrics.stepSeconds.observe({ step: 'ocr' }, 1);
  metrics.bedrockCircuitOpen.set(1);
  up = { opensearch: 0, state: 1 };
  const second = byName(await activity.collect());
  assert.equal(second.Outcome_done, 1, 'only what happened since the last line');
  assert.equal(second.Outcome_retry, 0);
  assert.equal(second.Pages_ocr, 0);
  assert.equal(second.StepSeconds_ocr, 1, 'the mean of the interval, not of all time');
  assert.equal(second.BedrockInputTokens, 0);
  assert.equal(second.ReusedDocuments, 0);
  assert.equal(second.BedrockBudgetSpentUsd, 1.5, 'a state, not a delta');
  assert.equal(second.OpenCircuits, 2, 'OpenSearch and Bedrock');
});

test('the activity goes into the same EMF directive as Backlog and InFlight, and stays a valid document', async () => {
  const metrics = new Metrics();
  for (const outcome of ['done', 'retry', 'dead-letter', 'duplicate', 'stale', 'deleted']) metrics.messages.inc({ outcome });
  const doc = buildEmf(backlogRecord({ groupName: 'g', queueName: 'q', backlog: 4, inFlight: 2, activity: await new EmfActivity(metrics.registry).collect() }), Date.now());
  const names = doc._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name);
  assert.deepEqual(names.slice(0, 2), ['Backlog', 'InFlight']);
  assert.ok(names.includes('Outcome_dead-letter'));
  assert.equal(doc['Outcome_done'], 1);
  assert.ok(names.length <= 100);
});
