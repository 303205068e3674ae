/**
 * Where the publisher delivers revocation events: EventBridge on AWS, a webhook locally. Each throws when
 * the event was not accepted, so the stream record fails and is retried (at least once, same `detail.id`).
 */
import { randomUUID } from 'node:crypto';
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { RevocationEvent } from '../domain/events.ts';
import { eventEnvelope, putEventsEntry } from './eventbridge.ts';

export type EventSink = (event: RevocationEvent) => Promise<void>;

/** Hard deadline of one delivery: a hanging target fails the record instead of the whole invocation. */
const DELIVERY_MS = 5000;

/** One `PutEvents` entry per event: a failed entry (FailedEntryCount) fails the record. */
export function eventBridgeSink(client: EventBridgeClient, busName: string): EventSink {
  return async (event) => {
    const result = await client.send(
      new PutEventsCommand({ Entries: [{ ...putEventsEntry(event), EventBusName: busName }] }),
      { abortSignal: AbortSignal.timeout(DELIVERY_MS) },
    );
    if ((result.FailedEntryCount ?? 0) > 0) {
      const entry = result.Entries?.[0];
      throw new Error(
        `PutEvents refused the event: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`,
      );
    }
  };
}

/** Locally: one JSON POST per event, in the envelope EventBridge hands its targets. A non-2xx fails it. */
export function webhookSink(url: string): EventSink {
  return async (event) => {
    const envelope = eventEnvelope(event, randomUUID(), { region: 'us-east-1', account: '000000000000' });
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(envelope),
      signal: AbortSignal.timeout(DELIVERY_MS),
    });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`the events webhook answered ${response.status}`);
  };
}
