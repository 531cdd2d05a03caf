/**
 * `spot-ingest doctor`: checks each configured dependency and prints a pass/fail table with the
 * fix for each failure. Exit 0 when everything passes, 1 otherwise.
 */
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import sharp from 'sharp';
import { DatabaseSync } from 'node:sqlite';
import { createAwsClients } from '../adapters/aws/clients.ts';
import { OpenSearchIndex } from '../adapters/index/opensearch.ts';
import { createOpenSearchIndex } from '../adapters/index/create-opensearch.ts';
import { loadConfig, type Config } from '../config.ts';
import { readRedrivePolicy } from '../consumer/dlq-discovery.ts';
import { DEFAULT_MAX_RECEIVES } from '../consumer/settler.ts';
import { classifyError } from '../core/classify.ts';
import { effectiveImdsMode } from '../spot/create-watcher.ts';
import { OcrEngine } from '../pool/ocr-engine.ts';
import { findLanguageFiles, OCR_MODEL, parseLangs, prepareLanguageDir } from '../pool/ocr-languages.ts';
import { DEFAULT_IMDS_ENDPOINT, ImdsClient } from '../spot/imds-client.ts';
import { bedrockCheck } from './doctor-bedrock.ts';
import { configuredModels } from '../adapters/embedder/configured-models.ts';
import { checkIndexDimensions } from '../adapters/embedder/index-dimensions.ts';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

type Check = { name: string; run: () => Promise<{ detail: string }>; fix: string };

function describe(err: unknown): string {
  const e = classifyError(err);
  return `${e.code}: ${e.message}`;
}

export function doctorChecks(config: Config): { checks: Check[]; close: () => void } {
  const checks: Check[] = [
    {
      name: 'data directory',
      fix: `create it and make it writable by this user, or set INGEST_DATA_DIR (systemd: StateDirectory=spot-ingest)`,
      run: async () => {
        mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
        accessSync(config.dataDir, constants.W_OK);
        return { detail: `${config.dataDir} is writable` };
      },
    },
    {
      name: 'SQLite full-text search',
      fix: 'use the Node 24 the project pins (node_modules/.bin/node): its SQLite has FTS5 with the trigram tokenizer',
      run: async () => {
        const db = new DatabaseSync(':memory:');
        try {
          db.exec("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='trigram')");
          return { detail: `FTS5 trigram available (Node ${process.versions.node})` };
        } finally {
          db.close();
        }
      },
    },
    {
      name: 'OCR language data',
      fix: `install the data package of each INGEST_OCR_LANGS language (npm install @tesseract.js-data/<lang>), or change INGEST_OCR_LANGS`,
      run: async () => {
        const langs = parseLangs(config.ocrLangs);
        const files = findLanguageFiles(langs);
        const missing = files.filter((f) => f.path === null || !existsSync(f.path)).map((f) => `@tesseract.js-data/${f.lang}`);
        if (missing.length > 0) throw new Error(`missing ${missing.join(', ')}`);
        const extra = files.filter((f) => !langs.includes(f.lang)).map((f) => (f.lang === 'osd' ? 'osd (orientation)' : f.lang === 'jpn_vert' ? 'jpn_vert (vertical Japanese)' : f.lang));
        return { detail: `${langs.join('+')} (${OCR_MODEL}) with ${extra.join(' and ')} installed; no download at run time` };
      },
    },
    {
      name: 'OCR engine',
      fix: 'reinstall dependencies (npm ci): tesseract.js and its wasm core come from node_modules',
      run: async () => {
        const langs = parseLangs(config.ocrLangs);
        const langPath = await prepareLanguageDir(langs, config.dataDir);
        const engine = new OcrEngine({ langs, langPath, startTimeoutMs: 30_000 });
        const osd = new OcrEngine({ langs: [], langPath, osd: true, startTimeoutMs: 30_000 });
        try {
          const started = performance.now();
          const blank = await sharp({ create: { width: 64, height: 32, channels: 3, background: '#ffffff' } }).greyscale().withDensity(300).png().toBuffer();
          await engine.recognize(blank);
          const read = performance.now();
          await osd.detect(blank);
          return { detail: `tesseract.js started and read a test image in ${Math.round(read - started)} ms; orientation detection (legacy core, osd) started in ${Math.round(performance.now() - read)} ms` };
        } finally {
          await Promise.all([engine.close(), osd.close()]);
        }
      },
    },
  ];
  if (effectiveImdsMode(config) !== 'off') {
    const endpoint = config.imdsEndpoint ?? DEFAULT_IMDS_ENDPOINT;
    checks.push({
      name: 'instance metadata (IMDSv2)',
      fix: 'on EC2: allow IMDSv2 (HttpTokens required is fine) with a hop limit of 1+, or set INGEST_IMDS=off to run without the spot watcher',
      run: async () => {
        const client = new ImdsClient({ endpoint });
        const reachable = await client.probe(AbortSignal.timeout(2_000)).finally(() => client.close());
        if (reachable) return { detail: `${endpoint} answers: the spot watcher will run` };
        if (config.imds === 'auto') return { detail: `${endpoint} does not answer: not on EC2, the spot watcher stays off (INGEST_IMDS=auto)` };
        throw new Error(`${endpoint} does not answer, but INGEST_IMDS=on`);
      },
    });
  }
  checks.push(bedrockCheck(config));
  if (config.localMode) {
    checks.push({
      name: 'mode',
      fix: '',
      run: async () => ({ detail: 'local mode (INGEST_QUEUE_URL unset): the embedded stack needs nothing else' }),
    });
    return { checks, close: () => undefined };
  }
  const clients = createAwsClients(config.env);
  const queueUrl = config.queueUrl!;
  checks.push({
    name: 'queue',
    fix: 'check INGEST_QUEUE_URL, AWS_REGION and the IAM policy (sqs:ReceiveMessage, DeleteMessage, ChangeMessageVisibility, GetQueueAttributes)',
    run: async () => {
      const out = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'VisibilityTimeout'] }));
      return { detail: `${queueUrl} reachable; ${out.Attributes?.ApproximateNumberOfMessages ?? '?'} messages waiting` };
    },
  });
  checks.push({
    name: 'dead-letter queue',
    fix: 'give the queue a RedrivePolicy (or set INGEST_DLQ_URL); without a DLQ, messages that cannot be processed are retried forever',
    run: async () => {
      const policy = await readRedrivePolicy(clients.sqs, queueUrl);
      const dlq = config.dlqUrl ?? policy.dlqUrl;
      if (dlq === undefined) throw new Error('none configured and the queue has no RedrivePolicy');
      await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ['ApproximateNumberOfMessages'] }));
      const receives = policy.maxReceiveCount === undefined
        ? `no RedrivePolicy: transient failures are dead-lettered after ${DEFAULT_MAX_RECEIVES} receives`
        : `transient failures are dead-lettered on receive ${policy.maxReceiveCount} (maxReceiveCount), by the daemon, with their reason`;
      return { detail: `${dlq}${config.dlqUrl ? '' : ' (from the RedrivePolicy)'}; ${receives}` };
    },
  });
  if (config.stateTable !== undefined) {
    const table = config.stateTable;
    checks.push({
      name: 'state table',
      fix: `create the table (partition key "pk", string) in your infrastructure code, or for development: spot-ingest setup --create-table`,
      run: async () => {
        const out = await clients.dynamodb.send(new DescribeTableCommand({ TableName: table }));
        const key = out.Table?.KeySchema?.map((k) => k.AttributeName).join(',');
        if (key !== 'pk') throw new Error(`table ${table} has key "${key}", expected "pk"`);
        return { detail: `${table} is ${out.Table?.TableStatus}` };
      },
    });
  } else {
    checks.push({ name: 'state table', fix: 'set INGEST_STATE_TABLE', run: async () => { throw new Error('INGEST_STATE_TABLE is not set'); } });
  }
  let index: OpenSearchIndex | undefined;
  if (config.openSearchUrl !== undefined) {
    index = createOpenSearchIndex(config);
    const os = index;
    checks.push({
      name: 'OpenSearch index',
      fix: 'run "spot-ingest setup" to create the index with its mapping (a dimension mismatch: "spot-ingest setup --roll --reindex", then "spot-ingest reembed"); check INGEST_OPENSEARCH_URL and network access',
      run: async () => {
        const d = await os.describeIndex();
        if (!d.exists) throw new Error(`index "${config.openSearchIndex}" does not exist`);
        checkIndexDimensions(config.openSearchIndex, d.dims, configuredModels(config));
        const target = d.kind === 'alias' ? `alias → ${d.indices.join(', ')}` : `a concrete index (run "spot-ingest setup --roll" to put it behind an alias)`;
        return { detail: `"${config.openSearchIndex}" is ${target}; vectors: text ${d.dims.text ?? 'none'}, image ${d.dims.image ?? 'none'}` };
      },
    });
  } else {
    checks.push({ name: 'OpenSearch index', fix: 'set INGEST_OPENSEARCH_URL', run: async () => { throw new Error('INGEST_OPENSEARCH_URL is not set'); } });
  }
  if (config.thumbnailBucket !== undefined) {
    const bucket = config.thumbnailBucket;
    checks.push({
      name: 'thumbnail bucket',
      fix: 'check INGEST_THUMBNAIL_BUCKET and s3:PutObject on its prefix',
      run: async () => {
        await clients.s3.send(new HeadBucketCommand({ Bucket: bucket }));
        return { detail: `${bucket} reachable` };
      },
    });
  }
  return {
    checks,
    close: () => {
      void index?.close({ timeoutMs: 1_000 });
      clients.destroy();
    },
  };
}

export async function runChecks(checks: Check[], timeoutMs = 10_000): Promise<CheckResult[]> {
  return Promise.all(
    checks.map(async (c) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const { detail } = await Promise.race([
          c.run(),
          new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs))),
        ]);
        return { name: c.name, ok: true, detail };
      } catch (err) {
        return { name: c.name, ok: false, detail: err instanceof Error && !('$metadata' in err) ? err.message : describe(err), fix: c.fix };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}

export function formatResults(results: CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines = results.map((r) => {
    const head = `${r.ok ? 'PASS' : 'FAIL'}  ${r.name.padEnd(width)}  ${r.detail}`;
    return r.ok || !r.fix ? head : `${head}\n      ${' '.repeat(width)}  fix: ${r.fix}`;
  });
  const failed = results.filter((r) => !r.ok).length;
  lines.push('', failed === 0 ? `all ${results.length} checks passed` : `${failed} of ${results.length} checks failed`);
  return `${lines.join('\n')}\n`;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check each configured dependency (queue, DLQ, table, OpenSearch index and vector dimensions, Bedrock models, buckets, data dir, OCR data) and say how to fix failures')
    .option('--json', 'print the results as JSON')
    .action(async (options: { json?: boolean }) => {
      const { checks, close } = doctorChecks(loadConfig());
      try {
        const results = await runChecks(checks);
        process.stdout.write(options.json ? `${JSON.stringify(results, null, 2)}\n` : formatResults(results));
        process.exitCode = results.every((r) => r.ok) ? 0 : 1;
      } finally {
        close();
      }
    });
}
