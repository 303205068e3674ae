import type { Dependencies } from '#commons/dependencies.ts';
import { streamConfiguration } from '#commons/domain/ssf.ts';
import { httpHandler } from '#commons/http/handler.ts';
import { authorizeReceiver, issuerOf, ownStream } from '#commons/ssf/routes.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'store' | 'clock' | 'ssfStore' | 'issuer'>;

/**
 * GET /ssf/streams (SSF 1.0 8.1.1.2): `?stream_id=` one stream's configuration; without it, every stream
 * of the receiver, as an array.
 */
export function createHandler({ http, store, clock, ssfStore, issuer: configured }: Deps) {
  return httpHandler('ssf-get-stream', { errors: 'ssf', settings: http }, async (request) => {
    const receiver = await authorizeReceiver({ store, clock }, request, 'read');
    const issuer = issuerOf(configured, request);
    const streamId = request.query.stream_id;
    if (streamId === undefined || streamId === '') {
      const streams = await ssfStore.listStreams(receiver);
      return {
        statusCode: 200,
        json: streams.sort((a, b) => a.createdAt - b.createdAt).map((s) => streamConfiguration(s, issuer)),
      };
    }
    return {
      statusCode: 200,
      json: streamConfiguration(await ownStream(ssfStore, streamId, receiver), issuer),
    };
  });
}
