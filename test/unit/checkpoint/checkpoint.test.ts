/** Checkpoints of finished pages: the storage format, version safety, and the job's save / flush / clear rules. */
import { test } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { CheckpointPort } from '../../../src/pipeline/ports/checkpoint.ts';
import { StorageCheckpoints } from '../../../src/adapters/checkpoint/storage.ts';
import { DirectoryStorage } from '../../../src/adapters/storage/directory.ts';
import type { PageResult } from '../../../src/pipeline/document-reader.ts';
import { JobCheckpoint } from '../../../src/pipeline/job-checkpoint.ts';

const log = pino({ level: 'silent' });
const page = (n: number, source: PageResult['source'] = 'ocr'): PageResult => ({ page: n, source, text: `page ${n}`, confidence: 90, ms: 10 });

async function withDir(fn: (dir: string, store: StorageCheckpoints) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'spot-ingest-ckpt-'));
  try {
    await fn(dir, new StorageCheckpoints(new DirectoryStorage(dir, { bucketSubdirectories: false }), 'local', 'checkpoints/'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('pages saved for one content version come back for it, not for another; clear removes them', async () => {
  await withDir(async (dir, store) => {
    assert.deepEqual(await store.load('doc1', 'sha-a'), [], 'nothing saved yet');
    await store.save('doc1', 'sha-a', [page(3), page(1), page(2, 'failed')]);
    assert.deepEqual((await readdir(join(dir, 'checkpoints'))), ['doc1.json']);
    assert.deepEqual((await store.load('doc1', 'sha-a')).map((p) => p.page), [1, 3], 'sorted, failed pages left out');
    assert.deepEqual(await store.load('doc1', 'sha-b'), [], 'a changed file does not resume from the old version');
    await store.clear('doc1');
    await store.clear('doc1'); // missing: not an error
    assert.deepEqual(await store.load('doc1', 'sha-a'), []);
  });
});

test('a torn or foreign checkpoint object means starting over, not failing', async () => {
  await withDir(async (dir, store) => {
    await mkdir(join(dir, 'checkpoints'), { recursive: true });
    await writeFile(join(dir, 'checkpoints', 'torn.json'), '{"version":1,"sha256":"x","pages":[{"pa');
    await writeFile(join(dir, 'checkpoints', 'other.json'), JSON.stringify({ version: 2, sha256: 'x', pages: [page(1)] }));
    assert.deepEqual(await store.load('torn', 'x'), []);
    assert.deepEqual(await store.load('other', 'x'), []);
  });
});

/** A CheckpointPort that records calls and can fail. */
function recordingPort(failSaves = 0) {
  const calls: string[] = [];
  let failures = failSaves;
  const saved: PageResult[][] = [];
  const port: CheckpointPort = {
    load: async () => [],
    save: async (_id, _sha, pages) => {
      calls.push(`save ${pages.length}`);
      if (failures-- > 0) throw new Error('S3 is down');
      saved.push([...pages]);
    },
    clear: async () => {
      calls.push('clear');
    },
  };
  return { port, calls, saved };
}

test('a job saves at most once per interval while it runs, and flush saves what is new', async () => {
  const { port, calls } = recordingPort();
  const job = new JobCheckpoint({ port, documentId: 'd', sha256: 's', resumed: [], log, intervalMs: 60_000 });
  job.onPage(page(1));
  job.onPage(page(2));
  assert.deepEqual(calls, [], 'within the interval: no save');
  await job.flush();
  assert.deepEqual(calls, ['save 2']);
  await job.flush();
  assert.deepEqual(calls, ['save 2'], 'nothing new: no second save');
  const eager = new JobCheckpoint({ port, documentId: 'd', sha256: 's', resumed: [], log, intervalMs: 0 });
  eager.onPage(page(1));
  eager.onPage(page(2));
  await eager.flush();
  assert.deepEqual(calls.slice(1), ['save 1', 'save 2'], 'an interval of 0 saves after every page');
});

test('resumed pages are kept and saved again with the new ones; failed and resumed progress is ignored', async () => {
  const { port, saved } = recordingPort();
  const job = new JobCheckpoint({ port, documentId: 'd', sha256: 's', resumed: [page(1), page(2)], log, intervalMs: 60_000 });
  assert.equal(job.size, 2);
  job.onPage({ ...page(1), resumed: true });
  job.onPage(page(3, 'failed'));
  await job.flush();
  assert.equal(saved.length, 0, 'nothing new to save');
  job.onPage(page(3));
  await job.flush();
  assert.deepEqual(saved[0]?.map((p) => p.page), [1, 2, 3]);
});

test('a failed save is logged, not thrown, and retried by the next flush', async () => {
  const { port, calls, saved } = recordingPort(1);
  const job = new JobCheckpoint({ port, documentId: 'd', sha256: 's', resumed: [], log, intervalMs: 60_000 });
  job.onPage(page(1));
  await job.flush();
  await job.flush();
  assert.deepEqual(calls, ['save 1', 'save 1']);
  assert.equal(saved.length, 1);
});

test('clear costs nothing when no checkpoint was ever written or resumed', async () => {
  const { port, calls } = recordingPort();
  await new JobCheckpoint({ port, documentId: 'd', sha256: 's', resumed: [], log }).clear();
  assert.deepEqual(calls, []);
  await new JobCheckpoint({ port, documentId: 'd', sha256: 's', resumed: [page(1)], log }).clear();
  assert.deepEqual(calls, ['clear']);
});
