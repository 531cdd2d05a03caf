/** Queue bodies in each upstream format (docs/design.md §2), for tests. */
export function nativeEvent(bucket: string, key: string, extra: Record<string, unknown> = {}): object {
  return { eventType: 'FILE_UPLOADED', s3Bucket: bucket, s3Key: key, timestamp: new Date().toISOString(), ...extra };
}

export function s3Event(bucket: string, key: string, options: { eventName?: string; sequencer?: string; size?: number } = {}): object {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: new Date().toISOString(),
        eventName: options.eventName ?? 'ObjectCreated:Put',
        s3: {
          s3SchemaVersion: '1.0',
          bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
          object: {
            key: encodeURIComponent(key).replaceAll('%20', '+').replaceAll('%2F', '/'),
            ...(options.size === undefined ? {} : { size: options.size }),
            ...(options.sequencer === undefined ? {} : { sequencer: options.sequencer }),
          },
        },
      },
    ],
  };
}

export function eventBridgeEvent(bucket: string, key: string, detailType = 'Object Created'): object {
  return {
    version: '0',
    id: '17793124-05d4-b198-2fde-7ededc63b103',
    'detail-type': detailType,
    source: 'aws.s3',
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [`arn:aws:s3:::${bucket}`],
    detail: { version: '0', bucket: { name: bucket }, object: { key }, reason: 'PutObject' },
  };
}

export function snsWrapped(inner: object): object {
  return {
    Type: 'Notification',
    MessageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
    TopicArn: 'arn:aws:sns:us-east-1:123456789012:uploads',
    Message: JSON.stringify(inner),
    Timestamp: new Date().toISOString(),
    SignatureVersion: '1',
  };
}
