import { existsSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig } from '../config.ts';
import type { Config } from '../config.ts';
import { createOpenSearchIndex } from '../adapters/index/create-opensearch.ts';
import type { IndexPort } from '../pipeline/ports/index.ts';
import type { SearchHit } from '../core/index-document.ts';
import { SqliteIndex } from '../adapters/index/sqlite.ts';
import { StartupError } from '../core/errors.ts';
import { localDatabasePath } from '../runtime/local.ts';
import { createEmbeddings } from '../runtime/embeddings.ts';
import { queryVectors } from './query-vectors.ts';

/**
 * `spot-ingest search`: OpenSearch when INGEST_OPENSEARCH_URL is set, else the local index. With
 * embeddings on, hybrid: the text match fused with k-NN on the query's embedding(s).
 */
export async function searchCommand(
  config: Config, query: string, options: { limit: number; json: boolean }, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  let index: IndexPort;
  let where: string;
  if (config.openSearchUrl !== undefined) {
    index = createOpenSearchIndex(config);
    where = `OpenSearch index "${config.openSearchIndex}"`;
  } else {
    const path = localDatabasePath(config.dataDir);
    if (!existsSync(path)) throw new StartupError(`no local index at ${path} yet: run "npm start" (local mode) first, or set INGEST_OPENSEARCH_URL`);
    index = new SqliteIndex(path);
    where = path;
  }
  const embeddings = await createEmbeddings(config, { probe: false }).catch(async (e: unknown) => {
    await index.close();
    throw e;
  });
  try {
    const { vectors, note } = await queryVectors(embeddings.service, query);
    if (note) err.write(`spot-ingest: ${note}\n`);
    const hits = await index.search(query, { size: options.limit, vectors });
    if (options.json) out.write(`${JSON.stringify(hits, null, 2)}\n`);
    else out.write(formatHits(query, hits, where));
    return 0;
  } finally {
    await index.close();
    await embeddings.close();
  }
}

export function formatHits(query: string, hits: SearchHit[], where: string): string {
  if (hits.length === 0) return `no documents match "${query}" in ${where}\n`;
  const lines = [`${hits.length} document${hits.length === 1 ? ' matches' : 's match'} "${query}" in ${where}:`, ''];
  hits.forEach((hit, i) => {
    lines.push(`${String(i + 1).padStart(2)}. ${hit.file_name}   score ${hit.score.toPrecision(3)} · ${hit.text_source}`);
    lines.push(`    s3://${hit.bucket}/${hit.key}${hit.original_path ? `  (${hit.original_path})` : ''}`);
    const snippet = hit.snippet.replace(/\s+/g, ' ').trim();
    if (snippet) lines.push(`    ${snippet}`);
    lines.push('');
  });
  return `${lines.join('\n')}`;
}

export function registerSearch(program: Command): void {
  program
    .command('search')
    .description('search the index: OpenSearch when INGEST_OPENSEARCH_URL is set, else the local-mode index; hybrid (text + k-NN) when embeddings are on')
    .argument('<query>', 'words to find (Japanese works: the local index uses trigrams, OpenSearch kuromoji)')
    .option('-n, --limit <n>', 'how many hits', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('must be a whole number from 1 to 1000');
      return n;
    }, 10)
    .option('--json', 'print the hits as JSON')
    .action(async (query: string, options: { limit: number; json?: boolean }) => {
      process.exitCode = await searchCommand(loadConfig(), query, { limit: options.limit, json: options.json === true });
    });
}
