import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ENV, readConfig } from '#commons/config.ts';
import type { RevocationEvent } from '#commons/domain/events.ts';
import { eventDetail } from '#commons/event-delivery/eventbridge.ts';
import { Outbox } from '#commons/event-delivery/outbox.ts';
import {
  DeliveryFailed,
  type EventSink,
  eventBridgeSink,
  failureQueueKeeper,
  failureReason,
  localSinks,
  webhookSink,
} from '#commons/event-delivery/sinks.ts';
import { logger } from '#commons/log.ts';
import { countEventPublished, tracer } from '#commons/observability.ts';
import { streamHandler } from '#commons/stream/handler.ts';

// Not runtime.ts: the publisher never touches the table, so it does not load the DynamoDB client.
const config = readConfig(process.env);

function sink(): EventSink | undefined {
  if (config.eventsWebhookUrl !== undefined) return webhookSink(config.eventsWebhookUrl);
  if (config.eventBusName === undefined) return undefined;
  const client = tracer.captureAWSv3Client(
    new EventBridgeClient({
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 1000, requestTimeout: 3000, throwOnRequestTimeout: true },
    }),
  );
  return eventBridgeSink(client, config.eventBusName);
}

const deliver = sink();

/** On AWS: the whole event goes to the on-failure queue when EventBridge did not take it. */
const failureQueueUrl = process.env[ENV.eventsFailureQueueUrl];
const keep =
  config.eventBusName !== undefined && failureQueueUrl
    ? failureQueueKeeper(
        tracer.captureAWSv3Client(
          new SQSClient({
            maxAttempts: 3,
            requestHandler: { connectionTimeout: 1000, requestTimeout: 3000, throwOnRequestTimeout: true },
          }),
        ),
        failureQueueUrl,
        config.eventBusName,
      )
    : undefined;

/** The local server's outbox directory (in its data directory); unset on Lambda. */
export const OUTBOX_DIR_ENV = 'EVENTS_OUTBOX_DIR';

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

const outboxDir = process.env[OUTBOX_DIR_ENV];
const outbox =
  deliver !== undefined && outboxDir
    ? new Outbox(outboxDir, deliver, { onFailure: (event, error) => logFailure(event, error, 'outbox') })
    : undefined;

/**
 * Delivers one event. With an outbox (locally) a failed delivery keeps the event there, retried until
 * delivered, and the record succeeds; while events wait there, new ones queue behind them. On Lambda the
 * event goes whole to the on-failure queue (`events redrive` puts it back on the bus); only when that
 * fails too does the record fail, for the event source mapping to retry with the same id.
 */
async function publish(event: RevocationEvent): Promise<void> {
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
 * Locally (no bus) each event is one log line at INFO, so `npm start` shows it. On AWS the event is in
 * EventBridge and the revoking handler's audit line has the same id, so the line is DEBUG: at ~0.6 KB it
 * would be a fifth of the log bill per revocation (README, "Cost per million revocations").
 */
const logEvent = config.eventBusName === undefined ? logger.info.bind(logger) : logger.debug.bind(logger);

/**
 * The table's stream -> one EventBridge event per revocation (and per finished sweep), in stream order.
 * Never written by a handler: a revocation is one write, and its event follows from it, so no revocation
 * goes unpublished and none is published that did not happen.
 */
export const handler = streamHandler('publisher', { inOrder: true }, async (event) => {
  // Logged when produced, before any delivery: a target that is down never hides an event.
  logEvent('revocation event', { event: { 'detail-type': event.type, detail: eventDetail(event) } });
  for (const sink of localSinks) await sink(event);
  await publish(event);
  countEventPublished();
});
