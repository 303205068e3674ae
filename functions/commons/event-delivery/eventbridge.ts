/**
 * The EventBridge form of a revocation: the contract's `detail` (exactly its keys, never a raw token,
 * a secret or a subject key) and the envelope EventBridge hands its targets, which the local webhook
 * reproduces.
 */
import type { RevocationEvent } from '../domain/events.ts';

/** Every event's `source`. */
export const EVENT_SOURCE = 'token-revocation';

/** The event's `detail`, as documented in docs/events.md. */
export interface EventDetail {
  readonly id: string;
  /** ISO 8601, milliseconds, UTC. */
  readonly time: string;
  readonly clientId?: string;
  readonly grantId?: string;
  readonly subject?: string;
  readonly tokenId?: string;
  readonly tokensRevokedBefore?: number;
  readonly actor: { readonly type: string; readonly id: string };
  readonly route?: string;
  readonly count?: number;
  readonly issuer?: string;
  readonly jti?: string;
  readonly family?: string;
}

/** The detail of a revocation event: picked key by key, so nothing else (a subject key) can leak in. */
export function eventDetail(event: RevocationEvent): EventDetail {
  return {
    id: event.id,
    time: new Date(event.time).toISOString(),
    ...(event.clientId !== undefined && { clientId: event.clientId }),
    ...(event.grantId !== undefined && { grantId: event.grantId }),
    ...(event.subject !== undefined && { subject: event.subject }),
    ...(event.tokenId !== undefined && { tokenId: event.tokenId }),
    ...(event.tokensRevokedBefore !== undefined && { tokensRevokedBefore: event.tokensRevokedBefore }),
    actor: { type: event.actor.type, id: event.actor.id },
    ...(event.route !== undefined && { route: event.route }),
    ...(event.count !== undefined && { count: event.count }),
    ...(event.issuer !== undefined && { issuer: event.issuer }),
    ...(event.jti !== undefined && { jti: event.jti }),
    ...(event.family !== undefined && { family: event.family }),
  };
}

/** A `PutEvents` entry (without the bus name). */
export function putEventsEntry(event: RevocationEvent) {
  return {
    Source: EVENT_SOURCE,
    DetailType: event.type,
    Detail: JSON.stringify(eventDetail(event)),
    Time: new Date(event.time),
    Resources: [],
  };
}

/** The envelope EventBridge delivers to a target (an API destination, a Lambda, SQS...). */
export interface EventEnvelope {
  readonly version: '0';
  readonly id: string;
  readonly source: typeof EVENT_SOURCE;
  readonly 'detail-type': string;
  readonly time: string;
  readonly region: string;
  readonly account: string;
  readonly resources: readonly string[];
  readonly detail: EventDetail;
}

/**
 * The envelope as EventBridge would deliver it. Its `id` is the delivery's (EventBridge makes a new one
 * per put); consumers deduplicate on `detail.id`. EventBridge's `time` has second precision.
 */
export function eventEnvelope(
  event: RevocationEvent,
  deliveryId: string,
  where: { region: string; account: string },
): EventEnvelope {
  return {
    version: '0',
    id: deliveryId,
    source: EVENT_SOURCE,
    'detail-type': event.type,
    time: new Date(Math.floor(event.time / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    region: where.region,
    account: where.account,
    resources: [],
    detail: eventDetail(event),
  };
}
