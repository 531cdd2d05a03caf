/**
 * IndexPort on SQLite (local mode, docs/design.md §6 and §8).
 *
 * `documents` holds one row per document (keyed by `id`): the searchable fields as columns and the
 * rest of the document as JSON in `doc` (the text is kept once, in `content`). `documents_fts` is
 * an external-content FTS5 table over `file_name`, `original_path` and `content` with the trigram
 * tokenizer, kept in step by triggers, so one statement replaces or removes a document and its
 * index entries together. Trigrams need no morphological analyser, so Japanese works: any query
 * term of 3+ characters matches as a case-insensitive substring.
 *
 * Search: the query is split on white space; every term must occur (AND). Terms of 3+ characters go
 * to FTS5 MATCH (ranked by bm25, file name weighted double); terms of 1–2 characters, which a
 * trigram index cannot look up, become `LIKE '%term%'` filters (ASCII case-insensitive). A query of
 * short terms only scans `documents` and ranks by occurrence count. Snippets mark matches with
 * « and ».
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { permanent } from '../../core/errors.ts';
import { resolveDatabase, type DatabaseSource, type OpenDatabaseOptions } from '../sqlite/open.ts';
import { ensureSchema } from '../sqlite/schema.ts';
import { mapSqliteError } from '../sqlite/transaction.ts';
import type { IndexDocument, IndexOptions, PendingPage, SearchHit, SearchOptions, TextSource } from '../../core/index-document.ts';
import { reciprocalRankFusion } from './rrf.ts';

export interface SqliteIndexOptions {
  /** Close the connection on close(). Defaults to true when given a path, false for a DatabaseSync. */
  ownsDatabase?: boolean;
  /** Used when opening a path. */
  open?: OpenDatabaseOptions;
}

export const HIGHLIGHT_OPEN = '«';
export const HIGHLIGHT_CLOSE = '»';
export const ELLIPSIS = '…';
export const DEFAULT_SEARCH_SIZE = 10;
export const MAX_SEARCH_SIZE = 1_000;
/** Shortest term the trigram index can look up (in characters). */
export const MIN_TRIGRAM_CHARS = 3;
/** Tokens (≈ characters with the trigram tokenizer) of an FTS5 snippet; 64 is FTS5's maximum. */
const SNIPPET_TOKENS = 64;
/** Characters of a snippet built outside FTS5 (short-term queries), as OpenSearch's fragment size. */
const SNIPPET_CHARS = 160;
/** bm25 column weights: file_name, original_path, content. */
const BM25 = `bm25(documents_fts, 2.0, 1.0, 1.0)`;

const TEXT_SOURCES: readonly TextSource[] = ['text-layer', 'ocr', 'mixed', 'none'];

type Row = Record<string, unknown>;

interface ParsedQuery {
  /** Terms of 3+ characters (FTS5 MATCH). */
  long: string[];
  /** Terms of 1–2 characters (LIKE). */
  short: string[];
}

export class SqliteIndex {
  readonly db: DatabaseSync;
  private readonly ownsDatabase: boolean;
  private readonly upsertStmt: StatementSync;
  private readonly deleteStmt: StatementSync;
  private readonly getStmt: StatementSync;
  private readonly countStmt: StatementSync;
  private closed = false;

  constructor(database: DatabaseSource, options: SqliteIndexOptions = {}) {
    const { db, owns } = resolveDatabase(database, options.ownsDatabase, options.open);
    this.db = db;
    this.ownsDatabase = owns;
    try {
      ensureSchema(db);
      this.upsertStmt = db.prepare(`
        INSERT INTO documents (id, bucket, "key", file_name, original_path, text_source, indexed_at, content, doc)
        VALUES (:id, :bucket, :key, :file_name, :original_path, :text_source, :indexed_at, :content, :doc)
        ON CONFLICT (id) DO UPDATE SET
          bucket = excluded.bucket, "key" = excluded."key", file_name = excluded.file_name,
          original_path = excluded.original_path, text_source = excluded.text_source,
          indexed_at = excluded.indexed_at, content = excluded.content, doc = excluded.doc`);
      this.deleteStmt = db.prepare('DELETE FROM documents WHERE id = ?');
      this.getStmt = db.prepare('SELECT id, content, doc FROM documents WHERE id = ?');
      this.countStmt = db.prepare('SELECT count(*) AS n FROM documents');
    } catch (err) {
      if (owns) db.close();
      throw err;
    }
  }

  async upsert(doc: IndexDocument, options?: IndexOptions): Promise<void> {
    this.check(options);
    if (typeof doc.id !== 'string' || doc.id === '') {
      throw permanent('INDEX_DOCUMENT_INVALID', 'document id is required', undefined, { key: doc.key });
    }
    const { content, id, ...rest } = doc;
    try {
      this.upsertStmt.run({
        id,
        bucket: doc.bucket,
        key: doc.key,
        file_name: doc.file_name,
        original_path: doc.original_path ?? null,
        text_source: doc.text_source,
        indexed_at: doc.indexed_at,
        content: content ?? '',
        doc: JSON.stringify(rest),
      });
    } catch (err) {
      throw mapSqliteError(err, `index of ${doc.bucket}/${doc.key}`, { id });
    }
  }

  async delete(id: string, options?: IndexOptions): Promise<void> {
    this.check(options);
    try {
      this.deleteStmt.run(id);
    } catch (err) {
      throw mapSqliteError(err, `delete of document ${id}`, { id });
    }
  }

  async get(id: string, options?: IndexOptions): Promise<IndexDocument | null> {
    this.check(options);
    let row: Row | undefined;
    try {
      row = this.getStmt.get(id) as Row | undefined;
    } catch (err) {
      throw mapSqliteError(err, `get of document ${id}`, { id });
    }
    if (row === undefined) return null;
    return this.toDocument(row);
  }

  private toDocument(row: Row): IndexDocument {
    const rest = JSON.parse(String(row['doc'])) as Omit<IndexDocument, 'id' | 'content'>;
    return { ...rest, id: String(row['id']), content: String(row['content'] ?? '') };
  }

  /**
   * Text search; with query vectors, hybrid: each vector ranks the documents that have that
   * embedding by cosine similarity (an exact scan — a laptop's index is small), and the rankings
   * are fused with the text ranking by reciprocal rank fusion, as the OpenSearch adapter does.
   */
  async search(query: string, options: SearchOptions = {}): Promise<SearchHit[]> {
    this.check(options);
    const size = Math.min(MAX_SEARCH_SIZE, Math.floor(options.size ?? DEFAULT_SEARCH_SIZE));
    const parsed = parseQuery(query);
    if (!(size > 0) || (parsed.long.length === 0 && parsed.short.length === 0)) return [];
    try {
      const text = parsed.long.length > 0 ? this.searchFts(parsed, size) : this.searchLike(parsed.short, size);
      const rankings = [text];
      const terms = [...parsed.long, ...parsed.short];
      for (const [field, vector] of [['text_embedding', options.vectors?.text], ['image_embedding', options.vectors?.image]] as const) {
        if (vector) rankings.push(this.searchVector(field, vector, size, terms));
      }
      return rankings.length === 1 ? text : reciprocalRankFusion(rankings, { size });
    } catch (err) {
      throw mapSqliteError(err, 'search', { query });
    }
  }

  /** Documents marked embedding_pending, in insertion order; `after` is the last row's position. */
  async listPendingEmbeddings(options: IndexOptions & { size: number; after?: string }): Promise<PendingPage> {
    this.check(options);
    const after = options.after === undefined ? 0 : Number(options.after);
    if (!Number.isSafeInteger(after) || after < 0) throw permanent('INDEX_REQUEST_REJECTED', `invalid page position "${options.after}"`);
    const size = Math.max(1, Math.floor(options.size));
    const rows = this.db.prepare(`
      SELECT seq, id, content, doc FROM documents
      WHERE json_extract(doc, '$.embedding_pending') = 1 AND seq > ?
      ORDER BY seq LIMIT ?`).all(after, size + 1) as Row[];
    const docs = rows.slice(0, size).map((row) => this.toDocument(row));
    const last = rows[size - 1];
    return rows.length > size && last ? { docs, next: String(last['seq']) } : { docs };
  }

  /** Number of documents in the index. */
  async count(options?: IndexOptions): Promise<number> {
    this.check(options);
    const row = this.countStmt.get() as { n?: unknown } | undefined;
    return Number(row?.n ?? 0);
  }

  /** Closes the connection when this adapter owns it (writes are never batched). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsDatabase && this.db.isOpen) this.db.close();
  }

  private check(options: IndexOptions | undefined): void {
    options?.signal?.throwIfAborted();
    if (this.closed) throw new Error('SqliteIndex is closed');
  }

  /** MATCH on the long terms (+ LIKE filters for short ones), bm25 order. */
  private searchFts(parsed: ParsedQuery, size: number): SearchHit[] {
    const params: Record<string, string | number> = { match: ftsQuery(parsed.long), size };
    const where = likeFilters(parsed.short, params);
    // With short terms too, FTS5 would mark only the long ones: the snippet is then built here.
    const ownSnippet = parsed.short.length > 0;
    const snippet = ownSnippet
      ? 'd.content'
      : `snippet(documents_fts, 2, '${HIGHLIGHT_OPEN}', '${HIGHLIGHT_CLOSE}', '${ELLIPSIS}', ${SNIPPET_TOKENS})`;
    const sql = `
      SELECT d.id, d.bucket, d."key" AS key, d.file_name, d.original_path, d.text_source,
        -${BM25} AS score, ${snippet} AS snippet
      FROM documents_fts JOIN documents d ON d.seq = documents_fts.rowid
      WHERE documents_fts MATCH :match${where.length > 0 ? ` AND ${where.join(' AND ')}` : ''}
      ORDER BY ${BM25}, d.id
      LIMIT :size`;
    const rows = this.db.prepare(sql).all(params) as Row[];
    const terms = [...parsed.long, ...parsed.short];
    return rows.map((row) => {
      const text = String(row['snippet'] ?? '');
      return toHit(row, ownSnippet ? makeSnippet(text, terms) : text);
    });
  }

  /** The documents nearest to `vector` on `field` (cosine), best first; snippets as for a text hit. */
  private searchVector(field: 'text_embedding' | 'image_embedding', vector: readonly number[], size: number, terms: readonly string[]): SearchHit[] {
    const rows = this.db.prepare(`
      SELECT id, bucket, "key" AS key, file_name, original_path, text_source, content, json_extract(doc, '$.${field}') AS vector
      FROM documents WHERE json_type(doc, '$.${field}') = 'array'`).all() as Row[];
    const scored: Array<{ row: Row; score: number }> = [];
    for (const row of rows) {
      const stored = JSON.parse(String(row['vector'])) as number[];
      if (stored.length !== vector.length) continue;
      scored.push({ row, score: cosine(vector, stored) });
    }
    scored.sort((a, b) => b.score - a.score);
    return scored.slice(0, size).map(({ row, score }) => toHit({ ...row, score: (1 + score) / 2 }, makeSnippet(String(row['content'] ?? ''), terms)));
  }

  /** Short terms only: the trigram index cannot help; scan and rank by occurrences. */
  private searchLike(terms: string[], size: number): SearchHit[] {
    const params: Record<string, string | number> = { size };
    const where = likeFilters(terms, params);
    const score = occurrenceScore(terms, params);
    const sql = `
      SELECT id, bucket, "key" AS key, file_name, original_path, text_source, content, ${score} AS score
      FROM documents d
      WHERE ${where.join(' AND ')}
      ORDER BY score DESC, length(content), id
      LIMIT :size`;
    const rows = this.db.prepare(sql).all(params) as Row[];
    // As OpenSearch's highlighter: the start of the content when only the name or path matched.
    return rows.map((row) => toHit(row, makeSnippet(String(row['content'] ?? ''), terms)));
  }
}

/** Splits on white space (including the ideographic space), drops duplicates. */
export function parseQuery(query: string): ParsedQuery {
  const terms = [...new Set(query.split(/\s+/u).filter((t) => t !== ''))];
  return {
    long: terms.filter((t) => charCount(t) >= MIN_TRIGRAM_CHARS),
    short: terms.filter((t) => charCount(t) < MIN_TRIGRAM_CHARS),
  };
}

/** Each term as an FTS5 string (a substring match with trigrams), all required. */
export function ftsQuery(terms: readonly string[]): string {
  return terms.map((t) => `"${t.replaceAll('"', '""')}"`).join(' AND ');
}

/** For each short term, a filter: it occurs in the name, path or content. Binds `:likeN`. */
function likeFilters(terms: readonly string[], params: Record<string, string | number>): string[] {
  return terms.map((term, i) => {
    params[`like${i}`] = `%${escapeLike(term)}%`;
    const like = `:like${i}`;
    return `(d.file_name LIKE ${like} ESCAPE '\\' OR d.original_path LIKE ${like} ESCAPE '\\' OR d.content LIKE ${like} ESCAPE '\\')`;
  });
}

/**
 * Occurrences of the short terms (ASCII case-insensitive, as LIKE), the file name counted double as
 * in bm25. Binds `:termN`.
 */
function occurrenceScore(terms: readonly string[], params: Record<string, string | number>): string {
  const parts = terms.map((term, i) => {
    params[`term${i}`] = term;
    const count = (column: string): string =>
      `((length(${column}) - length(replace(lower(${column}), lower(:term${i}), ''))) / length(:term${i}))`;
    return `2 * ${count('d.file_name')} + ${count("coalesce(d.original_path, '')")} + ${count('d.content')}`;
  });
  return `(${parts.join(' + ')})`;
}

function escapeLike(term: string): string {
  return term.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function charCount(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function termPattern(terms: readonly string[]): RegExp {
  const escaped = [...terms]
    .sort((a, b) => b.length - a.length)
    .map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(escaped.join('|'), 'giu');
}

/**
 * A window of about SNIPPET_CHARS around the first match with every match marked; the start of
 * the text when nothing matches.
 */
export function makeSnippet(text: string, terms: readonly string[]): string {
  const pattern = termPattern(terms);
  const first = pattern.exec(text);
  let start = 0;
  if (first !== null) start = Math.max(0, first.index - Math.floor(SNIPPET_CHARS / 4));
  let end = Math.min(text.length, start + SNIPPET_CHARS);
  // Do not cut a surrogate pair in two.
  if (start > 0 && isLowSurrogate(text.charCodeAt(start))) start--;
  if (end < text.length && isLowSurrogate(text.charCodeAt(end))) end++;
  const window = text.slice(start, end);
  const marked = window.replace(termPattern(terms), (m) => `${HIGHLIGHT_OPEN}${m}${HIGHLIGHT_CLOSE}`);
  return `${start > 0 ? ELLIPSIS : ''}${marked}${end < text.length ? ELLIPSIS : ''}`;
}

function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

function toHit(row: Row, snippet: string): SearchHit {
  const score = Number(row['score']);
  const source = row['text_source'];
  return {
    id: String(row['id']),
    // bm25 is negative (more negative = better) and never 0; occurrence counts are ≥ 1.
    score: Number.isFinite(score) && score > 0 ? score : Number.MIN_VALUE,
    bucket: String(row['bucket'] ?? ''),
    key: String(row['key'] ?? ''),
    file_name: String(row['file_name'] ?? ''),
    original_path: typeof row['original_path'] === 'string' ? row['original_path'] : null,
    text_source: TEXT_SOURCES.includes(source as TextSource) ? (source as TextSource) : 'none',
    snippet,
  };
}
