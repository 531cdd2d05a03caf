import { describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { parseMessageBody } from '../../../src/messages/parse.ts';
import type { FileEvent, ParsedMessage } from '../../../src/messages/file-event.ts';
import { fixture } from './helpers.ts';

const BUCKET = 'spot-ingest-fixtures';
const RECEIVED = new Date('2030-01-01T00:00:00.000Z');

function events(name: string, format: string): FileEvent[] {
  const parsed: ParsedMessage = parseMessageBody(fixture(name), RECEIVED);
  assert.equal(parsed.kind, 'events');
  assert.equal(parsed.format, format);
  return parsed.kind === 'events' ? parsed.events : [];
}

const S3_PUT_EVENT: FileEvent = {
  kind: 'upsert',
  bucket: BUCKET,
  key: 'samples/請求書 2024+final.pdf',
  size: 482113,
  etag: '0b5bd2a6e8c4f3e1d0d5b7b3c2a1f9e8',
  versionId: '3HL4kqtJlcpXroDTDmjVBH40Nrjfkd',
  sequencer: '0066A1B2C3D4E5F601',
  eventTime: '2024-07-25T03:14:15.926Z',
};

const NATIVE_UPLOAD_EVENT: FileEvent = {
  kind: 'upsert',
  bucket: BUCKET,
  key: 'samples/contracts/契約書 v2+final.pdf',
  size: 254810,
  mimeType: 'application/pdf',
  originalPath: '\\\\fileserver\\legal\\契約書 v2+final.pdf',
  checksum: 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  eventTime: '2024-07-25T03:34:56.789Z',
};

const EVENTBRIDGE_CREATED_EVENT: FileEvent = {
  kind: 'upsert',
  bucket: BUCKET,
  key: 'samples/スキャン 2024/領収書+控え.png',
  size: 1048576,
  etag: 'b1946ac92492d2347c6235b4d2611184',
  versionId: 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e',
  sequencer: '00617F08299329D189',
  eventTime: '2024-07-25T05:06:07.000Z',
};

describe('native events', () => {
  test('native-upload.json: FILE_UPLOADED → one upsert, offset timestamp normalised to UTC', () => {
    assert.deepEqual(events('native-upload.json', 'native'), [NATIVE_UPLOAD_EVENT]);
  });

  test('native-modified.json: FILE_MODIFIED with digit-string size, epoch-seconds uploadedAt, metadata fallbacks', () => {
    assert.deepEqual(events('native-modified.json', 'native'), [
      {
        kind: 'upsert',
        bucket: BUCKET,
        key: 'samples/notes/meeting 50%+.txt',
        size: 2048,
        mimeType: 'text/plain',
        originalPath: '/home/tanaka/notes/meeting 50%+.txt',
        checksum: 'sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae',
        eventTime: '2024-07-25T09:33:20.000Z',
      },
    ]);
  });

  test('native-delete.json: FILE_DELETED → delete, epoch-ms timestamp, key with ../ kept verbatim', () => {
    assert.deepEqual(events('native-delete.json', 'native'), [
      {
        kind: 'delete',
        bucket: BUCKET,
        key: 'samples/../archive/古い資料.xlsx',
        eventTime: '2024-07-25T11:00:00.123Z',
      },
    ]);
  });
});

describe('S3 event notifications', () => {
  test('s3-put.json: URL-encoded Japanese, + for space and %2B for a literal +', () => {
    assert.deepEqual(events('s3-put.json', 's3-notification'), [S3_PUT_EVENT]);
  });

  test('s3-multi-records.json: one event per record, in order', () => {
    assert.deepEqual(events('s3-multi-records.json', 's3-notification'), [
      {
        kind: 'upsert',
        bucket: BUCKET,
        key: 'samples/reports/q1 summary.docx',
        size: 73214,
        etag: 'd41d8cd98f00b204e9800998ecf8427e-3',
        sequencer: '0066A1B2C3D4E5F610',
        eventTime: '2024-07-25T04:00:00.000Z',
      },
      {
        kind: 'upsert',
        bucket: BUCKET,
        key: 'samples/100% done.txt',
        size: 12,
        etag: '6f5902ac237024bdd0c176cb93063dc4',
        sequencer: '0066A1B2C3D4E5F611',
        eventTime: '2024-07-25T04:00:01.000Z',
      },
      {
        kind: 'delete',
        bucket: BUCKET,
        key: 'samples/../escape/notes.txt',
        sequencer: '0066A1B2C3D4E5F612',
        eventTime: '2024-07-25T04:00:02.000Z',
      },
    ]);
  });

  test('s3-removed.json: ObjectRemoved:DeleteMarkerCreated → delete with versionId, no size', () => {
    assert.deepEqual(events('s3-removed.json', 's3-notification'), [
      {
        kind: 'delete',
        bucket: BUCKET,
        key: 'samples/old/議事録 2023.txt',
        versionId: 'Z5XQmGz1YPX0uvVJrnoNw1Vt6r8S7yQp',
        sequencer: '0066A1B2C3D4E5F620',
        eventTime: '2024-07-26T09:30:00.000Z',
      },
    ]);
  });

  test('s3-lifecycle-expiration.json: LifecycleExpiration:Delete → delete', () => {
    const [event] = events('s3-lifecycle-expiration.json', 's3-notification');
    assert.equal(event?.kind, 'delete');
    assert.equal(event?.key, 'samples/tmp/scan-0001.tif');
  });

  test('s3-test-event.json → test, nothing else', () => {
    assert.deepEqual(parseMessageBody(fixture('s3-test-event.json'), RECEIVED), {
      kind: 'test',
      format: 's3-test-event',
    });
  });
});

describe('EventBridge S3 events', () => {
  test('eventbridge-created.json: Object Created → upsert, key not URL-decoded', () => {
    assert.deepEqual(events('eventbridge-created.json', 'eventbridge'), [EVENTBRIDGE_CREATED_EVENT]);
  });

  test('eventbridge-deleted.json: Object Deleted → delete, key with % kept verbatim', () => {
    assert.deepEqual(events('eventbridge-deleted.json', 'eventbridge'), [
      {
        kind: 'delete',
        bucket: BUCKET,
        key: 'samples/100% 完了/report (1).pdf',
        etag: 'd41d8cd98f00b204e9800998ecf8427e',
        versionId: '1QW9g1Z99LUNbvaaYVpW9xDlOLU.qxgF',
        sequencer: '00617F0837B476E463',
        eventTime: '2024-07-25T06:00:00.000Z',
      },
    ]);
  });
});

describe('SNS-wrapped messages report the inner format', () => {
  test('sns-s3-put.json', () => {
    assert.deepEqual(events('sns-s3-put.json', 's3-notification'), [S3_PUT_EVENT]);
  });

  test('sns-native.json', () => {
    assert.deepEqual(events('sns-native.json', 'native'), [NATIVE_UPLOAD_EVENT]);
  });

  test('sns-eventbridge.json', () => {
    assert.deepEqual(events('sns-eventbridge.json', 'eventbridge'), [EVENTBRIDGE_CREATED_EVENT]);
  });

  test('sns-s3-test-event.json → test', () => {
    assert.deepEqual(parseMessageBody(fixture('sns-s3-test-event.json'), RECEIVED), {
      kind: 'test',
      format: 's3-test-event',
    });
  });
});
