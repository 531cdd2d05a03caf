import { randomUUID } from 'node:crypto';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Private scratch space under INGEST_DATA_DIR: a 0700 directory whose files are 0600. Whatever a
 * previous (crashed) process left there is removed at start.
 */
export class TempFiles {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'tmp');
  }

  async prepare(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
  }

  /** A fresh path in the scratch directory (the file is not created). */
  path(suffix = ''): string {
    return join(this.dir, `${randomUUID()}${suffix}`);
  }

  async remove(path: string): Promise<void> {
    await rm(path, { force: true });
  }
}
