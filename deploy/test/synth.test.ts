/**
 * `npx cdk synth` as the README runs it, from deploy/, with no network: the CDK CLI's notices and
 * telemetry are off in cdk.json, and nothing is looked up in an account.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const deploy = fileURLToPath(new URL('..', import.meta.url));

test('npx cdk synth writes the template offline (no AWS credentials, no network)', async () => {
  const out = await mkdtemp(join(tmpdir(), 'spot-ingest-cdk-'));
  try {
    const env = { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '', HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', PATH: `${join(deploy, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` };
    const { stderr } = await promisify(execFile)('npx', ['cdk', 'synth', '--quiet', '-o', out], { cwd: deploy, env, timeout: 120_000 });
    const template = JSON.parse(await readFile(join(out, 'SpotIngest.template.json'), 'utf8')) as { Resources: Record<string, { Type: string }> };
    const types = new Set(Object.values(template.Resources).map((r) => r.Type));
    for (const type of ['AWS::SQS::Queue', 'AWS::DynamoDB::GlobalTable', 'AWS::S3::Bucket', 'AWS::EC2::LaunchTemplate', 'AWS::AutoScaling::AutoScalingGroup', 'AWS::CloudWatch::Dashboard']) {
      assert.ok(types.has(type), type);
    }
    assert.doesNotMatch(stderr, /telemetry|notices? (could not|failed)/i);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
