/**
 * Index writes seen by the OpenSearch recorder, with the time each request arrived, for counting
 * re-indexing of documents (duplicates) across daemon lives.
 */
import type { OpenSearchRecorder, RecordedRequest } from '../../test/support/opensearch-recorder.ts';

export interface IndexWrite {
  id: string;
  /** Date.now() when the bulk request's body had arrived (the recorder stores the document then) */
  at: number;
  /** position of the request in recorder.requests */
  request: number;
}

/**
 * Arrival times of the recorder's requests, in the same order as `recorder.requests`. The recorder
 * runs in this process and pushes each request when its body has arrived, so wrapping that array's
 * push gives the exact moment (the recorder itself keeps no time).
 */
export function stampArrivals(recorder: OpenSearchRecorder): number[] {
  const times: number[] = recorder.requests.map(() => Date.now());
  const requests = recorder.requests;
  const push = requests.push.bind(requests);
  Object.defineProperty(requests, 'push', {
    configurable: true,
    value: (...items: RecordedRequest[]) => {
      for (let i = 0; i < items.length; i++) times.push(Date.now());
      return push(...items);
    },
  });
  return times;
}

/** Index / create / update operations per document in the successful (200) bulk requests. */
export function indexWrites(requests: readonly RecordedRequest[], arrivals: readonly number[]): IndexWrite[] {
  const out: IndexWrite[] = [];
  requests.forEach((r, n) => {
    if (!/(^|\/)_bulk$/.test(r.path) || r.status !== 200) return;
    const lines = r.body.split('\n').filter((l) => l.trim() !== '');
    for (let i = 0; i < lines.length; i++) {
      let action: Record<string, { _id?: string }>;
      try {
        action = JSON.parse(lines[i]!) as Record<string, { _id?: string }>;
      } catch {
        continue;
      }
      const op = Object.keys(action)[0];
      if (op === undefined || op === 'delete') continue;
      i++; // the document line
      const id = action[op]?._id;
      if (typeof id === 'string') out.push({ id, at: arrivals[n] ?? Number.NaN, request: n });
    }
  });
  return out;
}
