import { test } from 'vitest';
import assert from 'node:assert/strict';
import { classifyError } from '../../../src/core/classify.ts';
import { permanent } from '../../../src/core/errors.ts';

const sdk = (name: string, status?: number, extra: object = {}) =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status }, ...extra });

test('IngestErrors pass through unchanged', () => {
  const e = permanent('OBJECT_TOO_LARGE', 'big');
  assert.equal(classifyError(e), e);
});

for (const [err, code] of [
  [sdk('ThrottlingException', 400), 'THROTTLED'],
  [sdk('ProvisionedThroughputExceededException', 400), 'THROTTLED'],
  [sdk('SlowDown', 503), 'THROTTLED'],
  [sdk('Whatever', 429), 'THROTTLED'],
  [sdk('InternalServerError', 500), 'DEPENDENCY_UNAVAILABLE'],
  [sdk('SomethingBroke', 502), 'DEPENDENCY_UNAVAILABLE'],
  [sdk('TimeoutError'), 'TIMEOUT'],
  [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'CONNECTION'],
  [Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } }), 'CONNECTION'],
  [sdk('AccessDenied', 403), 'ACCESS_DENIED'],
  [Object.assign(new Error('aborted'), { name: 'AbortError' }), 'ABORTED'],
  [new TypeError('x is undefined'), 'INTERNAL'],
] as const) {
  test(`${(err as Error).name}/${(err as { code?: string }).code ?? ''} is transient ${code}`, () => {
    const e = classifyError(err);
    assert.equal(e.code, code);
    assert.equal(e.retryable, true);
  });
}

test('the rest of the map: a thrown string, server faults, $retryable, 401, a full disk, and an error a gated port tagged', () => {
  const string = classifyError('boom');
  assert.deepEqual([string.code, string.retryable, string.message], ['INTERNAL', true, 'Error: boom']);
  assert.equal(classifyError(Object.assign(new Error('x'), { $fault: 'server' })).code, 'DEPENDENCY_UNAVAILABLE');
  const nameless = classifyError({ message: 'bad gateway', $metadata: { httpStatusCode: 502 } });
  assert.deepEqual([nameless.code, nameless.message], ['DEPENDENCY_UNAVAILABLE', 'HTTP 502: bad gateway']);
  assert.equal(classifyError(sdk('Unauthorized', 401)).code, 'ACCESS_DENIED');
  assert.equal(classifyError(sdk('Odd', undefined, { $retryable: {} })).code, 'DEPENDENCY_RETRYABLE');
  assert.equal(classifyError(Object.assign(new Error('no space'), { code: 'ENOSPC' })).code, 'DISK_FULL');
  assert.equal(classifyError(Object.assign(new Error('reset'), { code: 'ECONNRESET', dependency: 's3' })).dependency, 's3');
  assert.equal(classifyError(Object.assign(new Error('reset'), { code: 'ECONNRESET', dependency: 'nonsense' })).dependency, undefined);
  const tagged = classifyError(Object.assign(new Error('x'), { name: 'ServiceUnavailable', dependency: 'dynamodb' }));
  assert.equal(tagged.from('s3'), tagged, 'an attributed error keeps its dependency');
});
