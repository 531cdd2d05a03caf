/**
 * StoragePort on a local directory that stands for the bucket (`spot-ingest replay --files DIR`,
 * `spot-ingest process <path>`).
 *
 * Mapping: `bucket/key` → `<root>/<bucket>/<key>` when that file exists (a directory holding one
 * subdirectory per bucket), else `<root>/<key>` (the bucket name is ignored). `put` writes under
 * `<root>/<bucket>/` when that directory exists, else under the root. With
 * `bucketSubdirectories: false` the bucket name is always ignored.
 *
 * A directory must never be escaped, whatever the key says: S3 keys may legitimately contain
 * `../` or start with `/`, but such keys (and empty keys, keys with a NUL byte, and paths that
 * resolve outside the root through a symbolic link) are refused with the permanent IngestError
 * `OBJECT_KEY_UNSAFE`. A missing file (or a directory where the file should be) is the permanent
 * `OBJECT_NOT_FOUND`, exactly like the S3 adapter; a missing or unreadable root is transient
 * (`STORAGE_ROOT_MISSING` / `ACCESS_DENIED`), as a bucket that is unreachable for now would be.
 * Files have no versions here: `versionId` is ignored.
 */
import { mkdir, open, realpath, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { permanent, transient } from '../../core/errors.ts';
import type { ObjectBody, StorageOptions } from '../../core/stored-object.ts';

export interface DirectoryStorageOptions {
  /** Look for `<root>/<bucket>/<key>` before `<root>/<key>` (default true). */
  bucketSubdirectories?: boolean;
}

const errno = (err: unknown) => (typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined);
const isMissing = (err: unknown) => errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR';
const isDenied = (err: unknown) => errno(err) === 'EACCES' || errno(err) === 'EPERM';

/** Refuses keys that could name anything outside the root; returns the key's path segments. */
export function safeKeySegments(key: string): string[] {
  const unsafe = (why: string) => permanent('OBJECT_KEY_UNSAFE', `key ${JSON.stringify(key)} ${why}: refused, it would escape the directory`);
  if (key === '') throw unsafe('is empty');
  if (key.includes('\0')) throw unsafe('contains a NUL byte');
  if (key.startsWith('/') || key.startsWith('\\') || isAbsolute(key)) throw unsafe('is an absolute path');
  const segments = key.split(sep === '\\' ? /[\\/]/ : '/');
  if (segments.includes('..')) throw unsafe('has a ".." segment');
  return segments;
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' ? false : !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

export class DirectoryStorage {
  readonly root: string;
  readonly #bucketSubdirectories: boolean;

  constructor(root: string, options: DirectoryStorageOptions = {}) {
    this.root = resolve(root);
    this.#bucketSubdirectories = options.bucketSubdirectories ?? true;
  }

  async get(bucket: string, key: string, options: StorageOptions & { versionId?: string } = {}): Promise<ObjectBody> {
    options.signal?.throwIfAborted();
    const segments = safeKeySegments(key);
    const realRoot = await this.#rootReal();
    for (const candidate of this.#candidates(bucket, segments)) {
      let real: string;
      try {
        real = await realpath(candidate);
      } catch (err) {
        if (isMissing(err)) continue;
        if (isDenied(err)) throw transient('ACCESS_DENIED', `cannot read ${candidate}: ${(err as Error).message}`, err);
        throw err;
      }
      if (!isInside(realRoot, real)) {
        throw permanent('OBJECT_KEY_UNSAFE', `key ${JSON.stringify(key)} resolves to ${real}, outside ${this.root} (a symbolic link): refused`);
      }
      let handle;
      try {
        handle = await open(real, 'r');
      } catch (err) {
        if (isMissing(err)) continue;
        if (isDenied(err)) throw transient('ACCESS_DENIED', `cannot read ${real}: ${(err as Error).message}`, err);
        throw err;
      }
      try {
        const info = await handle.stat();
        if (!info.isFile()) {
          await handle.close();
          continue;
        }
        const body = handle.createReadStream(options.signal ? { signal: options.signal } : {});
        return { body, size: info.size, lastModified: info.mtime };
      } catch (err) {
        await handle.close().catch(() => undefined);
        throw err;
      }
    }
    throw permanent('OBJECT_NOT_FOUND', `${this.#describe(bucket, key)} does not exist (any more)`);
  }

  async put(bucket: string, key: string, body: Buffer, _contentType: string, options: StorageOptions = {}): Promise<void> {
    options.signal?.throwIfAborted();
    const segments = safeKeySegments(key);
    const realRoot = await this.#rootReal();
    const base = (await this.#bucketDirectory(bucket)) ?? this.root;
    const target = join(base, ...segments);
    if (!isInside(this.root, target)) throw permanent('OBJECT_KEY_UNSAFE', `key ${JSON.stringify(key)} does not name a file under ${this.root}: refused`);
    const checkParent = async (dir: string) => {
      const real = await realpath(dir);
      if (real !== realRoot && !isInside(realRoot, real)) {
        throw permanent('OBJECT_KEY_UNSAFE', `key ${JSON.stringify(key)} resolves to ${real}, outside ${this.root} (a symbolic link): refused`);
      }
    };
    // the nearest existing ancestor first, so that no directory is created outside the root
    let existing = dirname(target);
    while (!(await stat(existing).then(() => true, () => false)) && existing !== this.root) existing = dirname(existing);
    await checkParent(existing);
    await mkdir(dirname(target), { recursive: true });
    await checkParent(dirname(target));
    await writeFile(target, body, options.signal ? { signal: options.signal } : {});
  }

  async delete(bucket: string, key: string, options: StorageOptions = {}): Promise<void> {
    options.signal?.throwIfAborted();
    const segments = safeKeySegments(key);
    const base = (await this.#bucketDirectory(bucket)) ?? this.root;
    const target = join(base, ...segments);
    if (!isInside(this.root, target)) throw permanent('OBJECT_KEY_UNSAFE', `key ${JSON.stringify(key)} does not name a file under ${this.root}: refused`);
    const realRoot = await this.#rootReal();
    const parent = await realpath(dirname(target)).catch(() => null);
    if (parent === null) return; // nothing there
    if (parent !== realRoot && !isInside(realRoot, parent)) {
      throw permanent('OBJECT_KEY_UNSAFE', `key ${JSON.stringify(key)} resolves to ${parent}, outside ${this.root} (a symbolic link): refused`);
    }
    await unlink(target).catch((err: unknown) => {
      if (!isMissing(err)) throw err;
    });
  }

  *#candidates(bucket: string, segments: string[]): Iterable<string> {
    if (this.#bucketSubdirectories && isBucketSegment(bucket)) yield join(this.root, bucket, ...segments);
    yield join(this.root, ...segments);
  }

  async #bucketDirectory(bucket: string): Promise<string | undefined> {
    if (!this.#bucketSubdirectories || !isBucketSegment(bucket)) return undefined;
    const dir = join(this.root, bucket);
    try {
      return (await stat(dir)).isDirectory() ? dir : undefined;
    } catch {
      return undefined;
    }
  }

  /** The root's real path, checked on every call (a root that went away is transient, not "object gone"). */
  async #rootReal(): Promise<string> {
    try {
      const real = await realpath(this.root);
      if (!(await stat(real)).isDirectory()) throw transient('STORAGE_ROOT_MISSING', `${this.root} is not a directory`);
      return real;
    } catch (err) {
      if (isMissing(err)) throw transient('STORAGE_ROOT_MISSING', `the directory ${this.root} (standing for the bucket) does not exist`, err);
      if (isDenied(err)) throw transient('ACCESS_DENIED', `cannot read ${this.root}: ${(err as Error).message}`, err);
      throw err;
    }
  }

  #describe(bucket: string, key: string): string {
    return `${key} (bucket ${bucket}) under ${this.root}`;
  }
}

/** A bucket name usable as one directory name. */
function isBucketSegment(bucket: string): boolean {
  return bucket !== '' && bucket !== '.' && bucket !== '..' && !/[\\/\0]/.test(bucket);
}
