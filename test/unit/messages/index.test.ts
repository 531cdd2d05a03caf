import { test } from 'vitest';
import assert from 'node:assert/strict';
import * as messages from '../../../src/messages/index.ts';
import { parseMessageBody } from '../../../src/messages/parse.ts';
import { isErrorCode } from '../../../src/core/codes.ts';

test('the module entry re-exports the parser; the body error codes are among the codes', () => {
  assert.equal(messages.parseMessageBody, parseMessageBody);
  for (const code of ['MESSAGE_INVALID_JSON', 'MESSAGE_UNKNOWN_FORMAT', 'MESSAGE_INVALID_FIELD', 'EVENT_UNSUPPORTED']) assert.equal(isErrorCode(code), true, code);
  assert.equal(isErrorCode('MESSAGE_INVALID'), false);
  assert.equal(messages.MAX_OBJECT_SIZE, 50 * 2 ** 40);
  assert.equal(messages.MAX_KEY_BYTES, 1024);
});
