/**
 * What operators launch: the systemd unit, its installer, the Packer template and scripts, and the
 * instance role's policy document (systemd/, packer/). Checks the files as shipped; the tools
 * (systemd-analyze, packer) run when they are installed and the tests say so when they are not.
 */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const unitPath = join(root, 'systemd/spot-ingest.service');
const unitText = readFileSync(unitPath, 'utf8');
const packerDir = join(root, 'packer');

/** Runs a command without a shell; `undefined` when the program does not exist. */
function run(cmd: string, args: readonly string[], options: { cwd?: string } = {}): SpawnSyncReturns<string> | undefined {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    cwd: options.cwd ?? root,
    timeout: 180_000,
    env: { ...process.env, SYSTEMD_PAGER: 'cat', SYSTEMD_COLORS: '0', SYSTEMD_LOG_COLOR: '0', LC_ALL: 'C.UTF-8' },
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  if (r.error) throw r.error;
  return r;
}

function has(cmd: string): boolean {
  return run(cmd, ['--version']) !== undefined;
}

/** Every `Key=value` of the [Service] section (later assignments after earlier ones). */
function serviceSettings(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1] ?? '';
      continue;
    }
    const eq = line.indexOf('=');
    if (section === 'Service' && eq > 0) out.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return out;
}

function setting(name: string): string | undefined {
  return serviceSettings(unitText).findLast(([k]) => k === name)?.[1];
}

function environment(name: string): string | undefined {
  for (const [k, v] of serviceSettings(unitText).toReversed()) {
    if (k !== 'Environment') continue;
    for (const assignment of v.split(/\s+/)) {
      const m = /^"?([A-Za-z_][A-Za-z0-9_]*)=(.*?)"?$/.exec(assignment);
      if (m && m[1] === name) return m[2];
    }
  }
  return undefined;
}

/** Seconds of a systemd time span as used here ("100", "100s", "1min 40s"). */
function seconds(span: string): number {
  let total = 0;
  const re = /(\d+)\s*(min|s|)/g;
  let matched = '';
  for (const m of span.matchAll(re)) {
    total += Number(m[1]) * (m[2] === 'min' ? 60 : 1);
    matched += m[0];
  }
  assert.equal(matched.replace(/\s/g, ''), span.replace(/\s/g, ''), `unsupported time span "${span}"`);
  return total;
}

// ---- systemd unit --------------------------------------------------------------------------------

test('unit: shutdown timing fits inside the two-minute spot notice', () => {
  const stop = setting('TimeoutStopSec');
  assert.ok(stop, 'TimeoutStopSec is set');
  const grace = environment('INGEST_SHUTDOWN_GRACE_SECONDS');
  assert.ok(grace, 'the unit sets INGEST_SHUTDOWN_GRACE_SECONDS with Environment=');
  assert.ok(seconds(stop) < 120, `TimeoutStopSec ${stop} < 120 s spot notice`);
  assert.ok(seconds(stop) > Number(grace), `TimeoutStopSec ${stop} > INGEST_SHUTDOWN_GRACE_SECONDS ${grace}`);
  assert.equal(setting('KillSignal'), 'SIGTERM');
});

test('unit: runs the launcher from /opt, restarts, state directory, journal, no W^X ban for V8', () => {
  assert.equal(setting('ExecStart'), '/opt/spot-ingest/node_modules/.bin/spot-ingest run');
  assert.match(setting('Type') ?? '', /^(exec|simple)$/);
  assert.equal(setting('Restart'), 'always');
  assert.ok(seconds(setting('RestartSec') ?? '0') >= 1, 'RestartSec spaces restarts out');
  assert.equal(setting('StateDirectory'), 'spot-ingest');
  assert.equal(environment('INGEST_DATA_DIR') ?? '/var/lib/spot-ingest', '/var/lib/spot-ingest');
  assert.equal(setting('EnvironmentFile'), '/etc/spot-ingest/env');
  assert.equal(setting('SyslogIdentifier'), 'spot-ingest');
  assert.ok(setting('DynamicUser') === 'yes' || (setting('User') ?? 'root') !== 'root', 'runs unprivileged');
  assert.ok(setting('MemoryMax'), 'MemoryMax is set');
  assert.equal(setting('UMask'), '0077');
  // V8's JIT needs writable+executable memory.
  assert.ok(!/^\s*MemoryDenyWriteExecute\s*=\s*(yes|true|on|1)\s*$/im.test(unitText), 'no MemoryDenyWriteExecute=yes');
  // The instance metadata service (spot notices, credentials) stays reachable.
  assert.equal(setting('IPAddressDeny'), undefined);
  assert.deepEqual(setting('RestrictAddressFamilies')?.split(/\s+/).sort(), ['AF_INET', 'AF_INET6', 'AF_UNIX']);
  for (const name of ['NoNewPrivileges', 'ProtectHome', 'PrivateTmp', 'PrivateDevices', 'ProtectKernelTunables', 'ProtectKernelModules', 'ProtectKernelLogs', 'ProtectControlGroups', 'RestrictNamespaces', 'LockPersonality', 'RestrictRealtime', 'RestrictSUIDSGID', 'ProtectClock', 'ProtectHostname']) {
    assert.equal(setting(name), 'yes', name);
  }
  assert.equal(setting('ProtectSystem'), 'strict');
  assert.equal(setting('CapabilityBoundingSet'), '');
  assert.equal(setting('SystemCallArchitectures'), 'native');
  assert.ok(serviceSettings(unitText).some(([k, v]) => k === 'SystemCallFilter' && v === '@system-service'));
});

/** The shipped unit, runnable here: ExecStart on this checkout's launcher, env file optional. */
function localCopy(): { dir: string; unit: string } {
  const dir = mkdtempSync(join(tmpdir(), 'spot-ingest-unit-'));
  const text = unitText
    .replace(/^ExecStart=.*$/m, `ExecStart=${join(root, 'bin/spot-ingest')} run`)
    .replace(/^EnvironmentFile=\//m, 'EnvironmentFile=-/');
  assert.notEqual(text, unitText);
  const unit = join(dir, 'spot-ingest.service');
  writeFileSync(unit, text);
  return { dir, unit };
}

test('unit: systemd-analyze verify reports nothing', (t) => {
  if (!existsSync('/usr/bin/systemd-analyze') && !has('systemd-analyze')) {
    t.skip('systemd-analyze is not installed');
  }
  const { dir, unit } = localCopy();
  try {
    // --man=no: Documentation= is a URL, nothing to look up; --generators=no: no PID 1 needed.
    const r = run('systemd-analyze', ['verify', '--man=no', '--generators=no', unit], { cwd: dir });
    assert.ok(r);
    const ours = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('spot-ingest'));
    assert.deepEqual(ours, [], 'no warning or error about the unit');
    assert.equal(r.status, 0, r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('unit: systemd-analyze security rates the exposure 2.0 or lower ("OK" or better)', (t) => {
  if (!existsSync('/usr/bin/systemd-analyze') && !has('systemd-analyze')) {
    t.skip('systemd-analyze is not installed');
  }
  // --offline=yes reads the unit file itself (no running systemd needed); the shipped file.
  const r = run('systemd-analyze', ['security', '--offline=yes', '--no-pager', unitPath], { cwd: dirname(unitPath) });
  assert.ok(r);
  if (r.status !== 0 && /unrecognized option|Unknown option/i.test(r.stderr)) {
    t.skip(`this systemd-analyze has no --offline (needs systemd >= 250): ${r.stderr.trim()}`);
  }
  assert.equal(r.status, 0, r.stderr);
  const m = /Overall exposure level for \S+: (\d+(?:\.\d+)?) (\S+)/.exec(r.stdout);
  assert.ok(m, `overall exposure line in:\n${r.stdout.slice(-400)}`);
  const exposure = Number(m[1]);
  console.log(`systemd-analyze security: exposure ${exposure} ${m[2]}`);
  assert.ok(exposure <= 2.0, `exposure ${exposure} ${m[2]} should be <= 2.0`);
  assert.match(m[2] ?? '', /^(OK|SAFE|PERFECT)$/);
});

// ---- Packer --------------------------------------------------------------------------------------

test('packer: fmt -check and validate (when packer is installed)', (t) => {
  if (!has('packer')) {
    t.skip('packer is not installed (not in Debian bookworm main): packer fmt -check / validate not run');
  }
  const fmt = run('packer', ['fmt', '-check', '-diff', packerDir]);
  assert.ok(fmt);
  assert.equal(fmt.status, 0, `packer fmt -check:\n${fmt.stdout}${fmt.stderr}`);
  const syntax = run('packer', ['validate', '-syntax-only', packerDir]);
  assert.ok(syntax);
  assert.equal(syntax.status, 0, `packer validate -syntax-only:\n${syntax.stdout}${syntax.stderr}`);
  // The full validation needs the amazon plugin (packer init downloads it; no AWS credentials needed).
  const init = run('packer', ['init', packerDir]);
  assert.ok(init);
  if (init.status !== 0) {
    console.log(`packer init could not install the amazon plugin (offline?), full validate not run: ${init.stderr.trim()}`);
    return;
  }
  const validate = run('packer', ['validate', '-var', 'region=us-east-1', packerDir]);
  assert.ok(validate);
  assert.equal(validate.status, 0, `packer validate:\n${validate.stdout}${validate.stderr}`);
});

test('packer: template has the expected source, variables and steps', () => {
  const hcl = readFileSync(join(packerDir, 'spot-ingest.pkr.hcl'), 'utf8');
  assert.match(hcl, /source "amazon-ebs"/);
  for (const v of ['region', 'instance_type', 'arch', 'source_ami', 'node_version']) assert.match(hcl, new RegExp(`variable "${v}"`));
  assert.match(hcl, /source_ami_filter/);
  assert.match(hcl, /al2023-ami-/);
  const app = readFileSync(join(packerDir, 'scripts/install-app.sh'), 'utf8');
  assert.match(app, /npm ci --omit=dev/);
  assert.match(app, /\/opt\/spot-ingest/);
  assert.match(app, /systemd\/install\.sh/);
  assert.match(readFileSync(join(packerDir, 'scripts/install-node.sh'), 'utf8'), /SHASUMS256/);
});

// ---- IAM policy ----------------------------------------------------------------------------------

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

const policy = JSON.parse(readFileSync(join(packerDir, 'iam-policy.json'), 'utf8')) as { Version: string; Statement: Statement[] };
const list = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);

test('iam policy: every statement has a unique Sid, allows only, and names no wildcard action or resource', () => {
  assert.equal(policy.Version, '2012-10-17');
  const sids = policy.Statement.map((s) => s.Sid);
  for (const s of policy.Statement) {
    assert.match(s.Sid ?? '', /^[A-Za-z0-9]+$/, `Sid of ${JSON.stringify(s.Action)}`);
    assert.equal(s.Effect, 'Allow');
    for (const a of list(s.Action)) assert.ok(a !== '*' && !a.endsWith(':*') && !a.includes('*'), `${s.Sid}: action ${a}`);
    for (const r of list(s.Resource)) {
      assert.notEqual(r, '*', `${s.Sid}: Resource "*"`);
      assert.ok(!/^arn:aws:[a-z0-9-]+:::?\*$/.test(r), `${s.Sid}: resource ${r} is a whole service`);
    }
  }
  assert.equal(new Set(sids).size, sids.length, 'Sids are unique');
});

test('iam policy: grants what the daemon calls, on the placeholders it documents', () => {
  const grants = (resourcePart: string): Set<string> =>
    new Set(policy.Statement.filter((s) => list(s.Resource).some((r) => r.includes(resourcePart))).flatMap((s) => list(s.Action)));
  const expect = (resourcePart: string, actions: string[]) => {
    const got = grants(resourcePart);
    for (const a of actions) assert.ok(got.has(a), `${a} on ${resourcePart}`);
  };
  // SendMessage on the queue: a message on its last receive before redrive is sent again (rollover)
  expect('${QueueArn}', ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl']);
  // the DLQ sweep reads it: letters SQS redrive moved without a reason go back to the queue
  expect('${DlqArn}', ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl']);
  assert.ok(!grants('${DlqArn}').has('sqs:PurgeQueue'), 'the daemon never empties the DLQ');
  expect('arn:aws:s3:::${SourceBucket}/*', ['s3:GetObject', 's3:GetObjectVersion']);
  expect('arn:aws:s3:::${ThumbnailBucket}/thumbnails/*', ['s3:PutObject']);
  assert.ok(!grants('${SourceBucket}').has('s3:PutObject'), 'source bucket is read-only');
  expect('${StateTableArn}', ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DescribeTable']);
  expect('foundation-model/amazon.titan-embed-text-v2:0', ['bedrock:InvokeModel']);
  expect('foundation-model/amazon.titan-embed-image-v1', ['bedrock:InvokeModel']);
  expect('${OpenSearchDomainArn}', ['es:ESHttpGet', 'es:ESHttpPost', 'es:ESHttpPut', 'es:ESHttpHead', 'es:ESHttpDelete']);
  expect(':autoScalingGroup:', ['autoscaling:CompleteLifecycleAction', 'autoscaling:RecordLifecycleActionHeartbeat', 'autoscaling:SetInstanceProtection']);
  const asg = policy.Statement.find((s) => list(s.Action).includes('autoscaling:CompleteLifecycleAction'));
  assert.ok(asg?.Condition, 'autoscaling actions are conditioned');
  const text = JSON.stringify(policy);
  for (const placeholder of ['QueueArn', 'DlqArn', 'SourceBucket', 'ThumbnailBucket', 'StateTableArn', 'OpenSearchDomainArn', 'Region', 'AccountId']) {
    assert.ok(text.includes(`\${${placeholder}}`), `placeholder \${${placeholder}}`);
  }
});

// ---- shell scripts -------------------------------------------------------------------------------

test('shell scripts: bash -n', (t) => {
  const scripts = [join(root, 'systemd/install.sh'), ...readdirSync(join(packerDir, 'scripts')).filter((f) => f.endsWith('.sh')).map((f) => join(packerDir, 'scripts', f))];
  assert.ok(scripts.length >= 3);
  for (const script of scripts) {
    const text = readFileSync(script, 'utf8');
    assert.match(text, /^#!\/usr\/bin\/env bash\n/, `${script}: bash shebang`);
    assert.match(text, /^set -euo pipefail$/m, `${script}: set -euo pipefail`);
    const r = run('bash', ['-n', script]);
    assert.ok(r, 'bash exists');
    assert.equal(r.status, 0, `${script}: ${r.stderr}`);
  }
  if (has('shellcheck')) {
    const r = run('shellcheck', ['-S', 'warning', ...scripts]);
    assert.equal(r?.status, 0, r?.stdout);
  } else {
    console.log('shellcheck is not installed; bash -n only');
  }
});

test('env.example: every variable it names is one the daemon reads', () => {
  const example = readFileSync(join(root, 'systemd/env.example'), 'utf8');
  const config = readFileSync(join(root, 'src/config.ts'), 'utf8');
  const names = [...example.matchAll(/^#?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1] ?? '');
  assert.ok(names.includes('INGEST_QUEUE_URL') && names.includes('INGEST_STATE_TABLE') && names.includes('INGEST_OPENSEARCH_URL'));
  for (const name of names) {
    if (name.startsWith('AWS_')) continue;
    assert.ok(config.includes(name), `${name} is in src/config.ts`);
  }
});
