import { describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { parseMessageBody } from '../../../src/messages/parse.ts';
import { assertFails, fixture, fixtureJson } from './helpers.ts';

const parse = (body: string) => () => parseMessageBody(body, new Date('2030-01-01T00:00:00Z'));
const parseObj = (value: unknown) => parse(JSON.stringify(value));

describe('bad fixtures', () => {
  test('bad/invalid-json.txt → MESSAGE_INVALID_JSON', () => {
    assertFails(parse(fixture('bad/invalid-json.txt')), 'MESSAGE_INVALID_JSON', 'not valid JSON');
  });

  test('bad/unknown-shape.json → MESSAGE_UNKNOWN_FORMAT naming the keys it saw', () => {
    assertFails(parse(fixture('bad/unknown-shape.json')), 'MESSAGE_UNKNOWN_FORMAT', 'orderId');
  });

  test('bad/missing-key.json → MESSAGE_INVALID_FIELD naming Records[0].s3.object.key', () => {
    const err = assertFails(parse(fixture('bad/missing-key.json')), 'MESSAGE_INVALID_FIELD', 'Records[0].s3.object.key', 'missing');
    assert.equal(err.details?.['field'], 'Records[0].s3.object.key');
    assert.equal(err.details?.['format'], 's3-notification');
  });

  test('bad/negative-size.json → MESSAGE_INVALID_FIELD naming fileSize', () => {
    assertFails(parse(fixture('bad/negative-size.json')), 'MESSAGE_INVALID_FIELD', 'fileSize', 'negative');
  });

  test('bad/absurd-size.json → MESSAGE_INVALID_FIELD naming detail.object.size', () => {
    assertFails(parse(fixture('bad/absurd-size.json')), 'MESSAGE_INVALID_FIELD', 'detail.object.size', '50 TiB');
  });

  test('bad/unsupported-event.json (ObjectRestore:Completed) → EVENT_UNSUPPORTED', () => {
    assertFails(parse(fixture('bad/unsupported-event.json')), 'EVENT_UNSUPPORTED', 'ObjectRestore:Completed');
  });

  test('bad/eventbridge-restore-completed.json → EVENT_UNSUPPORTED', () => {
    assertFails(parse(fixture('bad/eventbridge-restore-completed.json')), 'EVENT_UNSUPPORTED', 'Object Restore Completed');
  });

  test('bad/malformed-escape.json → MESSAGE_INVALID_FIELD naming the key', () => {
    assertFails(parse(fixture('bad/malformed-escape.json')), 'MESSAGE_INVALID_FIELD', 'Records[0].s3.object.key', '%-escape');
  });

  test('bad/sns-invalid-inner-json.json → MESSAGE_INVALID_JSON about the SNS Message', () => {
    assertFails(parse(fixture('bad/sns-invalid-inner-json.json')), 'MESSAGE_INVALID_JSON', 'SNS', 'Message');
  });

  test('bad/native-unknown-event-type.json → EVENT_UNSUPPORTED', () => {
    assertFails(parse(fixture('bad/native-unknown-event-type.json')), 'EVENT_UNSUPPORTED', 'FILE_RENAMED');
  });

  test('bad/bad-timestamp.json → MESSAGE_INVALID_FIELD naming timestamp', () => {
    assertFails(parse(fixture('bad/bad-timestamp.json')), 'MESSAGE_INVALID_FIELD', '"timestamp"', 'yesterday');
  });
});

describe('MESSAGE_INVALID_JSON', () => {
  for (const [name, body] of [
    ['empty body', ''],
    ['whitespace only', '  \n'],
    ['plain text', 'hello world'],
    ['truncated object', '{"Records":['],
    ['XML', '<Event/>'],
  ] as const) {
    test(name, () => {
      assertFails(parse(body), 'MESSAGE_INVALID_JSON', 'message body');
    });
  }

  test('a non-string body (defensive) is reported, not crashed on', () => {
    assertFails(() => parseMessageBody(undefined as unknown as string), 'MESSAGE_INVALID_JSON', 'missing');
  });

  test('a UTF-8 BOM before valid JSON is tolerated', () => {
    const parsed = parseMessageBody(`\uFEFF${fixture('s3-test-event.json')}`);
    assert.equal(parsed.kind, 'test');
  });

  test('SNS Message that is plain text', () => {
    const env = { ...fixtureJson('sns-s3-put.json'), Message: 'Hello from SNS' };
    assertFails(parseObj(env), 'MESSAGE_INVALID_JSON', 'SNS notification field "Message"');
  });

  test('SNS Message that is an empty string', () => {
    const env = { ...fixtureJson('sns-s3-put.json'), Message: '' };
    assertFails(parseObj(env), 'MESSAGE_INVALID_JSON', 'SNS');
  });
});

describe('MESSAGE_UNKNOWN_FORMAT', () => {
  for (const [name, value] of [
    ['null', null],
    ['a number', 42],
    ['a string', 'FILE_UPLOADED'],
    ['an array of events', [{ eventType: 'FILE_UPLOADED' }]],
    ['an empty object', {}],
  ] as const) {
    test(name, () => {
      assertFails(parseObj(value), 'MESSAGE_UNKNOWN_FORMAT', 'no known format');
    });
  }

  test('Records from another service (eventSource aws:sqs)', () => {
    const body = fixtureJson('s3-put.json');
    (body['Records'] as Record<string, unknown>[])[0]!['eventSource'] = 'aws:sqs';
    assertFails(parseObj(body), 'MESSAGE_UNKNOWN_FORMAT', 'Records[0].eventSource', 'aws:sqs');
  });

  test('SNS inside SNS is only unwrapped once', () => {
    const inner = fixtureJson('sns-s3-put.json');
    const outer = { ...inner, Message: JSON.stringify(inner) };
    assertFails(parseObj(outer), 'MESSAGE_UNKNOWN_FORMAT', 'SNS');
  });

  test('SNS Message of an unknown shape mentions the SNS envelope', () => {
    const env = { ...fixtureJson('sns-s3-put.json'), Message: JSON.stringify({ hello: 'world' }) };
    const err = assertFails(parseObj(env), 'MESSAGE_UNKNOWN_FORMAT', 'hello', '95df01b4-ee98-5cb9-9903-4c221d41eb5e');
    assert.equal(err.details?.['envelope'], 'sns');
  });
});

describe('EVENT_UNSUPPORTED', () => {
  function s3WithEventName(eventName: string): Record<string, unknown> {
    const body = fixtureJson('s3-put.json');
    (body['Records'] as Record<string, unknown>[])[0]!['eventName'] = eventName;
    return body;
  }

  for (const eventName of [
    'ObjectRestore:Post',
    'ObjectRestore:Completed',
    'ObjectRestore:Delete',
    's3:Replication:OperationFailedReplication',
    'Replication:OperationReplicatedAfterThreshold',
    'ObjectTagging:Put',
    'ObjectTagging:Delete',
    'ObjectAcl:Put',
    'LifecycleTransition',
    'IntelligentTiering',
  ]) {
    test(`S3 ${eventName}`, () => {
      assertFails(parseObj(s3WithEventName(eventName)), 'EVENT_UNSUPPORTED', eventName);
    });
  }

  test('the s3: prefix on supported event names is accepted', () => {
    const parsed = parseMessageBody(JSON.stringify(s3WithEventName('s3:ObjectCreated:Put')));
    assert.equal(parsed.kind === 'events' && parsed.events[0]?.kind, 'upsert');
  });

  test('one unsupported record among supported ones fails the message, naming the record', () => {
    const body = fixtureJson('s3-multi-records.json');
    (body['Records'] as Record<string, unknown>[])[1]!['eventName'] = 'ObjectTagging:Put';
    assertFails(parseObj(body), 'EVENT_UNSUPPORTED', 'ObjectTagging:Put', 'Records[1]');
  });

  for (const detailType of ['Object Restore Completed', 'Object Restore Initiated', 'Object Tags Added', 'Object ACL Updated']) {
    test(`EventBridge ${detailType}`, () => {
      const body = { ...fixtureJson('eventbridge-created.json'), 'detail-type': detailType };
      assertFails(parseObj(body), 'EVENT_UNSUPPORTED', detailType);
    });
  }

  test('EventBridge event from another source', () => {
    const body = { ...fixtureJson('eventbridge-created.json'), source: 'aws.ec2', 'detail-type': 'EC2 Spot Instance Interruption Warning' };
    assertFails(parseObj(body), 'EVENT_UNSUPPORTED', 'aws.ec2');
  });

  for (const eventType of ['FILE_RENAMED', 'file_uploaded', '']) {
    test(`native eventType ${JSON.stringify(eventType)}`, () => {
      const body = { ...fixtureJson('native-upload.json'), eventType };
      assertFails(parseObj(body), 'EVENT_UNSUPPORTED', 'FILE_UPLOADED, FILE_MODIFIED, FILE_DELETED');
    });
  }

  test('a key named like a prototype property is not an eventType', () => {
    const body = { ...fixtureJson('native-upload.json'), eventType: 'toString' };
    assertFails(parseObj(body), 'EVENT_UNSUPPORTED', 'toString');
    const eb = { ...fixtureJson('eventbridge-created.json'), 'detail-type': 'constructor' };
    assertFails(parseObj(eb), 'EVENT_UNSUPPORTED', 'constructor');
  });

  test('SNS SubscriptionConfirmation', () => {
    const body = {
      Type: 'SubscriptionConfirmation',
      MessageId: '165545c9-2a5c-472c-8df2-7ff2be2b3b1b',
      Token: '2336412f37f',
      TopicArn: 'arn:aws:sns:ap-northeast-1:111122223333:spot-ingest-file-events',
      Message: 'You have chosen to subscribe to the topic arn:aws:sns:ap-northeast-1:111122223333:spot-ingest-file-events.',
      SubscribeURL: 'https://sns.ap-northeast-1.amazonaws.com/?Action=ConfirmSubscription&Token=2336412f37f',
      Timestamp: '2024-07-25T00:00:00.000Z',
    };
    assertFails(parseObj(body), 'EVENT_UNSUPPORTED', 'SubscriptionConfirmation');
  });

  test('an unsupported event inside SNS keeps its code', () => {
    const env = { ...fixtureJson('sns-s3-put.json'), Message: fixture('bad/unsupported-event.json') };
    assertFails(parseObj(env), 'EVENT_UNSUPPORTED', 'ObjectRestore:Completed', 'SNS');
  });

  test('S3-shaped service message other than s3:TestEvent', () => {
    assertFails(parseObj({ Service: 'Amazon S3', Event: 's3:SomethingElse' }), 'EVENT_UNSUPPORTED', 's3:SomethingElse');
  });
});

describe('MESSAGE_INVALID_FIELD names the field', () => {
  test('S3: Records not an array / empty', () => {
    assertFails(parseObj({ Records: {} }), 'MESSAGE_INVALID_FIELD', '"Records"');
    assertFails(parseObj({ Records: [] }), 'MESSAGE_INVALID_FIELD', '"Records"', 'empty');
  });

  test('S3: record missing eventName', () => {
    const body = fixtureJson('s3-put.json');
    delete (body['Records'] as Record<string, unknown>[])[0]!['eventName'];
    assertFails(parseObj(body), 'MESSAGE_INVALID_FIELD', 'Records[0].eventName', 'missing');
  });

  test('S3: missing bucket object / empty bucket name', () => {
    const body = fixtureJson('s3-put.json');
    const s3 = (body['Records'] as { s3: Record<string, unknown> }[])[0]!.s3;
    s3['bucket'] = { name: '' };
    assertFails(parseObj(body), 'MESSAGE_INVALID_FIELD', 'Records[0].s3.bucket.name', 'empty');
    delete s3['bucket'];
    assertFails(parseObj(body), 'MESSAGE_INVALID_FIELD', 'Records[0].s3.bucket', 'missing');
  });

  test('S3: key of the wrong type', () => {
    const body = fixtureJson('s3-put.json');
    (body['Records'] as { s3: { object: Record<string, unknown> } }[])[0]!.s3.object['key'] = 12;
    assertFails(parseObj(body), 'MESSAGE_INVALID_FIELD', 'Records[0].s3.object.key', 'must be a string');
  });

  test('S3: second record invalid names Records[1]', () => {
    const body = fixtureJson('s3-multi-records.json');
    (body['Records'] as { s3: { object: Record<string, unknown> } }[])[1]!.s3.object['size'] = -5;
    assertFails(parseObj(body), 'MESSAGE_INVALID_FIELD', 'Records[1].s3.object.size');
  });

  test('S3: unparseable eventTime', () => {
    const body = fixtureJson('s3-put.json');
    (body['Records'] as Record<string, unknown>[])[0]!['eventTime'] = 'not a time';
    assertFails(parseObj(body), 'MESSAGE_INVALID_FIELD', 'Records[0].eventTime');
  });

  test('EventBridge: missing detail.object.key, empty bucket, bad time', () => {
    const body = fixtureJson('eventbridge-created.json') as { detail: { object: Record<string, unknown>; bucket: Record<string, unknown> }; time: unknown };
    body.time = '2024-02-30T00:00:00Z';
    assertFails(parseObj(body), 'MESSAGE_INVALID_FIELD', '"time"');
    body.detail.bucket['name'] = '';
    assertFails(parseObj(body), 'MESSAGE_INVALID_FIELD', 'detail.bucket.name');
    delete body.detail.object['key'];
    assertFails(parseObj(body), 'MESSAGE_INVALID_FIELD', 'detail.object.key', 'missing');
  });

  test('EventBridge: missing detail', () => {
    const body = fixtureJson('eventbridge-created.json');
    delete body['detail'];
    assertFails(parseObj(body), 'MESSAGE_INVALID_FIELD', '"detail"', 'missing');
  });

  test('native: missing / empty s3Key, missing s3Bucket, missing eventType', () => {
    const base = fixtureJson('native-upload.json');
    const { s3Key: _k, ...noKey } = base;
    assertFails(parseObj(noKey), 'MESSAGE_INVALID_FIELD', '"s3Key"', 'missing');
    assertFails(parseObj({ ...base, s3Key: '' }), 'MESSAGE_INVALID_FIELD', '"s3Key"', 'empty');
    const { s3Bucket: _b, ...noBucket } = base;
    assertFails(parseObj(noBucket), 'MESSAGE_INVALID_FIELD', '"s3Bucket"', 'missing');
    const { eventType: _t, ...noType } = base;
    assertFails(parseObj(noType), 'MESSAGE_INVALID_FIELD', '"eventType"', 'missing');
  });

  test('native: invalid bucket name', () => {
    const body = { ...fixtureJson('native-upload.json'), s3Bucket: 'spot-ingest-fixtures/samples' };
    assertFails(parseObj(body), 'MESSAGE_INVALID_FIELD', '"s3Bucket"', 'bucket name');
  });

  test('native: mimeType of the wrong type', () => {
    const body = { ...fixtureJson('native-upload.json'), mimeType: 7 };
    assertFails(parseObj(body), 'MESSAGE_INVALID_FIELD', '"mimeType"', 'must be a string');
  });

  test('native: uploadedAt named when it is the timestamp used', () => {
    const { timestamp: _t, ...body } = fixtureJson('native-upload.json');
    assertFails(parseObj({ ...body, uploadedAt: 'soon' }), 'MESSAGE_INVALID_FIELD', '"uploadedAt"');
  });

  test('SNS: Message not a string', () => {
    const env = { ...fixtureJson('sns-s3-put.json'), Message: { Records: [] } };
    assertFails(parseObj(env), 'MESSAGE_INVALID_FIELD', '"Message"');
  });

  test('a field error inside SNS keeps the inner field name and says it came via SNS', () => {
    const env = { ...fixtureJson('sns-s3-put.json'), Message: fixture('bad/missing-key.json') };
    const err = assertFails(parseObj(env), 'MESSAGE_INVALID_FIELD', 'Records[0].s3.object.key', 'SNS notification');
    assert.equal(err.details?.['field'], 'Records[0].s3.object.key');
    assert.equal(err.details?.['topicArn'], 'arn:aws:sns:ap-northeast-1:111122223333:spot-ingest-file-events');
  });
});
