/**
 * The bulk write path of the OpenSearch adapter as it was before the official client (until
 * commit 37f511c: opensearch-transport.ts over the global fetch): the same micro-batcher, NDJSON
 * built once per document, one `POST /_bulk` through fetch with a per-request AbortSignal timeout,
 * the answer parsed with JSON.parse and mapped per item. The baseline of `npm run bench:opensearch`.
 */
import { transient, type IngestError } from '../../src/core/errors.ts';
import { MicroBatcher } from '../../src/lib/micro-batcher.ts';
import type { IndexDocument } from '../../src/core/index-document.ts';
import { bulkItemError, isRecord, responseError } from '../../src/adapters/index/opensearch-errors.ts';

interface Item {
  id: string;
  ndjson: string;
}

export interface FetchBulkWriterOptions {
  url: string;
  index: string;
  maxDocs: number;
  lingerMs: number;
  timeoutMs: number;
}

export class FetchBulkWriter {
  readonly #options: FetchBulkWriterOptions;
  readonly #batcher: MicroBatcher<Item>;

  constructor(options: FetchBulkWriterOptions) {
    this.#options = options;
    this.#batcher = new MicroBatcher<Item>({
      maxItems: options.maxDocs,
      maxBytes: 5 * 1024 * 1024,
      lingerMs: options.lingerMs,
      send: (items) => this.#send(items),
      closedError: () => transient('INDEX_CLOSED', 'closed'),
    });
  }

  upsert(doc: IndexDocument): Promise<void> {
    const { id, ...source } = doc;
    const ndjson = `${JSON.stringify({ index: { _index: this.#options.index, _id: id } })}\n${JSON.stringify(source)}\n`;
    return this.#batcher.add({ id, ndjson }, Buffer.byteLength(ndjson));
  }

  close(): Promise<void> {
    return this.#batcher.close();
  }

  async #send(items: readonly Item[]): Promise<ReadonlyArray<IngestError | null>> {
    const res = await fetch(`${this.#options.url}/_bulk`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/x-ndjson' },
      body: items.map((i) => i.ndjson).join(''),
      signal: AbortSignal.timeout(this.#options.timeoutMs),
    });
    const text = await res.text();
    const body: unknown = text === '' ? undefined : JSON.parse(text);
    if (res.status < 200 || res.status >= 300) throw responseError(res.status, body ?? text, 'POST /_bulk');
    const entries = isRecord(body) && Array.isArray(body.items) ? body.items : [];
    return items.map((item, i) => {
      const entry: unknown = entries[i];
      const result = isRecord(entry) ? entry.index : undefined;
      if (!isRecord(result) || typeof result.status !== 'number') return transient('INDEX_UNAVAILABLE', `item ${i} has no status`);
      return bulkItemError('index', item.id, result.status, result.error);
    });
  }
}
