import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isIngestError, type IngestError } from '../../../src/core/errors.ts';

const FIXTURES = new URL('../../fixtures/messages/', import.meta.url);

/** The raw text of a fixture under test/fixtures/messages/ (e.g. 's3-put.json', 'bad/invalid-json.txt'). */
export function fixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

/** A fixture parsed as JSON, for tests that tweak one field. */
export function fixtureJson(name: string): Record<string, unknown> {
  return JSON.parse(fixture(name)) as Record<string, unknown>;
}

/**
 * Asserts `fn` throws a permanent IngestError with `code`, and that its message mentions
 * every string in `mentions` (field names, event names).
 */
export function assertFails(fn: () => unknown, code: string, ...mentions: string[]): IngestError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  assert.ok(thrown !== undefined, `expected ${code} but nothing was thrown`);
  assert.ok(isIngestError(thrown), `expected an IngestError, got ${String(thrown)}`);
  assert.equal(thrown.code, code, `wrong code; message was: ${thrown.message}`);
  assert.equal(thrown.retryable, false, 'parse errors are permanent');
  for (const m of mentions) {
    assert.ok(thrown.message.includes(m), `message should mention ${JSON.stringify(m)}: ${thrown.message}`);
  }
  return thrown;
}
