import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SAMPLES_DIR = fileURLToPath(new URL('../../samples/', import.meta.url));

/**
 * On the first start of a data dir, upload the bundled samples and send one native
 * FILE_UPLOADED message each, so `npm start` shows real processing at once. Returns how many.
 */
export async function seedSamples(o: { dataDir: string; sqs: SQSClient; s3: S3Client; queueUrl: string; bucket: string }): Promise<number> {
  const marker = join(o.dataDir, '.samples-seeded');
  if (existsSync(marker)) return 0;
  const names = (await readdir(SAMPLES_DIR)).filter((n) => !n.startsWith('.')).sort();
  const entries = [];
  for (const name of names) {
    const body = await readFile(join(SAMPLES_DIR, name));
    const key = `samples/${name}`;
    await o.s3.send(new PutObjectCommand({ Bucket: o.bucket, Key: key, Body: body }));
    entries.push({
      Id: String(entries.length),
      MessageBody: JSON.stringify({
        eventType: 'FILE_UPLOADED', s3Bucket: o.bucket, s3Key: key, fileSize: body.length,
        originalPath: join('samples', name), timestamp: new Date().toISOString(),
      }),
    });
  }
  for (let i = 0; i < entries.length; i += 10) {
    await o.sqs.send(new SendMessageBatchCommand({ QueueUrl: o.queueUrl, Entries: entries.slice(i, i + 10) }));
  }
  await writeFile(marker, `${new Date().toISOString()}\n`);
  return entries.length;
}
