/**
 * The outcomes of docs/design.md §4: every message (and every file event in it) ends in exactly one.
 * done / duplicate / stale: deleted; retry: back on the queue after a backoff; dead-letter: sent to
 * the DLQ with its reason; released: visible again at once (a drain, a second signal).
 */
export const MESSAGE_OUTCOMES = ['done', 'duplicate', 'stale', 'retry', 'dead-letter', 'released'] as const;

export type MessageOutcome = (typeof MESSAGE_OUTCOMES)[number];
