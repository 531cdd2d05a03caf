/**
 * Versioned indices behind an alias (docs/opensearch.md): `INGEST_OPENSEARCH_INDEX` names an
 * alias; the documents live in a concrete index `<alias>-v<N>` (N = 1, 2, … one per roll). Making
 * a new index (other vector dimensions, a new mapping version) never touches the old one until the
 * alias is swapped to the new one in one atomic `POST /_aliases`.
 *
 *   setup            creates `<alias>-v1` and the alias when nothing exists; else reports
 *   setup --roll     creates the next index with the current mapping, swaps the alias, keeps the old
 *   --reindex        …and copies the documents first (vectors of a changed dimension are left out
 *                    and their documents marked `embedding_pending` for `spot-ingest reembed`)
 *
 * A concrete index named like the alias (installs before versioning) is reported by plain setup
 * and migrated by `--roll`: copied into `<alias>-v1`, then removed and replaced by the alias in
 * the same atomic `_aliases` call.
 */
import { StartupError } from '../../core/errors.ts';
import { IMAGE_EMBEDDING_FIELD, indexBody, MAPPING_VERSION, TEXT_EMBEDDING_FIELD, type VectorDimensions } from './mapping.ts';
import type { AliasAction, IndexDescription, OpenSearchIndex } from './opensearch.ts';

/**
 * The painless script a copy runs when vector dimensions change: the old vectors are dropped (they
 * cannot go into a field of another dimension) and documents that should have a vector in a
 * changed field are marked `embedding_pending`. `params.drop`: fields to remove; `params.text` /
 * `params.image`: whether the text / image vector field changed to a (new) dimension — then a
 * document with content / an image document gets the mark. Kept to one statement per line so the
 * recorder (test/support) can run exactly this script and refuse any other.
 */
export const REINDEX_DIMENSION_SCRIPT = [
  'for (def field : params.drop) { ctx._source.remove(field); }',
  "if (params.text && ctx._source.content instanceof String && ctx._source.content.length() > 0) { ctx._source.embedding_pending = true; }",
  "if (params.image && ctx._source.content_type instanceof String && ctx._source.content_type.startsWith('image/')) { ctx._source.embedding_pending = true; }",
].join('\n');

export interface DimensionScriptParams {
  drop: string[];
  text: boolean;
  image: boolean;
}

/** Writes that reached the old index while it was copied are copied again if `indexed_at` is at most this much older than the copy's start. */
export const DEFAULT_CATCH_UP_MARGIN_MS = 5 * 60_000;

export type SetupOutcome =
  /** Nothing existed: `<alias>-v1` and the alias were created. */
  | 'created'
  /** The alias exists; nothing was changed. */
  | 'exists'
  /** A concrete index has the alias's name (an install from before versioning); nothing was changed. */
  | 'concrete-index'
  /** `--roll`: a new index, the alias moved to it; the old index is still there. */
  | 'rolled'
  /** `--roll` on a concrete index: its documents copied into a new index, it removed, the alias made. */
  | 'migrated';

export interface SetupReport {
  outcome: SetupOutcome;
  alias: string;
  /** The concrete index the name resolves to now. */
  index: string;
  /** `rolled`: the index the alias pointed at before; `migrated`: the concrete index that was replaced (now gone). */
  previous?: string;
  /** Vector dimensions and mapping version of `index`. */
  dims: VectorDimensions;
  mappingVersion: number | null;
  /** What the configuration wants. */
  wanted: VectorDimensions;
  /** Why the index does not fit the configuration (plain setup): the daemon refuses to start on these. */
  mismatches: string[];
  /** The index's mapping is older than MAPPING_VERSION: it works, but lacks what the newer mapping has. */
  outdated: boolean;
  /** `--reindex` (and migration): documents copied, and copied again after the swap (writes during the copy). */
  copied?: { total: number; caughtUp: number };
  /** Vector fields whose vectors were left out of the copy. */
  droppedVectors: string[];
  /** Whether copied documents were marked `embedding_pending` (vectors to be made by `spot-ingest reembed`). */
  markedPending: boolean;
  /** Indices from earlier, interrupted rolls that no alias points at (candidates for deletion). */
  strays: string[];
}

export interface SetupOptions {
  /** Vector dimensions of the configured models (null: that model is off). */
  wanted: VectorDimensions;
  /** Create the next index and move the alias to it. */
  roll?: boolean;
  /** With `roll`: copy the documents into the new index first. */
  reindex?: boolean;
  signal?: AbortSignal;
  /** Poll interval of the `_reindex` task (default 1000 ms). */
  pollIntervalMs?: number;
  catchUpMarginMs?: number;
  now?: () => number;
}

/** `<alias>-v<generation>` */
export function versionedIndexName(alias: string, generation: number): string {
  if (!Number.isInteger(generation) || generation < 1) throw new RangeError(`generation must be a positive integer, got ${generation}`);
  return `${alias}-v${generation}`;
}

/** The generation of `<alias>-v<N>`, or undefined for any other name. */
export function generationOf(alias: string, index: string): number | undefined {
  const prefix = `${alias}-v`;
  if (!index.startsWith(prefix)) return undefined;
  const rest = index.slice(prefix.length);
  return /^[1-9]\d{0,8}$/.test(rest) ? Number(rest) : undefined;
}

/** Why an index with `have` dimensions cannot serve models wanting `wanted` (the daemon's startup rule). */
export function dimensionMismatches(have: VectorDimensions, wanted: VectorDimensions): string[] {
  const problems: string[] = [];
  const check = (field: string, h: number | null, w: number | null): void => {
    if (w === null || h === w) return;
    problems.push(h === null ? `${field}: the index has no such field, the configured model makes ${w} dimensions` : `${field}: ${h} dimensions in the index, the configured model makes ${w}`);
  };
  check(TEXT_EMBEDDING_FIELD, have.text, wanted.text);
  check(IMAGE_EMBEDDING_FIELD, have.image, wanted.image);
  return problems;
}

/**
 * What a copy from an index with `from` dimensions into one with `to` must do: vectors of a
 * field whose dimension changed (or that is gone) are dropped; a field that changed to a
 * dimension marks the documents that should have such a vector `embedding_pending`. Null when
 * nothing changes (a plain copy).
 */
export function dimensionScriptParams(from: VectorDimensions, to: VectorDimensions): DimensionScriptParams | null {
  const drop: string[] = [];
  if (from.text !== null && from.text !== to.text) drop.push(TEXT_EMBEDDING_FIELD, 'text_embedding_truncated');
  if (from.image !== null && from.image !== to.image) drop.push(IMAGE_EMBEDDING_FIELD);
  const text = to.text !== null && from.text !== to.text;
  const image = to.image !== null && from.image !== to.image;
  return drop.length === 0 && !text && !image ? null : { drop, text, image };
}

function bodyFor(wanted: VectorDimensions): Record<string, unknown> {
  return indexBody({ textEmbeddingDims: wanted.text, imageEmbeddingDims: wanted.image });
}

function checkAliasName(alias: string): void {
  // OpenSearch index and alias names: lowercase, no `\ / * ? " < > | , #` or space, not starting with `-_+`.
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(alias) || alias.length > 200) {
    throw new StartupError(`INGEST_OPENSEARCH_INDEX "${alias}" is not a valid OpenSearch alias name (lowercase letters, digits, "-", "_", ".")`);
  }
}

/**
 * `spot-ingest setup` against OpenSearch: makes sure `os.index` is an alias of a concrete index
 * with the mapping the configuration wants (see the module comment), and says what it found or did.
 * Idempotent without `roll`: a second run changes nothing.
 */
export async function setupIndex(os: OpenSearchIndex, options: SetupOptions): Promise<SetupReport> {
  const alias = os.index;
  checkAliasName(alias);
  if (options.reindex && !options.roll) throw new StartupError('--reindex only goes with --roll');
  const signal = options.signal;
  const current = await os.describeIndex(signal ? { signal } : {});
  if (!current.exists) return createFirst(os, options);
  if (current.kind === 'alias' && current.indices.length !== 1) {
    throw new StartupError(
      `alias "${alias}" points at ${current.indices.length} indices (${current.indices.join(', ')}); spot-ingest writes through it and needs exactly one: ` +
        'fix it with POST /_aliases first',
    );
  }
  if (!options.roll) return describeExisting(os, current, options);
  return roll(os, current, options);
}

function baseReport(alias: string, index: string, described: Pick<IndexDescription, 'dims' | 'mappingVersion'>, wanted: VectorDimensions): SetupReport {
  return {
    outcome: 'exists',
    alias,
    index,
    dims: described.dims,
    mappingVersion: described.mappingVersion,
    wanted,
    mismatches: dimensionMismatches(described.dims, wanted),
    outdated: (described.mappingVersion ?? MAPPING_VERSION) < MAPPING_VERSION,
    droppedVectors: [],
    markedPending: false,
    strays: [],
  };
}

async function createFirst(os: OpenSearchIndex, options: SetupOptions): Promise<SetupReport> {
  const alias = os.index;
  const signal = options.signal;
  const opts = signal ? { signal } : {};
  const index = versionedIndexName(alias, 1);
  const body = bodyFor(options.wanted);
  const { created } = await os.createIndex(index, body, opts);
  if (!created) {
    // Left by an interrupted setup (or another instance running setup right now): use it if it fits.
    const existing = await os.describeIndex({ ...opts, name: index });
    const report = baseReport(alias, index, existing, options.wanted);
    await os.updateAliases([{ add: { index, alias } }], opts);
    return { ...report, outcome: 'created' };
  }
  await os.updateAliases([{ add: { index, alias } }], opts);
  return { ...baseReport(alias, index, { dims: options.wanted, mappingVersion: MAPPING_VERSION }, options.wanted), outcome: 'created' };
}

async function describeExisting(os: OpenSearchIndex, current: IndexDescription, options: SetupOptions): Promise<SetupReport> {
  const index = current.indices[0]!;
  const report = baseReport(os.index, index, current, options.wanted);
  const strays = current.kind === 'alias' ? await findStrays(os, index, options.signal) : [];
  return { ...report, outcome: current.kind === 'index' ? 'concrete-index' : 'exists', strays };
}

/** Generations after the current one that exist without the alias (interrupted rolls). */
async function findStrays(os: OpenSearchIndex, currentIndex: string, signal: AbortSignal | undefined): Promise<string[]> {
  const generation = generationOf(os.index, currentIndex);
  if (generation === undefined) return [];
  const strays: string[] = [];
  for (let g = generation + 1; g <= generation + 20; g++) {
    const name = versionedIndexName(os.index, g);
    if (!(await os.indexExists(name, signal ? { signal } : {}))) break;
    strays.push(name);
  }
  return strays;
}

async function roll(os: OpenSearchIndex, current: IndexDescription, options: SetupOptions): Promise<SetupReport> {
  const alias = os.index;
  const signal = options.signal;
  const opts = signal ? { signal } : {};
  const now = options.now ?? Date.now;
  const migrating = current.kind === 'index';
  const from = current.indices[0]!;

  // The next free generation; earlier interrupted rolls' leftovers are skipped (and reported).
  const strays: string[] = [];
  let generation = migrating ? 1 : (generationOf(alias, from) ?? 0) + 1;
  let next = versionedIndexName(alias, generation);
  while (next === from || (await os.indexExists(next, opts))) {
    if (next !== from) strays.push(next);
    if (strays.length > 100) throw new StartupError(`more than 100 indices named ${alias}-v<N> exist after ${from}: delete the unused ones`);
    next = versionedIndexName(alias, ++generation);
  }
  const { created } = await os.createIndex(next, bodyFor(options.wanted), opts);
  if (!created) throw new StartupError(`index "${next}" appeared while setup was creating it: is another "setup --roll" running?`);

  const report: SetupReport = {
    ...baseReport(alias, next, { dims: options.wanted, mappingVersion: MAPPING_VERSION }, options.wanted),
    outcome: migrating ? 'migrated' : 'rolled',
    previous: from,
    mismatches: [],
    strays,
  };
  // A concrete index is removed in the swap: its documents must be copied, --reindex or not.
  const copy = options.reindex === true || migrating;
  const params = dimensionScriptParams(current.dims, options.wanted);
  const script = params === null ? undefined : { lang: 'painless' as const, source: REINDEX_DIMENSION_SCRIPT, params: { ...params } };
  const reindexOptions = {
    ...opts,
    ...(script ? { script } : {}),
    ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
  };
  const margin = options.catchUpMarginMs ?? DEFAULT_CATCH_UP_MARGIN_MS;
  const copyFailed = (err: unknown): never => {
    const reason = err instanceof Error ? err.message : String(err);
    throw new StartupError(
      `copying ${from} into ${next} failed: ${reason}. The alias was not changed; delete the new index (DELETE /${next}) and try again. ` +
        'OpenSearch Serverless has no _reindex: roll without --reindex there and send the files again.',
      { cause: err },
    );
  };

  let caughtUp = 0;
  let copied = 0;
  let since = 0;
  if (copy) {
    since = now() - margin;
    copied = (await os.reindex({ ...reindexOptions, source: from, dest: next }).catch(copyFailed)).total;
    if (migrating) {
      // The old index goes away in the swap: catch up with what the daemons wrote meanwhile first.
      caughtUp = (await os.reindex({ ...reindexOptions, source: from, dest: next, query: sinceQuery(since) }).catch(copyFailed)).total;
    }
    await os.refresh({ ...opts, name: next });
  }

  const actions: AliasAction[] = migrating
    ? [{ add: { index: next, alias } }, { remove_index: { index: from } }]
    : [{ remove: { index: from, alias } }, { add: { index: next, alias } }];
  await os.updateAliases(actions, opts);

  if (copy && !migrating) {
    // Writes that reached the old index during the copy (before the swap) are copied again.
    try {
      caughtUp = (await os.reindex({ ...reindexOptions, source: from, dest: next, query: sinceQuery(since) })).total;
      await os.refresh({ ...opts, name: next });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new StartupError(
        `the alias "${alias}" now points at "${next}" with the copied documents, but copying what was written to "${from}" during the copy failed: ${reason}. ` +
          `Files changed in the last minutes may need to be sent again; "${from}" is kept.`,
        { cause: err },
      );
    }
  }
  if (copy) {
    report.copied = { total: copied, caughtUp };
    report.droppedVectors = params?.drop.filter((f) => f === TEXT_EMBEDDING_FIELD || f === IMAGE_EMBEDDING_FIELD) ?? [];
    report.markedPending = params !== null && (params.text || params.image);
  }
  return report;
}

function sinceQuery(sinceMs: number): Record<string, unknown> {
  return { range: { indexed_at: { gte: new Date(sinceMs).toISOString() } } };
}

function dims(value: number | null): string {
  return value === null ? 'none' : `${value} dimensions`;
}

/**
 * The report as the lines `setup` prints. `endpoint` (credential-free) is used in the hint how to
 * delete an old index.
 */
export function formatSetupReport(report: SetupReport, endpoint: string): string[] {
  const lines: string[] = [];
  const target = `alias "${report.alias}" → index "${report.index}"`;
  switch (report.outcome) {
    case 'created':
      lines.push(`created ${target}`);
      break;
    case 'exists':
      lines.push(`${target} (unchanged)`);
      break;
    case 'concrete-index':
      lines.push(`"${report.alias}" is a concrete index, not an alias (an install from before versioned indices); unchanged`);
      lines.push(`  "spot-ingest setup --roll" moves its documents into "${report.alias}-v1" and replaces it with the alias`);
      break;
    case 'rolled':
      lines.push(`rolled ${target} (was "${report.previous}")`);
      break;
    case 'migrated':
      lines.push(`migrated the concrete index "${report.previous}" to ${target}; "${report.previous}" was removed in the same step`);
      break;
  }
  lines.push(`  mapping version ${report.mappingVersion ?? '?'}${report.outdated ? ` (current: ${MAPPING_VERSION})` : ''}`);
  lines.push(`  ${TEXT_EMBEDDING_FIELD}: ${dims(report.dims.text)}   (configured: ${dims(report.wanted.text)})`);
  lines.push(`  ${IMAGE_EMBEDDING_FIELD}: ${dims(report.dims.image)}   (configured: ${dims(report.wanted.image)})`);
  if (report.copied) {
    lines.push(`  copied ${report.copied.total} documents (and ${report.copied.caughtUp} recent ones once more, for writes during the copy)`);
    if (report.droppedVectors.length > 0) lines.push(`  left out the vectors of ${report.droppedVectors.join(', ')} (another dimension)`);
    if (report.markedPending) lines.push('  documents that need new vectors are marked embedding_pending: run "spot-ingest reembed" to make them');
  } else if (report.outcome === 'rolled') {
    lines.push('  the new index is empty (no --reindex): documents appear again as their files are sent again');
  }
  for (const problem of report.mismatches) lines.push(`  does not fit the configuration: ${problem}`);
  if (report.mismatches.length > 0) {
    lines.push('  the daemon refuses to start like this: "spot-ingest setup --roll --reindex" makes a new index for the configured models');
  } else if (report.outdated) {
    lines.push(`  the mapping is older than this version's (${MAPPING_VERSION}): "spot-ingest setup --roll --reindex" moves the documents to a new index`);
  }
  if (report.outcome === 'rolled' && report.previous !== undefined) {
    lines.push(`  "${report.previous}" is kept (the alias no longer points at it); delete it once you are satisfied:`);
    lines.push(`    curl -X DELETE "${endpoint}/${report.previous}"`);
  }
  for (const stray of report.strays) {
    lines.push(`  "${stray}" exists but the alias does not point at it (an interrupted roll?): delete it with curl -X DELETE "${endpoint}/${stray}"`);
  }
  return lines;
}
