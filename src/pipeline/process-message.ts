import { randomBytes } from 'node:crypto';
import { parseMessageBody } from '../messages/parse.ts';
import { totalReceives } from '../consumer/queue-message.ts';
import type { IngestError } from '../core/errors.ts';
import type { MessageOutcome } from '../core/outcome.ts';
import { classifyError } from '../core/classify.ts';
import type { EventSummary, JobResult, MessageProcessor } from '../consumer/processor.ts';
import { processEvent, type PipelineDeps } from './process-event.ts';

/**
 * A queue message → its FileEvents → one outcome for the message:
 * any event to retry ⇒ retry (done events are no-ops next time); else any permanent failure ⇒
 * dead-letter; else done (or duplicate / stale when every event was).
 */
export function createMessageProcessor(deps: PipelineDeps): MessageProcessor {
  return async (message, ctx) => {
    let parsed;
    try {
      parsed = parseMessageBody(message.body, new Date(message.receivedAt));
    } catch (err) {
      return { outcome: 'dead-letter', error: classifyError(err), events: [] };
    }
    if (parsed.kind === 'test') {
      ctx.log.info('s3:TestEvent acknowledged');
      return { outcome: 'done', events: [] };
    }
    // Each job holds its own lease identity, so two messages for one object on this instance still exclude each other.
    const owner = `${deps.owner}#${randomBytes(4).toString('hex')}`;
    const events: EventSummary[] = [];
    let retryError: IngestError | undefined;
    let permanentError: IngestError | undefined;
    for (const event of parsed.events) {
      if (ctx.signal.aborted) {
        retryError ??= classifyError(ctx.signal.reason);
        break;
      }
      try {
        // receives of earlier copies count too: a rolled-over copy resumes from its checkpoint
        events.push(await processEvent(event, deps, ctx, owner, totalReceives(message)));
      } catch (err) {
        const error = ctx.signal.aborted ? classifyError(ctx.signal.reason) : classifyError(err);
        events.push({ key: event.key, kind: event.kind, outcome: error.retryable ? 'retry' : 'dead-letter', code: error.code });
        if (error.retryable) retryError ??= error;
        else permanentError ??= error;
      }
    }
    if (retryError) return { outcome: 'retry', error: retryError, events };
    if (permanentError) return { outcome: 'dead-letter', error: permanentError, events };
    return { outcome: combine(events.map((e) => e.outcome)), events } satisfies JobResult;
  };
}

function combine(outcomes: MessageOutcome[]): MessageOutcome {
  if (outcomes.length > 0 && outcomes.every((o) => o === 'duplicate')) return 'duplicate';
  if (outcomes.length > 0 && outcomes.every((o) => o === 'stale' || o === 'duplicate')) return 'stale';
  return 'done';
}
