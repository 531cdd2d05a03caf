import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { enqueueFiles } from './enqueue-files.ts';

export const SAMPLES_DIR = fileURLToPath(new URL('../../samples/', import.meta.url));

/** The bundled samples' file names (hidden files aside), sorted. */
export async function sampleNames(): Promise<string[]> {
  return (await readdir(SAMPLES_DIR)).filter((n) => !n.startsWith('.')).sort();
}

/**
 * On the first start of a data dir, upload the bundled samples and send one native
 * FILE_UPLOADED message each, so `npm start` shows real processing at once. Returns how many.
 */
export async function seedSamples(o: { dataDir: string; sqs: SQSClient; s3: S3Client; queueUrl: string; bucket: string }): Promise<number> {
  const marker = join(o.dataDir, '.samples-seeded');
  if (existsSync(marker)) return 0;
  const names = await sampleNames();
  const sent = await enqueueFiles({
    s3: o.s3, sqs: o.sqs, bucket: o.bucket, queueUrl: o.queueUrl,
    files: names.map((name) => ({ path: join(SAMPLES_DIR, name), key: `samples/${name}`, originalPath: join('samples', name) })),
  });
  await writeFile(marker, `${new Date().toISOString()}\n`);
  return sent.length;
}
