/**
 * `spot-ingest process <s3://bucket/key | path>`: one file through the production pipeline, one
 * shot (an AWS Batch / ECS task command): a native FILE_UPLOADED event is built for it and run
 * with SQLite state + index on a throw-away database; the resulting index document is printed as
 * JSON on stdout. Exit 0 when the file was indexed, 1 otherwise (the error code on stderr).
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { createAwsClients, type AwsClients } from '../adapters/aws/clients.ts';
import { documentId } from '../adapters/index/document-id.ts';
import { DirectoryStorage } from '../adapters/storage/directory.ts';
import type { StoragePort } from '../pipeline/ports/storage.ts';
import { S3Storage } from '../adapters/storage/s3.ts';
import { loadConfig } from '../config.ts';
import { fakeMessage, openOneShotPipeline, type OneShotConfig } from './one-shot-pipeline.ts';
import { reusedText } from '../local/progress.ts';

/** Bucket name used for a local file (the document's `bucket`); its `original_path` is the absolute path. */
export const LOCAL_BUCKET = 'local';

export type ProcessTarget =
  | { kind: 's3'; bucket: string; key: string; url: string }
  | { kind: 'path'; path: string };

/** `s3://bucket/key` (the key taken literally, as the AWS CLI does) or a local path. */
export function parseTarget(value: string): ProcessTarget {
  if (/^s3:\/\//i.test(value)) {
    const rest = value.slice(5);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const key = slash < 0 ? '' : rest.slice(slash + 1);
    if (bucket === '' || key === '') throw new InvalidArgumentError('an S3 URL must name a bucket and a key: s3://bucket/key');
    return { kind: 's3', bucket, key, url: value };
  }
  if (value === '') throw new InvalidArgumentError('a path or s3://bucket/key is required');
  return { kind: 'path', path: resolve(value) };
}

export interface ProcessIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

export async function processCommand(
  target: ProcessTarget,
  config: OneShotConfig,
  io: ProcessIo = { out: process.stdout, err: process.stderr },
  options: { dataDir?: string | undefined } = {},
): Promise<number> {
  const fail = (code: string, message: string) => {
    io.err.write(`spot-ingest: ${code}: ${message}\n`);
    return 1;
  };
  let storage: StoragePort;
  let clients: AwsClients | undefined;
  let bucket: string;
  let key: string;
  let where: string;
  const body: Record<string, unknown> = { eventType: 'FILE_UPLOADED', timestamp: new Date().toISOString() };
  if (target.kind === 'path') {
    const info = await stat(target.path).catch(() => undefined);
    if (info === undefined) return fail('OBJECT_NOT_FOUND', `no such file: ${target.path}`);
    if (!info.isFile()) return fail('OBJECT_NOT_FOUND', `not a regular file: ${target.path}`);
    storage = new DirectoryStorage(dirname(target.path), { bucketSubdirectories: false });
    bucket = LOCAL_BUCKET;
    key = basename(target.path);
    where = target.path;
    Object.assign(body, { fileSize: info.size, originalPath: target.path });
  } else {
    clients = createAwsClients(config.env ?? {});
    storage = new S3Storage(clients.s3);
    ({ bucket, key } = target);
    where = target.url;
  }
  Object.assign(body, { s3Bucket: bucket, s3Key: key });

  const pipeline = await openOneShotPipeline({ storage, config, dataDir: options.dataDir });
  try {
    const result = await pipeline.run(fakeMessage(`process-${Date.now()}`, JSON.stringify(body)));
    const event = result.events[0];
    if (result.outcome === 'done' && event?.outcome === 'done') {
      const doc = await pipeline.index.get(documentId(bucket, key));
      if (doc === null) return fail('INTERNAL', `${where} was processed but no document was indexed`);
      const { id, ...rest } = doc;
      io.out.write(`${JSON.stringify({ id, ...rest }, null, 2)}\n`);
      if (event.reused) io.err.write(`spot-ingest: ${reusedText(event.reused)}: not extracted again\n`);
      return 0;
    }
    if (result.error) return fail(result.error.code, result.error.message);
    if (event?.code === 'OBJECT_NOT_FOUND') return fail('OBJECT_NOT_FOUND', `${where} does not exist`);
    return fail(event?.code ?? result.outcome.toUpperCase(), `${where} ended ${result.outcome}`);
  } finally {
    await pipeline.close();
    clients?.destroy();
  }
}

export function registerProcess(program: Command): void {
  program
    .command('process')
    .description('run one file through the pipeline, one shot, and print its index document as JSON (an AWS Batch / ECS task command)')
    .argument('<target>', 's3://bucket/key (AWS credentials chain; AWS_ENDPOINT_URL_S3 honoured) or a local file path', parseTarget)
    .option('--data-dir <dir>', 'keep state, index and extractions in <dir>/spot-ingest.db, so a later copy of the same bytes is not extracted again')
    .addHelpText('after', `
State and index are a throw-away SQLite database (or <dir>/spot-ingest.db with --data-dir):
nothing is written to DynamoDB or OpenSearch. A file whose bytes were extracted before in that
database is indexed from that extraction ("reused from …" on stderr).
A local file is read from its directory and indexed as bucket "${LOCAL_BUCKET}", key = its file name,
original_path = its absolute path. INGEST_MAX_FILE_BYTES applies.

Exit status: 0 when the file was indexed (the document is on stdout); 1 otherwise, with
"spot-ingest: <ERROR_CODE>: <message>" on stderr (e.g. OBJECT_NOT_FOUND); 2 on bad usage.
`)
    .action(async (target: ProcessTarget, opts: { dataDir?: string }) => {
      process.exitCode = await processCommand(target, loadConfig(), undefined, { dataDir: opts.dataDir === undefined ? undefined : resolve(opts.dataDir) });
    });
}
