import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ENV, readEventSettings } from '#commons/config.ts';
import { type EventSink, eventBridgeSink, failureQueueKeeper, webhookSink } from '#commons/events/sinks.ts';
import { tracer } from '#commons/observability.ts';
import { createHandler } from './handler.ts';

const env = process.env;
const settings = readEventSettings(env);

function sink(): EventSink | undefined {
  if (settings.eventsWebhookUrl !== undefined) return webhookSink(settings.eventsWebhookUrl);
  if (settings.eventBusName === undefined) return undefined;
  const client = tracer.captureAWSv3Client(
    new EventBridgeClient({
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 1000, requestTimeout: 3000, throwOnRequestTimeout: true },
    }),
  );
  return eventBridgeSink(client, settings.eventBusName);
}

/** On AWS: the whole event goes to the on-failure queue when EventBridge did not take it. */
function keeper(): EventSink | undefined {
  const failureQueueUrl = env[ENV.eventsFailureQueueUrl];
  if (settings.eventBusName === undefined || !failureQueueUrl) return undefined;
  const client = tracer.captureAWSv3Client(
    new SQSClient({
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 1000, requestTimeout: 3000, throwOnRequestTimeout: true },
    }),
  );
  return failureQueueKeeper(client, failureQueueUrl, settings.eventBusName);
}

/**
 * The composition root: this function's settings and targets, built once per cold start. The publisher
 * never touches the table, so it builds no DynamoDB client. No outbox on Lambda: a failed delivery goes to
 * the on-failure queue (the local server passes its outbox directory instead).
 */
export const handler = createHandler({
  events: {
    deliver: sink(),
    keep: keeper(),
    outboxDir: undefined,
    sinks: [],
    onBus: settings.eventBusName !== undefined,
  },
});
