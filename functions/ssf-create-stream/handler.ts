import { randomUUID } from 'node:crypto';
import type { Dependencies } from '#commons/dependencies.ts';
import { type Stream, streamConfiguration } from '#commons/domain/ssf.ts';
import { StreamConflict } from '#commons/domain/ssf-errors.ts';
import { httpHandler } from '#commons/http/handler.ts';
import { parseJsonObject, streamCreateOf } from '#commons/http/ssf-json.ts';
import { authorizeReceiver, bodyText, issuerOf } from '#commons/ssf/routes.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'store' | 'clock' | 'ssfStore' | 'issuer'>;

/** Streams one receiver may have: each costs a SET per revocation. */
export const MAX_STREAMS_PER_RECEIVER = 10;

/** POST /ssf/streams (SSF 1.0 8.1.1.1): a new stream, enabled, every subject included. */
export function createHandler({ http, store, clock, ssfStore, issuer }: Deps) {
  return httpHandler('ssf-create-stream', { errors: 'ssf', settings: http }, async (request) => {
    const receiver = await authorizeReceiver({ store, clock }, request, 'manage');
    const input = streamCreateOf(parseJsonObject(bodyText(request)));
    const existing = await ssfStore.listStreams(receiver);
    if (existing.length >= MAX_STREAMS_PER_RECEIVER) {
      throw new StreamConflict(`a receiver may have at most ${MAX_STREAMS_PER_RECEIVER} streams`);
    }
    const stream: Stream = {
      streamId: randomUUID(),
      receiver,
      delivery: input.delivery,
      ...(input.eventsRequested !== undefined && { eventsRequested: input.eventsRequested }),
      status: 'enabled',
      excluded: [],
      generation: 0,
      version: 0,
      createdAt: clock(),
    };
    // A random id never collides; the condition only guards against a bug reusing one.
    if (!(await ssfStore.createStream(stream))) throw new StreamConflict('stream id taken');
    return { statusCode: 201, json: streamConfiguration(stream, issuerOf(issuer, request)) };
  });
}
