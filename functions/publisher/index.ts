import { ENV, readEventSettings } from '#commons/config.ts';
import { eventTarget, failureKeeper } from '#wiring/events.ts';
import { createHandler } from './handler.ts';

const env = process.env;
const settings = readEventSettings(env);

/**
 * The composition root: this function's settings and targets, built once per cold start. The publisher
 * never touches the table, so it builds no DynamoDB client. No outbox on Lambda: an event the bus did not
 * take goes to the on-failure queue (the local server passes its outbox directory instead).
 */
export const handler = createHandler({
  events: {
    deliver: eventTarget(settings),
    keep: failureKeeper(settings, env[ENV.eventsFailureQueueUrl]),
    outboxDir: undefined,
    sinks: [],
    onBus: settings.eventBusName !== undefined,
  },
});
