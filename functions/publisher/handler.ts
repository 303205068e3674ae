import type { Dependencies } from '#commons/dependencies.ts';
import type { RevocationEvent } from '#commons/domain/events.ts';
import { eventDetail } from '#commons/event-delivery/eventbridge.ts';
import { Outbox } from '#commons/event-delivery/outbox.ts';
import { DeliveryFailed, failureReason } from '#commons/event-delivery/sinks.ts';
import { logger } from '#commons/log.ts';
import { countEventPublished } from '#commons/observability.ts';
import { streamHandler } from '#commons/stream/handler.ts';

/** What the publisher is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'events'>;

/** One line per failed delivery attempt: which event, where to, and why. */
function logFailure(event: RevocationEvent, error: unknown, next: 'outbox' | 'queue' | 'retry'): void {
  logger.warn('event delivery failed', {
    delivery: {
      eventId: event.id,
      type: event.type,
      target: error instanceof DeliveryFailed ? error.target : 'unknown',
      cause: failureReason(error),
      next,
    },
  });
}

/**
 * Delivers one event. With an outbox (locally) a failed delivery keeps the event there, retried until
 * delivered, and the record succeeds; while events wait there, new ones queue behind them. On Lambda the
 * event goes whole to the on-failure queue (`events redrive` puts it back on the bus); only when that
 * fails too does the record fail, for the event source mapping to retry with the same id.
 */
async function publish(
  { deliver, keep }: Deps['events'],
  outbox: Outbox | undefined,
  event: RevocationEvent,
): Promise<void> {
  if (!deliver) return;
  if (!outbox) {
    try {
      await deliver(event);
    } catch (error) {
      logFailure(event, error, keep ? 'queue' : 'retry');
      if (!keep) throw error;
      try {
        await keep(event);
      } catch (queueError) {
        logFailure(event, queueError, 'retry');
        throw queueError;
      }
    }
    return;
  }
  if (outbox.size > 0) return outbox.keep(event);
  try {
    await deliver(event);
  } catch (error) {
    logFailure(event, error, 'outbox');
    outbox.keep(event);
  }
}

/**
 * The table's stream -> one EventBridge event per revocation (and per finished sweep), in stream order.
 * Never written by a handler: a revocation is one write, and its event follows from it, so no revocation
 * goes unpublished and none is published that did not happen.
 */
export function createHandler({ events }: Deps) {
  const outbox =
    events.deliver !== undefined && events.outboxDir
      ? new Outbox(events.outboxDir, events.deliver, {
          onFailure: (event, error) => logFailure(event, error, 'outbox'),
        })
      : undefined;
  /**
   * Locally (no bus) each event is one log line at INFO, so `npm start` shows it. On AWS the event is in
   * EventBridge and the revoking handler's audit line has the same id, so the line is DEBUG: at ~0.6 KB it
   * would be a fifth of the log bill per revocation (README, "Cost per million revocations").
   */
  const logEvent = events.onBus ? logger.debug.bind(logger) : logger.info.bind(logger);
  return streamHandler('publisher', { inOrder: true }, async (event) => {
    // Logged when produced, before any delivery: a target that is down never hides an event.
    logEvent('revocation event', { event: { 'detail-type': event.type, detail: eventDetail(event) } });
    for (const sink of events.sinks) await sink(event);
    await publish(events, outbox, event);
    countEventPublished();
  });
}
