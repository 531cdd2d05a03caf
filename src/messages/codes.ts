/** Stable error codes for queue bodies that cannot be turned into FileEvents (all permanent). */
export const MESSAGE_INVALID_JSON = 'MESSAGE_INVALID_JSON';
export const MESSAGE_UNKNOWN_FORMAT = 'MESSAGE_UNKNOWN_FORMAT';
export const MESSAGE_INVALID_FIELD = 'MESSAGE_INVALID_FIELD';
export const EVENT_UNSUPPORTED = 'EVENT_UNSUPPORTED';

export type MessageErrorCode =
  | typeof MESSAGE_INVALID_JSON
  | typeof MESSAGE_UNKNOWN_FORMAT
  | typeof MESSAGE_INVALID_FIELD
  | typeof EVENT_UNSUPPORTED;
