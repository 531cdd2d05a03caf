/**
 * `spot-ingest setup` (docs/design.md §3, docs/opensearch.md): makes the OpenSearch alias
 * INGEST_OPENSEARCH_INDEX point at a versioned index whose vector fields fit the configured
 * embedding models, and says what it found; `--roll [--reindex]` moves it to a new index;
 * `--create-table` also creates the DynamoDB state table for development.
 * Exit codes: 0 ready, 1 the index does not fit the configuration (or a dependency failed), 2 usage.
 */
import type { Command } from 'commander';
import { createAwsClients } from '../adapters/aws/clients.ts';
import { configuredModels } from '../adapters/embedder/configured-models.ts';
import { createOpenSearchIndex } from '../adapters/index/create-opensearch.ts';
import { formatSetupReport, setupIndex } from '../adapters/index/index-versions.ts';
import { indexBody } from '../adapters/index/mapping.ts';
import type { OpenSearchIndex } from '../adapters/index/opensearch.ts';
import { createStateTable } from '../adapters/state/create-table.ts';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { isIngestError, StartupError } from '../core/errors.ts';

export interface SetupCommandOptions {
  createTable?: boolean;
  roll?: boolean;
  reindex?: boolean;
  /** Print the index body (settings + mapping) for the configured models and do nothing else. */
  printMapping?: boolean;
}

export interface SetupDeps {
  /** The adapter to use (tests); default createOpenSearchIndex(config), which signs for AWS endpoints. */
  index?: OpenSearchIndex;
  /** Poll interval of a `_reindex` task. */
  pollIntervalMs?: number;
  signal?: AbortSignal;
}

/** Runs `setup` and returns its exit code; what it did goes to `out`. */
export async function setupCommand(
  config: Config,
  options: SetupCommandOptions,
  out: NodeJS.WritableStream = process.stdout,
  deps: SetupDeps = {},
): Promise<number> {
  const models = configuredModels(config);
  const wanted = { text: models.text?.dimensions ?? null, image: models.image?.dimensions ?? null };
  if (options.printMapping) {
    out.write(`${JSON.stringify(indexBody({ textEmbeddingDims: wanted.text, imageEmbeddingDims: wanted.image }), null, 2)}\n`);
    return 0;
  }
  if (options.reindex && !options.roll) throw new ConfigError('setup: --reindex goes with --roll (it copies the documents into the new index)');
  if (config.openSearchUrl === undefined) throw new ConfigError('INGEST_OPENSEARCH_URL: required by setup');

  let exitCode = 0;
  const index = deps.index ?? createOpenSearchIndex(config);
  try {
    const report = await setupIndex(index, {
      wanted,
      ...(options.roll ? { roll: true } : {}),
      ...(options.reindex ? { reindex: true } : {}),
      ...(deps.pollIntervalMs !== undefined ? { pollIntervalMs: deps.pollIntervalMs } : {}),
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
    out.write(`${formatSetupReport(report, index.endpoint).join('\n')}\n`);
    if (report.mismatches.length > 0) exitCode = 1;
  } catch (err) {
    if (isIngestError(err)) throw new StartupError(`setup: ${err.code}: ${err.message}`, { cause: err });
    throw err;
  } finally {
    if (deps.index === undefined) await index.close();
  }

  if (options.createTable) {
    if (config.stateTable === undefined) throw new ConfigError('INGEST_STATE_TABLE: required by setup --create-table');
    const clients = createAwsClients(config.env);
    try {
      await createStateTable(clients.dynamodb, config.stateTable);
      out.write(`table "${config.stateTable}" is ready\n`);
    } finally {
      clients.destroy();
    }
  }
  return exitCode;
}

export function registerSetup(program: Command): void {
  program
    .command('setup')
    .description('create the OpenSearch index behind the INGEST_OPENSEARCH_INDEX alias, or report it (and, with --create-table, the DynamoDB state table for development)')
    .option('--roll', 'create the next index with the current mapping and move the alias to it (the old index is kept)')
    .option('--reindex', 'with --roll: copy the documents into the new index first (vectors of another dimension are left out and marked for "spot-ingest reembed")')
    .option('--print-mapping', 'print the index settings and mapping for the configured models, and do nothing else')
    .option('--create-table', 'also create the DynamoDB table named by INGEST_STATE_TABLE')
    .action(async (options: { roll?: boolean; reindex?: boolean; printMapping?: boolean; createTable?: boolean }) => {
      const controller = new AbortController();
      const onSignal = (): void => controller.abort(new StartupError('interrupted (a running copy task goes on in OpenSearch: GET /_tasks?actions=*reindex)'));
      process.once('SIGINT', onSignal);
      try {
        process.exitCode = await setupCommand(loadConfig(), options, process.stdout, { signal: controller.signal });
      } finally {
        process.off('SIGINT', onSignal);
      }
    });
}
