/**
 * The SSF management API's JSON bodies (SSF 1.0 section 8) and RFC 8936 poll requests, read field by
 * field into the domain's terms, with a 400 naming the field. Transmitter-supplied stream properties a
 * receiver sends back on PATCH or PUT (`iss`, `aud`, `events_supported`, `events_delivered`) are ignored,
 * as SSF 1.0 8.1.1.3 allows; anything else unknown is refused.
 */
import { isLoopbackHost } from '../config.ts';
import { InvalidInput, UnknownField } from '../domain/errors.ts';
import {
  type Delivery,
  POLL,
  PUSH,
  type SimpleSubject,
  STREAM_STATUSES,
  type StreamStatus,
} from '../domain/ssf.ts';
import type { PollRequest } from '../domain/ssf-delivery.ts';
import { carriesToken } from '../redact.ts';
import { type JsonObject, parseJsonObject } from './admin-json.ts';

export { parseJsonObject };

const READ_ONLY = ['iss', 'aud', 'events_supported', 'events_delivered'];
const MAX_ID = 128;
const MAX_URI = 2048;
const MAX_EVENTS = 50;

function fields(input: JsonObject, known: readonly string[]): void {
  const unknown = Object.keys(input).find((field) => !known.includes(field));
  if (unknown !== undefined) throw new UnknownField(unknown);
}

function text(input: JsonObject, field: string, max: number, required: true): string;
function text(input: JsonObject, field: string, max: number, required?: false): string | undefined;
function text(input: JsonObject, field: string, max: number, required = false): string | undefined {
  const value = input[field];
  if (value === undefined) {
    if (required) throw new InvalidInput(field, 'is required');
    return undefined;
  }
  if (typeof value !== 'string' || value === '' || value.length > max) {
    throw new InvalidInput(field, `must be a non-empty string of at most ${max} characters`);
  }
  return value;
}

/** `stream_id`, required. */
export function streamIdOf(input: JsonObject): string {
  return text(input, 'stream_id', MAX_ID, true);
}

/**
 * A push endpoint: https, or http on a loopback host (a receiver on the same machine, as in development);
 * no user info or fragment.
 */
function endpointUrl(value: unknown): string {
  const field = 'delivery.endpoint_url';
  if (typeof value !== 'string' || value.length > MAX_URI) throw new InvalidInput(field, 'must be a URL');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidInput(field, 'must be a URL');
  }
  const loopback = isLoopbackHost(url.hostname) || url.hostname === '[::1]';
  if (!(url.protocol === 'https:' || (url.protocol === 'http:' && loopback))) {
    throw new InvalidInput(field, 'must be https (http only for localhost and 127.0.0.1)');
  }
  if (url.username !== '' || url.password !== '' || url.hash !== '') {
    throw new InvalidInput(field, 'must have no user name, password or fragment');
  }
  return value;
}

/** `delivery` (SSF 1.0 8.1.1): push with the receiver's endpoint, or poll from the service's. */
export function deliveryOf(input: JsonObject): Delivery {
  const value = input.delivery;
  if (value === undefined) throw new InvalidInput('delivery', 'is required');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidInput('delivery', 'must be an object');
  }
  const delivery = value as JsonObject;
  fields(delivery, ['method', 'endpoint_url', 'authorization_header']);
  if (delivery.method === POLL) {
    // The poll URL is the service's; a receiver sending back the one it was given is not an error.
    if (delivery.authorization_header !== undefined) {
      throw new InvalidInput('delivery.authorization_header', 'is for push delivery only');
    }
    return { method: POLL };
  }
  if (delivery.method !== PUSH) throw new InvalidInput('delivery.method', `must be ${PUSH} or ${POLL}`);
  const endpoint = endpointUrl(delivery.endpoint_url);
  const authorization = delivery.authorization_header;
  if (authorization !== undefined) {
    // Sent as a header: one line, printable, bounded.
    if (typeof authorization !== 'string' || !/^[\x20-\x7e]{1,4096}$/.test(authorization)) {
      throw new InvalidInput(
        'delivery.authorization_header',
        'must be one printable line of at most 4096 characters',
      );
    }
  }
  return {
    method: PUSH,
    endpoint_url: endpoint,
    ...(authorization !== undefined && { authorization_header: authorization }),
  };
}

/** `events_requested`: event type URIs; absent means everything supported. */
export function eventsRequestedOf(input: JsonObject): string[] | undefined {
  const value = input.events_requested;
  if (value === undefined) return undefined;
  if (
    !Array.isArray(value) ||
    value.length > MAX_EVENTS ||
    !value.every((uri) => typeof uri === 'string' && uri !== '' && uri.length <= MAX_URI)
  ) {
    throw new InvalidInput('events_requested', `must be an array of at most ${MAX_EVENTS} event type URIs`);
  }
  return [...new Set(value as string[])];
}

/** POST (create): `delivery` and `events_requested`. */
export function streamCreateOf(input: JsonObject) {
  fields(input, ['delivery', 'events_requested', ...READ_ONLY]);
  return { delivery: deliveryOf(input), eventsRequested: eventsRequestedOf(input) };
}

/** PATCH: `stream_id` and the properties to change. */
export function streamPatchOf(input: JsonObject) {
  fields(input, ['stream_id', 'delivery', 'events_requested', ...READ_ONLY]);
  return {
    streamId: streamIdOf(input),
    ...(input.delivery !== undefined && { delivery: deliveryOf(input) }),
    ...(input.events_requested !== undefined && { eventsRequested: eventsRequestedOf(input) }),
  };
}

/** PUT: `stream_id` and the whole receiver-supplied configuration. */
export function streamReplaceOf(input: JsonObject) {
  fields(input, ['stream_id', 'delivery', 'events_requested', ...READ_ONLY]);
  return {
    streamId: streamIdOf(input),
    delivery: deliveryOf(input),
    eventsRequested: eventsRequestedOf(input),
  };
}

/** POST status: `stream_id`, `status`, `reason`?. */
export function statusUpdateOf(input: JsonObject): {
  streamId: string;
  status: StreamStatus;
  reason?: string;
} {
  fields(input, ['stream_id', 'status', 'reason']);
  const status = input.status;
  if (!STREAM_STATUSES.includes(status as StreamStatus)) {
    throw new InvalidInput('status', `must be one of ${STREAM_STATUSES.join(', ')}`);
  }
  const reason = text(input, 'reason', 256);
  if (reason !== undefined && carriesToken(reason))
    throw new InvalidInput('reason', 'must not contain a token');
  return {
    streamId: streamIdOf(input),
    status: status as StreamStatus,
    ...(reason !== undefined && { reason }),
  };
}

/** An RFC 9493 subject of a format this transmitter accepts (`iss_sub`, `email`, `opaque`), exactly its members. */
export function subjectOf(input: JsonObject): SimpleSubject {
  const value = input.subject;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidInput('subject', 'must be an RFC 9493 subject identifier object');
  }
  const subject = value as JsonObject;
  const member = (name: string) => text(subject, name, 512, true);
  const shape = (names: string[]) => {
    const unknown = Object.keys(subject).find((key) => key !== 'format' && !names.includes(key));
    if (unknown !== undefined)
      throw new InvalidInput(`subject.${unknown.slice(0, 64)}`, 'is not a member of this format');
  };
  switch (subject.format) {
    case 'iss_sub':
      shape(['iss', 'sub']);
      return { format: 'iss_sub', iss: member('iss'), sub: member('sub') };
    case 'email':
      shape(['email']);
      return { format: 'email', email: member('email') };
    case 'opaque':
      shape(['id']);
      return { format: 'opaque', id: member('id') };
    default:
      throw new InvalidInput('subject.format', 'must be iss_sub, email or opaque');
  }
}

/** add_subject / remove_subject: `stream_id`, `subject`, and (add only) `verified`. */
export function subjectRequestOf(input: JsonObject, add: boolean) {
  fields(input, add ? ['stream_id', 'subject', 'verified'] : ['stream_id', 'subject']);
  if (input.verified !== undefined && typeof input.verified !== 'boolean') {
    throw new InvalidInput('verified', 'must be a boolean');
  }
  return { streamId: streamIdOf(input), subject: subjectOf(input) };
}

/** Verification: `stream_id`, `state`?. */
export function verificationOf(input: JsonObject) {
  fields(input, ['stream_id', 'state']);
  const state = text(input, 'state', 256);
  return { streamId: streamIdOf(input), ...(state !== undefined && { state }) };
}

/** The most SETs one poll returns. */
export const MAX_POLL_EVENTS = 100;

/** RFC 8936 2.4: `maxEvents`?, `returnImmediately`?, `ack`?, `setErrs`?. An empty body is a plain poll. */
export function pollRequestOf(body: string): PollRequest {
  const input = body.trim() === '' ? {} : parseJsonObject(body);
  fields(input, ['maxEvents', 'returnImmediately', 'ack', 'setErrs']);
  const maxEvents = input.maxEvents ?? MAX_POLL_EVENTS;
  if (!Number.isInteger(maxEvents) || (maxEvents as number) < 0) {
    throw new InvalidInput('maxEvents', 'must be a non-negative integer');
  }
  const returnImmediately = input.returnImmediately ?? false;
  if (typeof returnImmediately !== 'boolean')
    throw new InvalidInput('returnImmediately', 'must be a boolean');
  const ack = input.ack ?? [];
  if (
    !Array.isArray(ack) ||
    ack.length > 1000 ||
    !ack.every((jti) => typeof jti === 'string' && jti.length <= MAX_ID)
  ) {
    throw new InvalidInput('ack', 'must be an array of jti strings');
  }
  const setErrs = input.setErrs ?? {};
  if (
    typeof setErrs !== 'object' ||
    setErrs === null ||
    Array.isArray(setErrs) ||
    Object.keys(setErrs).length > 1000
  ) {
    throw new InvalidInput('setErrs', 'must be an object of jti to {"err","description"}');
  }
  const errors: Record<string, { err: string; description?: string }> = {};
  for (const [jti, value] of Object.entries(setErrs as JsonObject)) {
    const error = value as { err?: unknown; description?: unknown } | null;
    if (jti.length > MAX_ID || typeof error !== 'object' || error === null || typeof error.err !== 'string') {
      throw new InvalidInput('setErrs', 'must be an object of jti to {"err","description"}');
    }
    errors[jti] = {
      err: error.err.slice(0, 64),
      ...(typeof error.description === 'string' && { description: error.description.slice(0, 256) }),
    };
  }
  return {
    maxEvents: Math.min(maxEvents as number, MAX_POLL_EVENTS),
    returnImmediately,
    ack: ack as string[],
    setErrs: errors,
  };
}
