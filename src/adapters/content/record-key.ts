import type { ContentKey } from '../../core/content-record.ts';

/**
 * The key of a content record: `#content/<settings>/<sha256>/<mime>`. In the state table it sits
 * beside the file records (`<bucket>/<key>`) and the spend items (`#bedrock-spend/…`): no bucket
 * name starts with `#`, so it never meets a file record.
 */
export const CONTENT_KEY_PREFIX = '#content/';

export function contentRecordKey(key: ContentKey): string {
  return `${CONTENT_KEY_PREFIX}${key.settings}/${key.sha256}/${key.mime}`;
}
