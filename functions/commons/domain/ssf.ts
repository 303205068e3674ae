/**
 * Shared Signals (OpenID SSF 1.0, CAEP 1.0): the transmitter's streams, and the Security Event Tokens
 * (RFC 8417) made from the service's revocation events. A SET is another form of a `RevocationEvent`,
 * never a second record of a revocation: it is built from the event, carries its id as `txn`, and holds
 * no token or secret. No AWS, no HTTP and no I/O here.
 */
import { createHash } from 'node:crypto';
import type { RevocationEvent } from './events.ts';

/** SSF 1.0 delivery method URNs. */
export const PUSH = 'urn:ietf:rfc:8935';
export const POLL = 'urn:ietf:rfc:8936';
export type DeliveryMethod = typeof PUSH | typeof POLL;

/** CAEP 1.0 session revoked: the one event type this transmitter makes from revocations. */
export const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
/** SSF 1.0 verification event (section 8.1.4.1). */
export const VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';

/** What a stream can carry (`events_supported`). Verification events are sent whatever is requested. */
export const EVENTS_SUPPORTED: readonly string[] = [SESSION_REVOKED];

/** Scopes of the SSF management API: `ssf.manage` for every call, `ssf.read` for reads (and polls). */
export const SCOPE_MANAGE = 'ssf.manage';
export const SCOPE_READ = 'ssf.read';

export type StreamStatus = 'enabled' | 'paused' | 'disabled';
export const STREAM_STATUSES: readonly StreamStatus[] = ['enabled', 'paused', 'disabled'];

/** RFC 9493 subject identifiers this transmitter sends or accepts in `add_subject` / `remove_subject`. */
export type SimpleSubject =
  | { readonly format: 'iss_sub'; readonly iss: string; readonly sub: string }
  | { readonly format: 'email'; readonly email: string }
  | { readonly format: 'opaque'; readonly id: string };
export type SubjectId =
  | SimpleSubject
  | { readonly format: 'complex'; readonly user?: SimpleSubject; readonly session?: SimpleSubject };

/** A stream's delivery, as the receiver configured it (the poll `endpoint_url` is the service's). */
export interface Delivery {
  readonly method: DeliveryMethod;
  /** Push: the receiver's endpoint. Poll: absent in storage; shown as the service's poll URL. */
  readonly endpoint_url?: string;
  /** Push: sent as the `Authorization` header of every push (the receiver's credential). */
  readonly authorization_header?: string;
}

/** One receiver's stream. */
export interface Stream {
  readonly streamId: string;
  /** The receiver: the client id whose `ssf.manage` token created it (the SETs' `aud`). */
  readonly receiver: string;
  readonly delivery: Delivery;
  /** Absent: the receiver asked for nothing in particular, so everything supported is delivered. */
  readonly eventsRequested?: readonly string[];
  readonly status: StreamStatus;
  readonly reason?: string;
  /** Canonical forms (`subjectKey`) of the subjects `remove_subject` excluded. */
  readonly excluded: readonly string[];
  /** Bumped by every disable: SETs of an older generation are dropped, never delivered. */
  readonly generation: number;
  /** Optimistic concurrency: every write is conditional on the version read. */
  readonly version: number;
  /** Epoch milliseconds. */
  readonly createdAt: number;
}

/** The event types a stream delivers: what it requested (or everything) that this transmitter supports. */
export function eventsDelivered(stream: Pick<Stream, 'eventsRequested'>): string[] {
  const requested = stream.eventsRequested;
  return requested === undefined
    ? [...EVENTS_SUPPORTED]
    : EVENTS_SUPPORTED.filter((uri) => requested.includes(uri));
}

/**
 * The SSF 1.0 stream configuration a receiver reads: exactly the contract's keys. `issuer` is the
 * service's; `pollUrl` the service's poll endpoint for this stream.
 */
export function streamConfiguration(stream: Stream, issuer: string) {
  const delivery =
    stream.delivery.method === POLL
      ? { method: POLL, endpoint_url: pollEndpoint(issuer, stream.streamId) }
      : stream.delivery;
  return {
    stream_id: stream.streamId,
    iss: issuer,
    aud: stream.receiver,
    events_supported: [...EVENTS_SUPPORTED],
    events_requested: [...(stream.eventsRequested ?? EVENTS_SUPPORTED)],
    events_delivered: eventsDelivered(stream),
    delivery,
  };
}

/** The poll endpoint (RFC 8936) the service assigns a poll stream. */
export const pollEndpoint = (issuer: string, streamId: string) =>
  `${issuer}/ssf/poll/${encodeURIComponent(streamId)}`;

/** `{"stream_id","status","reason"?}`, SSF 1.0 section 8.1.2. */
export function streamStatus(stream: Stream) {
  return {
    stream_id: stream.streamId,
    status: stream.status,
    ...(stream.reason !== undefined && { reason: stream.reason }),
  };
}

/**
 * A subject's canonical text: what `remove_subject` stores and what a SET's subjects are compared with.
 * Emails compare case-insensitively (their domain part is; most providers treat the local part so too).
 */
export function subjectKey(subject: SimpleSubject): string {
  switch (subject.format) {
    case 'iss_sub':
      return `iss_sub ${subject.iss} ${subject.sub}`;
    case 'email':
      return `email ${subject.email.toLowerCase()}`;
    case 'opaque':
      return `opaque ${subject.id}`;
  }
}

/**
 * The canonical keys a SET's subject is excluded by: each simple subject it names, and the user's `sub`
 * as an `email` or `opaque` subject (the service knows its users by one string, which the receiver may
 * know as either).
 */
export function excludingKeys(subject: SubjectId): string[] {
  const parts: SimpleSubject[] =
    subject.format === 'complex'
      ? [subject.user, subject.session].filter((s): s is SimpleSubject => s !== undefined)
      : [subject];
  const keys = new Set<string>();
  for (const part of parts) {
    keys.add(subjectKey(part));
    if (part.format === 'iss_sub') {
      keys.add(subjectKey({ format: 'email', email: part.sub }));
      keys.add(subjectKey({ format: 'opaque', id: part.sub }));
    }
  }
  return [...keys];
}

/** Whether a stream delivers a SET about this subject (`default_subjects: ALL`, minus the removed). */
export function deliversSubject(stream: Pick<Stream, 'excluded'>, subject: SubjectId): boolean {
  if (stream.excluded.length === 0) return true;
  return !excludingKeys(subject).some((key) => stream.excluded.includes(key));
}

/** The `events` member and subject of a SET, before the per-stream claims (`aud`, `jti`, `iat`). */
export interface SetBody {
  readonly sub_id: SubjectId;
  readonly events: Record<string, Record<string, unknown>>;
  /** The revocation event's id: the SET's `txn` (absent for verification events). */
  readonly txn?: string;
  /** Epoch milliseconds of the revocation: the delivery order within a stream. */
  readonly time: number;
  readonly eventType: string;
}

/** `reason_admin` per revocation type, in English (CAEP 1.0 section 3.2). */
const REASONS: Readonly<Record<string, string>> = {
  'grant.revoked': 'grant revoked',
  'refresh_token.reuse_detected': 'refresh token reuse detected',
  'family.revoked': 'token family revoked',
  'subject.tokens_revoked': 'every session of the user revoked',
};

/** Fields the trusted issuers' events add (`family.revoked`), read loosely so this builds with or without them. */
type TrustedFields = { readonly issuer?: string; readonly family?: string };

/**
 * The SET body of a revocation event, or undefined for the types no SSF subject fits (a single access
 * token, a client's cut-off or deletion, a sweep, an issuer's). `issuer` is the service's: the `iss` of
 * its own users' `iss_sub` subjects.
 */
export function setBodyOf(event: RevocationEvent, issuer: string): SetBody | undefined {
  const reason = REASONS[event.type];
  if (reason === undefined) return undefined;
  const trusted = event as RevocationEvent & TrustedFields;
  // A string: `family.revoked` is the trusted issuers' type, which this module may be built without.
  const type: string = event.type;
  let subject: SubjectId | undefined;
  if (event.type === 'subject.tokens_revoked') {
    if (event.subject === undefined) return undefined;
    subject = { format: 'iss_sub', iss: issuer, sub: event.subject };
  } else {
    const session = type === 'family.revoked' ? trusted.family : event.grantId;
    if (session === undefined) return undefined;
    const sessionId: SimpleSubject = { format: 'opaque', id: session };
    // A trusted issuer's family belongs to that issuer's user, named by that issuer.
    const userIssuer = type === 'family.revoked' ? (trusted.issuer ?? issuer) : issuer;
    subject =
      event.subject === undefined
        ? sessionId
        : {
            format: 'complex',
            user: { format: 'iss_sub', iss: userIssuer, sub: event.subject },
            session: sessionId,
          };
  }
  return {
    sub_id: subject,
    events: {
      [SESSION_REVOKED]: { event_timestamp: Math.floor(event.time / 1000), reason_admin: { en: reason } },
    },
    txn: event.id,
    time: event.time,
    eventType: SESSION_REVOKED,
  };
}

/** The verification event's body (SSF 1.0 8.1.4.1): the stream itself is the subject. */
export function verificationBody(streamId: string, state: string | undefined, now: number): SetBody {
  return {
    sub_id: { format: 'opaque', id: streamId },
    events: { [VERIFICATION]: state === undefined ? {} : { state } },
    time: now,
    eventType: VERIFICATION,
  };
}

/**
 * A revocation SET's `jti`: derived from the stream and the revocation event, so an event handed over
 * twice (at least once delivery) makes the same SET, stored once; 128 bits, base64url.
 */
export function setJti(streamId: string, eventId: string): string {
  return createHash('sha256').update(`ssf\n${streamId}\n${eventId}`).digest('base64url').slice(0, 22);
}

/** The claims of one SET for one stream (RFC 8417 2.2, SSF 1.0 section 4). */
export function setClaims(
  body: SetBody,
  stream: Pick<Stream, 'receiver'>,
  issuer: string,
  jti: string,
  now: number,
) {
  return {
    iss: issuer,
    aud: stream.receiver,
    jti,
    iat: Math.floor(now / 1000),
    ...(body.txn !== undefined && { txn: body.txn }),
    sub_id: body.sub_id,
    events: body.events,
  };
}

/** Whether a stream takes a SET of this body now: kept for enabled and paused streams, if requested and not excluded. */
export function streamTakes(stream: Stream, body: SetBody): boolean {
  if (stream.status === 'disabled') return false;
  if (body.eventType === VERIFICATION) return true;
  return eventsDelivered(stream).includes(body.eventType) && deliversSubject(stream, body.sub_id);
}

/** Push retries: at least this long from the first attempt before a SET becomes a dead letter. */
export const RETRY_FOR_MS = 24 * 3600 * 1000;
/** A stream's SETs wait at most this long (a paused stream's, a poll stream's unacknowledged). */
export const SET_RETENTION_MS = 7 * 24 * 3600 * 1000;
/** Dead letters wait this long for an operator to redeliver them. */
export const DEAD_LETTER_RETENTION_MS = 30 * 24 * 3600 * 1000;

/**
 * The wait before push attempt `attempt + 1` (after `attempt` failures): 1 s, 2 s, 4 s... capped at
 * 15 minutes (SQS's longest message delay), with jitter (a random half to all of it) so that streams
 * failing together do not all come back to a recovering receiver at the same instant. `random` in [0, 1).
 */
export function retryDelayMs(attempt: number, random: number): number {
  const ceiling = Math.min(15 * 60 * 1000, 1000 * 2 ** Math.min(Math.max(attempt - 1, 0), 20));
  return Math.max(500, Math.floor(ceiling * (0.5 + random / 2)));
}
