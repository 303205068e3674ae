import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { readConfig } from '#commons/config.ts';
import { eventDetail } from '#commons/events/eventbridge.ts';
import { type EventSink, eventBridgeSink, webhookSink } from '#commons/events/sinks.ts';
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
  await deliver?.(event);
  logEvent('revocation event', { event: { 'detail-type': event.type, detail: eventDetail(event) } });
  countEventPublished();
});
