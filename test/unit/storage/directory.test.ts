/** DirectoryStorage: a directory standing for the bucket (replay / process), never escaped. */
import { describe, test, beforeEach, afterEach } from 'vitest';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { DirectoryStorage, safeKeySegments } from '../../../src/adapters/storage/directory.ts';
import { isIngestError } from '../../../src/core/errors.ts';

let base: string;
let root: string;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'spot-ingest-dirstore-'));
  root = join(base, 'root');
  await mkdir(root);
  await writeFile(join(base, 'secret.txt'), 'outside the root');
});
afterEach(() => rm(base, { recursive: true, force: true }));

async function rejectsWith(promise: Promise<unknown>, code: string, retryable = false) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isIngestError(err), `expected an IngestError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.retryable, retryable);
    return true;
  });
}

describe('get', () => {
  test('streams the file under the root, with its size and mtime', async () => {
    await mkdir(join(root, 'docs'));
    await writeFile(join(root, 'docs', 'a.txt'), 'hello');
    const object = await new DirectoryStorage(root).get('any-bucket', 'docs/a.txt');
    assert.equal(object.size, 5);
    assert.ok(object.lastModified instanceof Date);
    assert.equal(await text(object.body), 'hello');
  });

  test('Japanese file names and spaces', async () => {
    await mkdir(join(root, '経理 2026'), { recursive: true });
    await writeFile(join(root, '経理 2026', '請求書 11月 final.txt'), '請求金額 ¥12,000');
    const object = await new DirectoryStorage(root).get('b', '経理 2026/請求書 11月 final.txt');
    assert.equal(await text(object.body), '請求金額 ¥12,000');
  });

  test('prefers <root>/<bucket>/<key> when it exists, else <root>/<key>', async () => {
    await mkdir(join(root, 'bucket-a'));
    await writeFile(join(root, 'bucket-a', 'x.txt'), 'in bucket-a');
    await writeFile(join(root, 'x.txt'), 'at the root');
    const storage = new DirectoryStorage(root);
    assert.equal(await text((await storage.get('bucket-a', 'x.txt')).body), 'in bucket-a');
    assert.equal(await text((await storage.get('bucket-b', 'x.txt')).body), 'at the root');
    const flat = new DirectoryStorage(root, { bucketSubdirectories: false });
    assert.equal(await text((await flat.get('bucket-a', 'x.txt')).body), 'at the root');
  });

  test('a missing file is OBJECT_NOT_FOUND (permanent), as on S3', async () => {
    await rejectsWith(new DirectoryStorage(root).get('b', 'nope.txt'), 'OBJECT_NOT_FOUND');
    await rejectsWith(new DirectoryStorage(root).get('b', 'no/such/dir/file.txt'), 'OBJECT_NOT_FOUND');
  });

  test('a directory, or a path through a file, is OBJECT_NOT_FOUND', async () => {
    await mkdir(join(root, 'sub'));
    await writeFile(join(root, 'file.txt'), 'x');
    await rejectsWith(new DirectoryStorage(root).get('b', 'sub'), 'OBJECT_NOT_FOUND');
    await rejectsWith(new DirectoryStorage(root).get('b', 'file.txt/inner'), 'OBJECT_NOT_FOUND');
  });

  test('"../" keys are refused with OBJECT_KEY_UNSAFE, even when the target exists', async () => {
    const storage = new DirectoryStorage(root);
    await rejectsWith(storage.get('b', '../secret.txt'), 'OBJECT_KEY_UNSAFE');
    await rejectsWith(storage.get('b', 'docs/../../secret.txt'), 'OBJECT_KEY_UNSAFE');
    await rejectsWith(storage.get('b', '..'), 'OBJECT_KEY_UNSAFE');
    // inside the root after normalisation, but still refused: one key, one file
    await writeFile(join(root, 'b.txt'), 'x');
    await rejectsWith(storage.get('b', 'a/../b.txt'), 'OBJECT_KEY_UNSAFE');
  });

  test('absolute, empty and NUL keys are refused', async () => {
    const storage = new DirectoryStorage(root);
    await rejectsWith(storage.get('b', join(base, 'secret.txt')), 'OBJECT_KEY_UNSAFE');
    await rejectsWith(storage.get('b', '/etc/passwd'), 'OBJECT_KEY_UNSAFE');
    await rejectsWith(storage.get('b', ''), 'OBJECT_KEY_UNSAFE');
    await rejectsWith(storage.get('b', 'a\0b'), 'OBJECT_KEY_UNSAFE');
  });

  test('a bucket name cannot escape either', async () => {
    await writeFile(join(base, 'x.txt'), 'outside');
    await writeFile(join(root, 'x.txt'), 'inside');
    assert.equal(await text((await new DirectoryStorage(root).get('..', 'x.txt')).body), 'inside');
  });

  test('a symbolic link leading out of the root is refused', async () => {
    await symlink(join(base, 'secret.txt'), join(root, 'link.txt'));
    await rejectsWith(new DirectoryStorage(root).get('b', 'link.txt'), 'OBJECT_KEY_UNSAFE');
    await symlink(base, join(root, 'up'));
    await rejectsWith(new DirectoryStorage(root).get('b', 'up/secret.txt'), 'OBJECT_KEY_UNSAFE');
  });

  test('keys with dots that are not ".." segments are fine', async () => {
    await writeFile(join(root, '..hidden..txt'), 'dots');
    assert.equal(await text((await new DirectoryStorage(root).get('b', '..hidden..txt')).body), 'dots');
  });

  test('a missing root is transient (STORAGE_ROOT_MISSING), not a stale object', async () => {
    await rejectsWith(new DirectoryStorage(join(base, 'gone')).get('b', 'a.txt'), 'STORAGE_ROOT_MISSING', true);
  });

  test('a root that is a file, not a directory, is transient STORAGE_ROOT_MISSING', async () => {
    await rejectsWith(new DirectoryStorage(join(base, 'secret.txt')).get('b', 'a.txt'), 'STORAGE_ROOT_MISSING', true);
  });

  test('the signal reaches the stream: aborting while the body is read stops it', async () => {
    await writeFile(join(root, 'big.bin'), Buffer.alloc(4 * 1024 * 1024, 7));
    const controller = new AbortController();
    const object = await new DirectoryStorage(root).get('b', 'big.bin', { signal: controller.signal });
    assert.equal(object.size, 4 * 1024 * 1024);
    object.body.once('data', () => controller.abort());
    await assert.rejects(text(object.body), { name: 'AbortError' });
  });

  test('an aborted signal rejects', async () => {
    await writeFile(join(root, 'a.txt'), 'x');
    await assert.rejects(new DirectoryStorage(root).get('b', 'a.txt', { signal: AbortSignal.abort() }), { name: 'AbortError' });
  });
});

describe('put', () => {
  test('writes under the root, creating directories; get reads it back', async () => {
    const storage = new DirectoryStorage(root);
    await storage.put('b', 'thumbnails/日本語 名前.png', Buffer.from([1, 2, 3]), 'image/png');
    assert.deepEqual([...(await readFile(join(root, 'thumbnails', '日本語 名前.png')))], [1, 2, 3]);
    const object = await storage.get('b', 'thumbnails/日本語 名前.png');
    assert.equal(object.size, 3);
    object.body.destroy();
  });

  test('writes under <root>/<bucket>/ when that directory exists', async () => {
    await mkdir(join(root, 'thumbs'));
    await new DirectoryStorage(root).put('thumbs', 'a.png', Buffer.from('x'), 'image/png');
    assert.equal(await readFile(join(root, 'thumbs', 'a.png'), 'utf8'), 'x');
  });

  test('refuses unsafe keys and writes nothing', async () => {
    const storage = new DirectoryStorage(root);
    await rejectsWith(storage.put('b', '../evil.txt', Buffer.from('x'), 'text/plain'), 'OBJECT_KEY_UNSAFE');
    await rejectsWith(storage.put('b', '/tmp/evil.txt', Buffer.from('x'), 'text/plain'), 'OBJECT_KEY_UNSAFE');
    await assert.rejects(readFile(join(base, 'evil.txt')), { code: 'ENOENT' });
  });

  test('refuses to write through a symbolic link leading out of the root', async () => {
    await symlink(base, join(root, 'up'));
    await rejectsWith(new DirectoryStorage(root).put('b', 'up/evil.txt', Buffer.from('x'), 'text/plain'), 'OBJECT_KEY_UNSAFE');
    await assert.rejects(readFile(join(base, 'evil.txt')), { code: 'ENOENT' });
    // not even a directory is created out there
    await rejectsWith(new DirectoryStorage(root).put('b', 'up/new/dir/evil.txt', Buffer.from('x'), 'text/plain'), 'OBJECT_KEY_UNSAFE');
    await assert.rejects(stat(join(base, 'new')), { code: 'ENOENT' });
  });
});

describe('put and delete: keys naming the root itself, and signals', () => {
  test('"." names the root, not a file: refused by put and delete', async () => {
    const storage = new DirectoryStorage(root);
    await rejectsWith(storage.put('b', '.', Buffer.from('x'), 'text/plain'), 'OBJECT_KEY_UNSAFE');
    await rejectsWith(storage.delete('b', '.'), 'OBJECT_KEY_UNSAFE');
    assert.ok((await stat(root)).isDirectory());
  });

  test('an aborted signal rejects put and delete before touching anything', async () => {
    await writeFile(join(root, 'a.txt'), 'keep');
    const storage = new DirectoryStorage(root);
    await assert.rejects(storage.put('b', 'new.txt', Buffer.from('x'), 'text/plain', { signal: AbortSignal.abort() }), { name: 'AbortError' });
    await assert.rejects(storage.delete('b', 'a.txt', { signal: AbortSignal.abort() }), { name: 'AbortError' });
    assert.equal(await readFile(join(root, 'a.txt'), 'utf8'), 'keep');
    await assert.rejects(stat(join(root, 'new.txt')), { code: 'ENOENT' });
    // a live signal is passed on: the write happens
    await storage.put('b', 'new.txt', Buffer.from('x'), 'text/plain', { signal: new AbortController().signal });
    assert.equal(await readFile(join(root, 'new.txt'), 'utf8'), 'x');
  });
});

describe('delete', () => {
  test('removes the file under the root; get then says OBJECT_NOT_FOUND', async () => {
    await mkdir(join(root, 'docs'));
    await writeFile(join(root, 'docs', 'a.txt'), 'x');
    const storage = new DirectoryStorage(root);
    await storage.delete('b', 'docs/a.txt');
    await rejectsWith(storage.get('b', 'docs/a.txt'), 'OBJECT_NOT_FOUND');
    assert.ok((await stat(join(root, 'docs'))).isDirectory(), 'the directory stays');
  });

  test('removes <root>/<bucket>/<key> when the bucket directory exists, leaving <root>/<key> alone', async () => {
    await mkdir(join(root, 'thumbs'));
    await writeFile(join(root, 'thumbs', 'a.png'), 'in bucket');
    await writeFile(join(root, 'a.png'), 'at the root');
    await new DirectoryStorage(root).delete('thumbs', 'a.png');
    await assert.rejects(stat(join(root, 'thumbs', 'a.png')), { code: 'ENOENT' });
    assert.equal(await readFile(join(root, 'a.png'), 'utf8'), 'at the root');
  });

  test('a file or directory that is not there is no error (as on S3)', async () => {
    const storage = new DirectoryStorage(root);
    await storage.delete('b', 'never.txt');
    await storage.delete('b', 'no/such/dir/never.txt');
  });

  test('refuses unsafe keys, and a parent that is a symbolic link out of the root; nothing outside is removed', async () => {
    const storage = new DirectoryStorage(root);
    await rejectsWith(storage.delete('b', '../secret.txt'), 'OBJECT_KEY_UNSAFE');
    await symlink(base, join(root, 'up'));
    await rejectsWith(storage.delete('b', 'up/secret.txt'), 'OBJECT_KEY_UNSAFE');
    assert.equal(await readFile(join(base, 'secret.txt'), 'utf8'), 'outside the root');
  });

  test('a missing root is transient STORAGE_ROOT_MISSING', async () => {
    await rejectsWith(new DirectoryStorage(join(base, 'gone')).delete('b', 'a.txt'), 'STORAGE_ROOT_MISSING', true);
  });

  test('deleting a directory in place of the file fails with the file system error, not silently', async () => {
    await mkdir(join(root, 'adir'));
    await assert.rejects(new DirectoryStorage(root).delete('b', 'adir'), (err: unknown) => {
      assert.ok(!isIngestError(err));
      assert.ok(['EISDIR', 'EPERM'].includes((err as { code?: string }).code ?? ''), String(err));
      return true;
    });
  });
});

test('safeKeySegments splits on "/" and keeps other characters', () => {
  assert.deepEqual(safeKeySegments('a/b c/契約書 v2+final.pdf'), ['a', 'b c', '契約書 v2+final.pdf']);
});
