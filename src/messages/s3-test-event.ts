/**
 * `s3:TestEvent` — what S3 sends once when a notification configuration is saved:
 * `{"Service":"Amazon S3","Event":"s3:TestEvent","Time":...,"Bucket":...,"RequestId":...,"HostId":...}`.
 * It is acknowledged and deleted; nothing else happens (docs/design.md §2.3).
 */
import { unsupportedEvent } from './fields.ts';

export function isS3TestEvent(body: Record<string, unknown>): boolean {
  return body['Event'] === 's3:TestEvent' || (body['Service'] === 'Amazon S3' && 'Event' in body);
}

/** Returns normally for a test event; anything else shaped like one is unsupported. */
export function checkS3TestEvent(body: Record<string, unknown>): void {
  const event = body['Event'];
  if (event !== 's3:TestEvent') {
    throw unsupportedEvent(
      { format: 's3-test-event', label: 'S3 service event' },
      typeof event === 'string' ? event : String(event),
      'only s3:TestEvent is expected in this shape',
    );
  }
}
