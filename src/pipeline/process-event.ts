import type { IndexPort } from './ports/index.ts';
import { documentId } from '../adapters/index/document-id.ts';
import type { StatePort } from './ports/state.ts';
import type { StoragePort } from './ports/storage.ts';
import { isIngestError, permanent, transient } from '../core/errors.ts';
import type { FileEvent } from '../messages/file-event.ts';
import type { Metrics } from '../observability/metrics.ts';
import { buildDocument } from './build-document.ts';
import { classifyError } from '../core/classify.ts';
import { detectType } from './detect-type.ts';
import { downloadObject, type Downloaded } from './download.ts';
import { extractContent } from './extract.ts';
import type { EventSummary, JobContext, Reused } from '../consumer/processor.ts';
import { StepTimer } from '../observability/step-timer.ts';
import type { TempFiles } from './temp-files.ts';
import type { DocumentReader } from './document-reader.ts';
import type { CheckpointPort } from './ports/checkpoint.ts';
import { JobCheckpoint } from './job-checkpoint.ts';
import type { EmbeddingService } from '../adapters/embedder/embedding-service.ts';
import { embedDocument } from './embed-document.ts';
import type { ContentReuse } from './content-reuse.ts';
import type { StoredContent, StoredVectors } from './ports/content.ts';
import { contentOf, extractionOf, notReusable, vectorFieldsOf } from './stored-content.ts';

export interface PipelineDeps {
  state: StatePort;
  index: IndexPort;
  storage: StoragePort;
  temp: TempFiles;
  /** Lease owner prefix (instance id or host); each job appends its own token. */
  owner: string;
  leaseSeconds: number;
  maxFileBytes: number;
  /** Reads PDFs and images (the worker-thread pool). */
  reader: DocumentReader;
  /** Where thumbnails go; undefined ⇒ none are stored. */
  thumbnails?: ThumbnailTarget;
  /** Where finished pages of PDFs and images are kept for a resumed attempt; undefined ⇒ no checkpoints. */
  checkpoints?: CheckpointPort;
  /** Text and image vectors (Bedrock); undefined ⇒ documents carry none. */
  embeddings?: EmbeddingService;
  /** OCR pages under this mean confidence get a warning. */
  ocrLowConfidence: number;
  /** Reuse of earlier extractions of the same bytes (INGEST_REUSE); undefined ⇒ every file is extracted. */
  reuse?: ContentReuse;
  metrics?: Metrics;
}

export interface ThumbnailTarget {
  storage: StoragePort;
  bucket: string;
  /** Key prefix; the thumbnail's key is `<prefix><document id>.webp`. */
  prefix: string;
}

export function thumbnailKey(target: ThumbnailTarget, id: string): string {
  return `${target.prefix}${id}.webp`;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Attempts that ended in a process crash while extracting, after which a file is dead-lettered (PROCESS_CRASHED). */
export const MAX_CRASHES = 2;
/** The kinds of file whose parsers (pdf.js, tesseract, libvips, unzip) could take the process down. */
const CRASH_GUARDED: ReadonlySet<string> = new Set(['pdf', 'image', 'office']);

/**
 * One FileEvent through the pipeline: claim → (delete | download → detect → extract → index) → record.
 * Returns the event's outcome; throws a classified IngestError for retry / dead-letter, after
 * recording it in the state record (FAILED) or dropping the claim (so a retry can take it at once).
 */
export async function processEvent(event: FileEvent, deps: PipelineDeps, ctx: JobContext, owner: string, receiveCount = 1): Promise<EventSummary> {
  const { state, index, temp, metrics } = deps;
  const pk = `${event.bucket}/${event.key}`;
  const log = ctx.log.child({ bucket: event.bucket, key: event.key, event: event.kind });
  const timer = new StepTimer(metrics);
  const summary = (outcome: EventSummary['outcome'], extra: Partial<EventSummary> = {}): EventSummary => ({
    key: event.key, kind: event.kind, outcome, steps: timer.steps, ...extra,
  });
  if (event.kind === 'upsert' && event.size !== undefined && event.size > deps.maxFileBytes) {
    throw permanent('OBJECT_TOO_LARGE', `s3://${pk} is ${event.size} bytes, over INGEST_MAX_FILE_BYTES (${deps.maxFileBytes})`);
  }
  const claim = await timer.time('claim', () =>
    state.claim(
      {
        pk, kind: event.kind, eventTime: event.eventTime, owner, leaseUntil: nowSeconds() + deps.leaseSeconds, now: nowSeconds(),
        ...(event.etag ? { etag: event.etag } : {}),
        ...(event.versionId ? { versionId: event.versionId } : {}),
        ...(event.sequencer ? { sequencer: event.sequencer } : {}),
      },
      { signal: ctx.signal },
    ),
  );
  if (claim.kind === 'duplicate' || claim.kind === 'stale') {
    log.info({ outcome: claim.kind, status: claim.record.status }, `event ${claim.kind}: nothing to redo`);
    return summary(claim.kind);
  }
  if (claim.kind === 'busy') {
    const retryAfterSeconds = Math.max(1, (claim.record.leaseUntil ?? 0) - nowSeconds());
    throw transient('OBJECT_BUSY', `s3://${pk} is being processed by ${claim.record.leaseOwner}`, undefined, { retryAfterSeconds });
  }
  if (claim.crashes >= MAX_CRASHES) {
    const error = permanent('PROCESS_CRASHED', `s3://${pk}: ${claim.crashes} earlier attempts ended in a crash of the whole process while extracting this file; not run again`);
    await state.fail(pk, owner, `${error.code}: ${error.message}`).catch((e: unknown) => log.warn({ err: classifyError(e) }, 'could not record the failure'));
    throw error;
  }

  const unregister = ctx.keepAlive(() => state.renew(pk, owner, nowSeconds() + deps.leaseSeconds));
  let path: string | undefined;
  let checkpoint: JobCheckpoint | undefined;
  try {
    if (event.kind === 'delete') {
      const id = documentId(event.bucket, event.key);
      await timer.time('index', () => index.delete(id, { signal: ctx.signal }));
      const thumbnails = deps.thumbnails;
      if (thumbnails) await timer.time('thumbnail', () => thumbnails.storage.delete(thumbnails.bucket, thumbnailKey(thumbnails, id), { signal: ctx.signal }));
      await timer.time('record', () =>
        state.complete({ pk, owner, status: 'DELETED', eventTime: event.eventTime, steps: timer.steps, ...versionOf(event) }),
      );
      return summary('done');
    }
    path = temp.path();
    let file: Downloaded;
    try {
      file = await timer.time('download', () =>
        downloadObject({
          storage: deps.storage, bucket: event.bucket, key: event.key, path: path!, maxBytes: deps.maxFileBytes, signal: ctx.signal,
          ...(event.versionId ? { versionId: event.versionId } : {}),
        }),
      );
    } catch (err) {
      if (isIngestError(err) && err.code === 'OBJECT_NOT_FOUND') {
        await state.dropLease(pk, owner);
        log.info('object no longer exists: event is stale');
        return summary('stale', { code: err.code });
      }
      throw err;
    }
    const previous = claim.previous;
    if (previous?.status === 'INDEXED' && previous.sha256 === file.sha256) {
      await timer.time('record', () => state.complete({
        pk, owner, status: 'INDEXED', eventTime: event.eventTime, ...recordOf(file, previous.contentType),
        ...(previous.warnings ? { warnings: previous.warnings } : {}), ...(previous.steps ? { steps: previous.steps } : {}),
      }));
      log.info('content unchanged since it was indexed: not re-indexed');
      return summary('duplicate');
    }
    const type = await timer.time('detect', () => detectType(path!, { fileName: event.key, ...(event.mimeType ? { declaredMime: event.mimeType } : {}) }));
    const id = documentId(event.bucket, event.key);
    const reuse = deps.reuse;
    const acquired = reuse
      ? await timer.time('reuse', () => reuse.acquire(reuse.key(file.sha256, type.mime), { signal: ctx.signal, park: ctx.park, pageDone: ctx.pageDone }))
      : undefined;
    let content: StoredContent;
    let reused: Reused | undefined;
    if (acquired?.kind === 'hit') {
      content = acquired.content;
      reused = { from: content.from, savedPages: content.cost.pages, savedBedrockTokens: content.cost.bedrockInputTokens };
      log.info(reused, 'same content extracted before: indexed from that extraction');
    } else {
      if (acquired?.lookupFailed) log.warn({ err: acquired.lookupFailed }, 'could not look up earlier extractions of this content: extracting it');
      try {
        const made = await makeContent();
        content = made;
        const rejected = acquired ? notReusable(made) : null;
        const kept = acquired ? await acquired.settle(rejected === null ? made : null, { signal: ctx.signal }) : null;
        if (rejected !== null) log.info({ reason: rejected }, 'extraction not kept for reuse');
        else if (kept?.kept === 'no' && kept.error) log.warn({ err: kept.error }, 'could not keep the extraction for reuse: indexed without keeping it');
        else if (kept?.kept === 'no') log.info({ reason: kept.reason }, 'extraction not kept for reuse');
        else if (kept?.kept === 'theirs') log.info({ from: kept.content.from }, 'the same content was extracted elsewhere at the same time: indexed from the extraction kept first');
        if (kept) content = kept.content;
      } catch (err) {
        await acquired?.settle(null);
        throw err;
      }
    }
    let storedThumbnail: string | null = null;
    const thumbnails = deps.thumbnails;
    const image = content.thumbnail;
    if (thumbnails && image) {
      // every document has its own copy: deleting one copy's document never touches another's thumbnail
      storedThumbnail = thumbnailKey(thumbnails, id);
      const key = storedThumbnail;
      await timer.time('thumbnail', () =>
        thumbnails.storage.put(thumbnails.bucket, key, Buffer.from(image.buffer, image.byteOffset, image.byteLength), 'image/webp', { signal: ctx.signal }),
      );
    }
    const warnings = content.warnings;
    const doc = { ...buildDocument(event, file, type, extractionOf(content), storedThumbnail), ...vectorFieldsOf(content) };
    await timer.time('index', () => index.upsert(doc, { signal: ctx.signal }));
    await timer.time('record', () =>
      state.complete({
        pk, owner, status: 'INDEXED', eventTime: event.eventTime, steps: timer.steps, warnings,
        ...recordOf(file, type.mime),
        ...(event.sequencer ? { sequencer: event.sequencer } : {}),
      }),
    );
    await checkpoint?.clear();
    if (reused) {
      metrics?.reusedDocuments.inc();
      metrics?.reuseSavedPages.inc(content.cost.pages);
      metrics?.reuseSavedBedrockTokens.inc(content.cost.bedrockInputTokens);
    }
    if (warnings.length > 0) log.info({ warnings }, 'indexed with warnings');
    return summary('done', {
      textSource: content.textSource, characters: content.text.length,
      ...(content.pageCount !== null ? { pages: content.pageCount } : {}),
      ...(content.ocrConfidence !== null ? { ocrConfidence: content.ocrConfidence } : {}),
      ...(storedThumbnail ? { thumbnailKey: storedThumbnail } : {}),
      ...(checkpoint && checkpoint.resumed.length > 0 ? { resumedPages: checkpoint.resumed.length } : {}),
      ...(content.vectors !== null ? { embedded: embeddedSummary(content.vectors) } : {}),
      ...(warnings.length > 0 ? { warnings } : {}),
      ...(reused ? { reused } : {}),
    });

    /** Extraction (resuming from a checkpoint, under the crash guard) and embedding: this file's content. */
    async function makeContent(): Promise<StoredContent> {
      if (deps.checkpoints && (type.category === 'pdf' || type.category === 'image')) {
        // only a redelivered message can have an earlier attempt's pages: no lookup on first delivery
        const resumed = receiveCount > 1 ? await timer.time('checkpoint', () => deps.checkpoints!.load(id, file.sha256, { signal: ctx.signal })) : [];
        if (resumed.length > 0) log.info({ pages: resumed.length }, 'resuming from a checkpoint');
        checkpoint = new JobCheckpoint({ port: deps.checkpoints, documentId: id, sha256: file.sha256, resumed, log });
      }
      const pages = checkpoint;
      let pagesRead = pages?.size ?? 0;
      // the crash guard: an attempt that dies with the process while a parser runs on the file is
      // counted at the next claim (plain text is decoded by our own bounded code: no mark, no write)
      const guarded = CRASH_GUARDED.has(type.category);
      if (guarded) await state.markExtracting(pk, owner, true, { signal: ctx.signal });
      const extraction = await timer.time('extract', () =>
        extractContent(path!, type, {
          signal: ctx.signal, reader: deps.reader, lowConfidence: deps.ocrLowConfidence,
          onPage: (page) => {
            pagesRead += 1;
            metrics?.pages.inc({ source: page.source });
            ctx.pageDone?.();
            if (acquired?.kind === 'miss') acquired.pageDone();
            pages?.onPage(page);
          },
          ...(pages && pages.size > 0 ? { resume: pages.resumed } : {}),
        }),
      );
      if (guarded) await state.markExtracting(pk, owner, false, { signal: ctx.signal });
      for (const [name, ms] of Object.entries(extraction.substeps ?? {})) timer.steps[`extract.${name}`] = ms;
      const embeddings = deps.embeddings;
      const embedded = embeddings?.enabled
        ? await timer.time('embed', () => embedDocument(embeddings, {
          text: extraction.text, signal: ctx.signal, ...(type.category === 'image' ? { imagePath: path! } : {}),
        }))
        : undefined;
      if (embedded?.fields.embedding_pending) metrics?.embeddingsDeferred.inc();
      return contentOf({ from: `s3://${pk}`, extraction, embedded, pagesRead });
    }
  } catch (err) {
    const error = classifyError(err);
    // a job given up for now (released, aborted, transient failure) leaves its pages for the next attempt
    if (checkpoint) await (error.retryable ? checkpoint.flush() : checkpoint.clear());
    // Cleanup must not carry the job's (possibly aborted) signal.
    const record = error.retryable ? state.dropLease(pk, owner) : state.fail(pk, owner, `${error.code}: ${error.message}`);
    await record.catch((e: unknown) => log.warn({ err: classifyError(e) }, 'could not update the state record after a failure'));
    throw error;
  } finally {
    unregister();
    if (path !== undefined) await temp.remove(path);
  }
}

function embeddedSummary(fields: StoredVectors): string {
  if (fields.embedding_pending) return 'pending';
  const parts = [fields.text_embedding ? 'text' : '', fields.image_embedding ? 'image' : ''].filter(Boolean);
  return parts.length > 0 ? parts.join('+') : 'none';
}

function versionOf(event: FileEvent) {
  return {
    ...(event.etag ? { etag: event.etag } : {}),
    ...(event.versionId ? { versionId: event.versionId } : {}),
    ...(event.sequencer ? { sequencer: event.sequencer } : {}),
  };
}

function recordOf(file: Downloaded, contentType: string | undefined) {
  return {
    sha256: file.sha256,
    size: file.size,
    ...(file.etag ? { etag: file.etag } : {}),
    ...(file.versionId ? { versionId: file.versionId } : {}),
    ...(contentType ? { contentType } : {}),
  };
}
