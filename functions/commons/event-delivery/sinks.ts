/**
 * Where the publisher delivers revocation events: EventBridge on AWS, a webhook locally. Each throws when
 * the event was not accepted, so the stream record fails and is retried (at least once, same `detail.id`).
 */
import { randomUUID } from 'node:crypto';
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
} from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { RevocationEvent } from '../domain/events.ts';
import { eventEnvelope, putEventsEntry } from './eventbridge.ts';

export type EventSink = (event: RevocationEvent) => Promise<void>;

/**
 * A delivery that did not happen, naming where it went (the webhook URL without credentials or query,
 * or the bus) and why, in the words an operator searches for: `ECONNREFUSED`, `status 503`,
 * `ThrottlingException`, `timeout after 5000 ms`.
 */
export class DeliveryFailed extends Error {
  constructor(
    readonly target: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`event delivery to ${target} failed: ${reason}`, options);
    this.name = 'DeliveryFailed';
  }
}

/** The cause of a failed call as one short word or phrase; never a message that could carry data. */
export function failureReason(error: unknown): string {
  if (error instanceof DeliveryFailed) return error.reason;
  if (!(error instanceof Error)) return typeof error;
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return `timeout after ${DELIVERY_MS} ms`;
  // fetch wraps the socket error: TypeError("fetch failed") with the errno code in its cause.
  const code = (error.cause as { code?: unknown } | undefined)?.code ?? (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error.name;
}

/** A URL as a log line may show it: no user info, query or fragment (they may hold a secret). */
export function loggableUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return 'an invalid URL';
  }
}

/** Hard deadline of one delivery: a hanging target fails the record instead of the whole invocation. */
const DELIVERY_MS = 5000;

/** One `PutEvents` entry per event: a failed entry (FailedEntryCount) fails the record. */
export function eventBridgeSink(client: EventBridgeClient, busName: string): EventSink {
  const target = `event bus ${busName}`;
  return async (event) => {
    let result: PutEventsCommandOutput;
    try {
      result = await client.send(
        new PutEventsCommand({ Entries: [{ ...putEventsEntry(event), EventBusName: busName }] }),
        { abortSignal: AbortSignal.timeout(DELIVERY_MS) },
      );
    } catch (error) {
      throw new DeliveryFailed(target, failureReason(error), { cause: error });
    }
    if ((result.FailedEntryCount ?? 0) > 0) {
      const entry = result.Entries?.[0];
      throw new DeliveryFailed(target, `PutEvents refused the entry: ${entry?.ErrorCode ?? 'unknown'}`);
    }
  };
}

/** Locally: one JSON POST per event, in the envelope EventBridge hands its targets. A non-2xx fails it. */
export function webhookSink(url: string): EventSink {
  const target = loggableUrl(url);
  return async (event) => {
    const envelope = eventEnvelope(event, randomUUID(), { region: 'us-east-1', account: '000000000000' });
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(envelope),
        signal: AbortSignal.timeout(DELIVERY_MS),
      });
      await response.arrayBuffer();
    } catch (error) {
      throw new DeliveryFailed(target, failureReason(error), { cause: error });
    }
    if (!response.ok) throw new DeliveryFailed(target, `status ${response.status}`);
  };
}

/** The message body of an event kept in the on-failure queue: the whole PutEvents entry, bus included. */
export interface KeptEventMessage {
  readonly kind: 'revocation-event';
  readonly entry: ReturnType<typeof putEventsEntry> & { readonly EventBusName: string };
}

/**
 * On AWS, where an event that EventBridge did not take (after the SDK's retries) is kept: the whole event
 * as a message of the on-failure queue, which `revocation-admin events redrive` puts back on the bus. Its
 * stream record then succeeds; only if this send fails too does the record fail (and, after the event
 * source mapping's retries, its coordinates reach the same queue).
 */
export function failureQueueKeeper(client: SQSClient, queueUrl: string, busName: string) {
  return async (event: RevocationEvent): Promise<void> => {
    const message: KeptEventMessage = {
      kind: 'revocation-event',
      entry: { ...putEventsEntry(event), EventBusName: busName },
    };
    try {
      await client.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message) }),
        {
          abortSignal: AbortSignal.timeout(DELIVERY_MS),
        },
      );
    } catch (error) {
      throw new DeliveryFailed(`on-failure queue ${queueUrl}`, failureReason(error), { cause: error });
    }
  };
}
