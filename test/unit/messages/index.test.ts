import { test } from 'vitest';
import assert from 'node:assert/strict';
import * as messages from '../../../src/messages/index.ts';
import { parseMessageBody } from '../../../src/messages/parse.ts';

test('the module entry re-exports the parser and the stable error codes', () => {
  assert.equal(messages.parseMessageBody, parseMessageBody);
  assert.deepEqual(
    [messages.MESSAGE_INVALID_JSON, messages.MESSAGE_UNKNOWN_FORMAT, messages.MESSAGE_INVALID_FIELD, messages.EVENT_UNSUPPORTED],
    ['MESSAGE_INVALID_JSON', 'MESSAGE_UNKNOWN_FORMAT', 'MESSAGE_INVALID_FIELD', 'EVENT_UNSUPPORTED'],
  );
  assert.equal(messages.MAX_OBJECT_SIZE, 50 * 2 ** 40);
  assert.equal(messages.MAX_KEY_BYTES, 1024);
});
