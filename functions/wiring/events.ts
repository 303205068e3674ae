/**
 * Where the publisher's composition root (and the local server) send revocation events: EventBridge and
 * its on-failure queue on AWS, a webhook locally. Built when called, from the settings passed in.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { EventSettings } from '#commons/config.ts';
import {
  type EventSink,
  eventBridgeSink,
  failureQueueKeeper,
  webhookSink,
} from '#commons/event-delivery/sinks.ts';
import { tracer } from '#commons/observability.ts';

const REQUEST_HANDLER = { connectionTimeout: 1000, requestTimeout: 3000, throwOnRequestTimeout: true };

/** The target events are delivered to: the webhook when one is set, else the bus; undefined: none. */
export function eventTarget(settings: EventSettings): EventSink | undefined {
  if (settings.eventsWebhookUrl !== undefined) return webhookSink(settings.eventsWebhookUrl);
  if (settings.eventBusName === undefined) return undefined;
  const client = tracer.captureAWSv3Client(
    new EventBridgeClient({ maxAttempts: 3, requestHandler: REQUEST_HANDLER }),
  );
  return eventBridgeSink(client, settings.eventBusName);
}

/** On AWS: where the whole event goes when EventBridge did not take it (`EVENTS_FAILURE_QUEUE_URL`). */
export function failureKeeper(
  settings: EventSettings,
  failureQueueUrl: string | undefined,
): EventSink | undefined {
  if (settings.eventBusName === undefined || !failureQueueUrl) return undefined;
  const client = tracer.captureAWSv3Client(
    new SQSClient({ maxAttempts: 3, requestHandler: REQUEST_HANDLER }),
  );
  return failureQueueKeeper(client, failureQueueUrl, settings.eventBusName);
}
