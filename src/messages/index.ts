/** Queue message bodies → FileEvents (docs/design.md §2). */
export { parseMessageBody } from './parse.ts';
export type { FileEvent, MessageFormat, ParsedMessage } from './file-event.ts';
export { MAX_KEY_BYTES, MAX_OBJECT_SIZE } from './fields.ts';
