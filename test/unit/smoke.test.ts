import { test } from 'vitest';
import assert from 'node:assert/strict';
import { IngestError, isIngestError, permanent, transient } from '../../src/core/errors.ts';

test('IngestError carries a stable code and retryable flag', () => {
  const p = permanent('MESSAGE_INVALID_JSON', 'bad');
  const t = transient('THROTTLED', 'slow down');
  assert.equal(p.retryable, false);
  assert.equal(t.retryable, true);
  assert.ok(isIngestError(p));
  assert.ok(p instanceof IngestError);
  assert.equal(isIngestError(new Error('x')), false);
});
