/** One object change named by a queue message (docs/design.md §2). */
export interface FileEvent {
  kind: 'upsert' | 'delete';
  bucket: string;
  key: string;
  size?: number;
  etag?: string;
  versionId?: string;
  sequencer?: string;
  mimeType?: string;
  originalPath?: string;
  checksum?: string;
  /** ISO-8601 time of the change as the producer reported it (or receive time if none). */
  eventTime: string;
}

/** What one queue body yields: its events, or `test` for S3's s3:TestEvent (ack, nothing else). */
export type ParsedMessage =
  | { kind: 'events'; format: MessageFormat; events: FileEvent[] }
  | { kind: 'test'; format: 's3-test-event' };

export type MessageFormat = 'native' | 's3-notification' | 'eventbridge' | 's3-test-event';
