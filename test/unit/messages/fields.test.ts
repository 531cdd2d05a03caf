import { describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { parseMessageBody } from '../../../src/messages/parse.ts';
import type { FileEvent } from '../../../src/messages/file-event.ts';
import { MAX_OBJECT_SIZE } from '../../../src/messages/fields.ts';
import { assertFails, fixtureJson } from './helpers.ts';

const RECEIVED = new Date('2030-01-02T03:04:05.678Z');

function only(body: unknown): FileEvent {
  const parsed = parseMessageBody(JSON.stringify(body), RECEIVED);
  assert.equal(parsed.kind, 'events');
  if (parsed.kind !== 'events') throw new Error('unreachable');
  assert.equal(parsed.events.length, 1);
  return parsed.events[0]!;
}

function s3WithKey(encodedKey: string): unknown {
  const body = fixtureJson('s3-put.json');
  (body['Records'] as { s3: { object: Record<string, unknown> } }[])[0]!.s3.object['key'] = encodedKey;
  return body;
}
function ebWithObject(patch: Record<string, unknown>): unknown {
  const body = fixtureJson('eventbridge-created.json') as { detail: { object: Record<string, unknown> } };
  Object.assign(body.detail.object, patch);
  return body;
}
function native(patch: Record<string, unknown>): Record<string, unknown> {
  return { ...fixtureJson('native-upload.json'), ...patch };
}

describe('keys come through exactly', () => {
  const cases: [string, string][] = [
    ['space', 'samples/annual report.pdf'],
    ['plus', 'samples/a+b=c.txt'],
    ['percent', 'samples/100% sure %41.txt'],
    ['Japanese', 'samples/日本語/ファイル名 テスト.docx'],
    ['dot-dot segments', 'samples/../../etc/passwd'],
    ['leading slash and double slash', '/samples//x.txt'],
    ['emoji and combining marks', 'samples/📄 café.txt'],
  ];
  for (const [name, key] of cases) {
    test(`${name}: S3 notification (form-encoded)`, () => {
      const encoded = key.split('/').map((s) => encodeURIComponent(s).replaceAll('%20', '+')).join('/');
      assert.equal(only(s3WithKey(encoded)).key, key);
    });
    test(`${name}: EventBridge (literal)`, () => {
      assert.equal(only(ebWithObject({ key })).key, key);
    });
    test(`${name}: native (literal)`, () => {
      assert.equal(only(native({ s3Key: key })).key, key);
    });
  }

  test('S3 notification: + is a space, %2B is a plus, %25 is a percent', () => {
    assert.equal(only(s3WithKey('samples/a+b%2Bc%25d')).key, 'samples/a b+c%d');
  });

  test('S3 notification: a raw % that is not an escape is rejected', () => {
    assertFails(() => parseMessageBody(JSON.stringify(s3WithKey('samples/100%.txt'))), 'MESSAGE_INVALID_FIELD', 'Records[0].s3.object.key');
  });

  test('S3 notification: an escape that is not valid UTF-8 is rejected', () => {
    assertFails(() => parseMessageBody(JSON.stringify(s3WithKey('samples/%E3%81.txt'))), 'MESSAGE_INVALID_FIELD', 'Records[0].s3.object.key');
  });

  test('native and EventBridge keys are never URL-decoded', () => {
    assert.equal(only(native({ s3Key: 'samples/a%2Bb+c' })).key, 'samples/a%2Bb+c');
    assert.equal(only(ebWithObject({ key: 'samples/a%2Bb+c' })).key, 'samples/a%2Bb+c');
  });

  test('a key of exactly 1024 UTF-8 bytes is accepted; 1025 is not', () => {
    const ok = `samples/${'あ'.repeat(338)}xx`; // 8 + 338*3 + 2 = 1024 bytes
    assert.equal(Buffer.byteLength(ok), 1024);
    assert.equal(only(native({ s3Key: ok })).key, ok);
    assertFails(() => parseMessageBody(JSON.stringify(native({ s3Key: `${ok}x` }))), 'MESSAGE_INVALID_FIELD', '"s3Key"', '1025 bytes');
  });

  test('an over-long key is measured after URL-decoding', () => {
    const key = `samples/${'日'.repeat(400)}`; // 1208 bytes decoded
    const encoded = key.split('/').map((s) => encodeURIComponent(s)).join('/');
    assertFails(() => parseMessageBody(JSON.stringify(s3WithKey(encoded))), 'MESSAGE_INVALID_FIELD', 'Records[0].s3.object.key', 'bytes');
  });

  test('NUL in a key is rejected (literal and URL-encoded)', () => {
    assertFails(() => parseMessageBody(JSON.stringify(native({ s3Key: 'samples/a\u0000b' }))), 'MESSAGE_INVALID_FIELD', '"s3Key"', 'NUL');
    assertFails(() => parseMessageBody(JSON.stringify(s3WithKey('samples/a%00b'))), 'MESSAGE_INVALID_FIELD', 'Records[0].s3.object.key', 'NUL');
    assertFails(() => parseMessageBody(JSON.stringify(ebWithObject({ key: '\u0000' }))), 'MESSAGE_INVALID_FIELD', 'detail.object.key', 'NUL');
  });

  test('an unpaired surrogate in a key is rejected', () => {
    assertFails(() => parseMessageBody('{"eventType":"FILE_UPLOADED","s3Bucket":"spot-ingest-fixtures","s3Key":"samples/\\ud800.txt"}'), 'MESSAGE_INVALID_FIELD', '"s3Key"', 'Unicode');
  });
});

describe('sizes', () => {
  test('absent, null, zero and the 50 TiB limit are fine', () => {
    assert.equal(only(native({ fileSize: undefined })).size, undefined);
    assert.equal('size' in only(native({ fileSize: null })), false);
    assert.equal(only(native({ fileSize: 0 })).size, 0);
    assert.equal(only(native({ fileSize: MAX_OBJECT_SIZE })).size, MAX_OBJECT_SIZE);
    assert.equal(only(native({ fileSize: '1234567' })).size, 1234567);
  });

  for (const [name, fileSize, mention] of [
    ['negative', -1, 'negative'],
    ['fractional', 12.5, 'whole number'],
    ['too big', MAX_OBJECT_SIZE + 1, '50 TiB'],
    ['a non-digit string', '12kb', 'number of bytes'],
    ['a negative string', '-5', 'number of bytes'],
    ['a boolean', true, 'number of bytes'],
    ['an object', { bytes: 5 }, 'number of bytes'],
    ['a huge digit string', '99999999999999999999999', '50 TiB'],
  ] as const) {
    test(`native fileSize ${name} is rejected`, () => {
      assertFails(() => parseMessageBody(JSON.stringify(native({ fileSize }))), 'MESSAGE_INVALID_FIELD', '"fileSize"', mention);
    });
  }

  test('non-finite size (1e999 parses to Infinity) is rejected', () => {
    const body = JSON.stringify(native({ fileSize: 0 })).replace('"fileSize":0', '"fileSize":1e999');
    assertFails(() => parseMessageBody(body), 'MESSAGE_INVALID_FIELD', '"fileSize"', 'finite');
  });

  test('S3 and EventBridge sizes are validated the same way', () => {
    const s3 = fixtureJson('s3-put.json');
    (s3['Records'] as { s3: { object: Record<string, unknown> } }[])[0]!.s3.object['size'] = 1.5;
    assertFails(() => parseMessageBody(JSON.stringify(s3)), 'MESSAGE_INVALID_FIELD', 'Records[0].s3.object.size');
    assertFails(() => parseMessageBody(JSON.stringify(ebWithObject({ size: -10 }))), 'MESSAGE_INVALID_FIELD', 'detail.object.size', 'negative');
  });
});

describe('event times', () => {
  const at = (timestamp: unknown) => only(native({ timestamp })).eventTime;

  test('epoch seconds and epoch milliseconds (numbers)', () => {
    assert.equal(at(1721900000), '2024-07-25T09:33:20.000Z');
    assert.equal(at(1721900000123), '2024-07-25T09:33:20.123Z');
    assert.equal(at(1721900000.5), '2024-07-25T09:33:20.500Z');
  });

  test('epoch as a digit string', () => {
    assert.equal(at('1721900000'), '2024-07-25T09:33:20.000Z');
    assert.equal(at('1721900000123'), '2024-07-25T09:33:20.123Z');
  });

  test('ISO-8601 variants normalise to UTC with milliseconds', () => {
    assert.equal(at('2024-07-25T12:34:56+09:00'), '2024-07-25T03:34:56.000Z');
    assert.equal(at('2024-07-25T12:34:56+0900'), '2024-07-25T03:34:56.000Z');
    assert.equal(at('2024-07-25T03:34:56.123456Z'), '2024-07-25T03:34:56.123Z');
    assert.equal(at('2024-07-25 03:34:56Z'), '2024-07-25T03:34:56.000Z');
    assert.equal(at('2024-07-25T03:34:56'), '2024-07-25T03:34:56.000Z'); // no offset ⇒ UTC
    assert.equal(at('2024-07-25'), '2024-07-25T00:00:00.000Z');
  });

  test('missing, null or empty ⇒ receivedAt', () => {
    const { timestamp: _t, ...noTime } = native({});
    assert.equal(only(noTime).eventTime, RECEIVED.toISOString());
    assert.equal(at(null), RECEIVED.toISOString());
    assert.equal(at(''), RECEIVED.toISOString());
  });

  test('receivedAt defaults to now', () => {
    const { timestamp: _t, ...noTime } = native({});
    const before = Date.now();
    const parsed = parseMessageBody(JSON.stringify(noTime));
    const t = parsed.kind === 'events' ? Date.parse(parsed.events[0]!.eventTime) : NaN;
    assert.ok(t >= before && t <= Date.now());
  });

  test('an invalid receivedAt Date falls back to now instead of throwing', () => {
    const { timestamp: _t, ...noTime } = native({});
    const parsed = parseMessageBody(JSON.stringify(noTime), new Date(Number.NaN));
    assert.ok(parsed.kind === 'events' && !Number.isNaN(Date.parse(parsed.events[0]!.eventTime)));
  });

  test('uploadedAt is used when timestamp is absent', () => {
    const { timestamp: _t, ...body } = native({});
    assert.equal(only({ ...body, uploadedAt: '2024-01-02T03:04:05Z' }).eventTime, '2024-01-02T03:04:05.000Z');
    assert.equal(only({ ...body, uploadedAt: 1704164645 }).eventTime, '2024-01-02T03:04:05.000Z');
  });

  test('timestamp wins over uploadedAt', () => {
    assert.equal(only(native({ timestamp: 1704164645, uploadedAt: 1 })).eventTime, '2024-01-02T03:04:05.000Z');
  });

  for (const bad of ['yesterday', '2024-13-01T00:00:00Z', '2024-02-30', '2024-07-25T25:00:00Z', 'Thu, 25 Jul 2024 03:34:56 GMT', -1, true, {}, '12:00']) {
    test(`unparseable timestamp ${JSON.stringify(bad)} is rejected`, () => {
      assertFails(() => parseMessageBody(JSON.stringify(native({ timestamp: bad }))), 'MESSAGE_INVALID_FIELD', '"timestamp"');
    });
  }

  test('S3 and EventBridge times are normalised too', () => {
    const eb = fixtureJson('eventbridge-created.json');
    eb['time'] = '2024-07-25T14:06:07+09:00';
    assert.equal(only(eb).eventTime, '2024-07-25T05:06:07.000Z');
    delete eb['time'];
    assert.equal(only(eb).eventTime, RECEIVED.toISOString());
  });
});

describe('native metadata fallbacks', () => {
  const base = () => {
    const { mimeType: _m, originalPath: _o, ...rest } = fixtureJson('native-upload.json');
    return rest;
  };

  test('metadata.mimeType and metadata.originalPath', () => {
    const e = only({ ...base(), metadata: { mimeType: 'image/png', originalPath: 'C:\\scans\\a.png' } });
    assert.equal(e.mimeType, 'image/png');
    assert.equal(e.originalPath, 'C:\\scans\\a.png');
  });

  test('metadata.mime_type and metadata.original_path', () => {
    const e = only({ ...base(), metadata: { mime_type: 'text/csv', original_path: '/data/日報.csv' } });
    assert.equal(e.mimeType, 'text/csv');
    assert.equal(e.originalPath, '/data/日報.csv');
  });

  test('top-level values win over metadata', () => {
    const e = only(native({ metadata: { mimeType: 'image/png', original_path: '/elsewhere' } }));
    assert.equal(e.mimeType, 'application/pdf');
    assert.equal(e.originalPath, '\\\\fileserver\\legal\\契約書 v2+final.pdf');
  });

  test('empty or null top-level values fall back to metadata', () => {
    const e = only(native({ mimeType: '', originalPath: null, metadata: { mime_type: 'text/plain', originalPath: '/x.txt' } }));
    assert.equal(e.mimeType, 'text/plain');
    assert.equal(e.originalPath, '/x.txt');
  });

  test('no metadata, non-object metadata, or non-string metadata values ⇒ fields absent', () => {
    for (const metadata of [undefined, null, 'text/plain', ['a'], { mimeType: 5, original_path: {} }]) {
      const e = only({ ...base(), metadata });
      assert.equal('mimeType' in e, false);
      assert.equal('originalPath' in e, false);
    }
  });
});

describe('ETags and optional strings', () => {
  test('surrounding quotes are stripped from ETags', () => {
    assert.equal(only(ebWithObject({ etag: '"b1946ac92492d2347c6235b4d2611184"' })).etag, 'b1946ac92492d2347c6235b4d2611184');
    const s3 = fixtureJson('s3-put.json');
    (s3['Records'] as { s3: { object: Record<string, unknown> } }[])[0]!.s3.object['eTag'] = '"abc-2"';
    assert.equal(only(s3).etag, 'abc-2');
  });

  test('null / empty optional fields are omitted, not set to undefined', () => {
    const e = only(ebWithObject({ etag: '', 'version-id': null, sequencer: undefined, size: null }));
    assert.deepEqual(Object.keys(e).sort(), ['bucket', 'eventTime', 'key', 'kind']);
  });

  test('S3 versionId "null" (versioning-suspended bucket) is kept verbatim', () => {
    const s3 = fixtureJson('s3-put.json');
    (s3['Records'] as { s3: { object: Record<string, unknown> } }[])[0]!.s3.object['versionId'] = 'null';
    assert.equal(only(s3).versionId, 'null');
  });
});
