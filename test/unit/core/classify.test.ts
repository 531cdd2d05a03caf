import { test } from 'vitest';
import assert from 'node:assert/strict';
import { classifyError } from '../../../src/pipeline/classify.ts';
import { permanent } from '../../../src/errors.ts';

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
