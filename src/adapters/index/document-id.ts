import { createHash } from 'node:crypto';

/**
 * The index `_id` of an object (docs/design.md §6): sha256 hex of `bucket/key`. Stable, so a modified
 * file overwrites its document and a delete removes it; 64 chars, well under OpenSearch's 512-byte
 * `_id` limit whatever the key.
 */
export function documentId(bucket: string, key: string): string {
  return createHash('sha256').update(`${bucket}/${key}`, 'utf8').digest('hex');
}
