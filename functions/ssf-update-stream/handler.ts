import type { Dependencies } from '#commons/dependencies.ts';
import { streamConfiguration } from '#commons/domain/ssf.ts';
import { StreamConflict } from '#commons/domain/ssf-errors.ts';
import { httpHandler } from '#commons/http/handler.ts';
import { parseJsonObject, streamPatchOf } from '#commons/http/ssf-json.ts';
import { authorizeReceiver, bodyText, issuerOf, ownStream } from '#commons/ssf/routes.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'store' | 'clock' | 'ssfStore' | 'issuer'>;

/** PATCH /ssf/streams (SSF 1.0 8.1.1.3): changes the properties given, keeps the others. */
export function createHandler({ http, store, clock, ssfStore, issuer }: Deps) {
  return httpHandler('ssf-update-stream', { errors: 'ssf', settings: http }, async (request) => {
    const receiver = await authorizeReceiver({ store, clock }, request, 'manage');
    const input = streamPatchOf(parseJsonObject(bodyText(request)));
    const stream = await ownStream(ssfStore, input.streamId, receiver);
    const updated = {
      ...stream,
      ...(input.delivery !== undefined && { delivery: input.delivery }),
      ...(input.eventsRequested !== undefined && { eventsRequested: input.eventsRequested }),
      version: stream.version + 1,
    };
    if (!(await ssfStore.updateStream(updated)))
      throw new StreamConflict('the stream changed meanwhile; retry');
    return { statusCode: 200, json: streamConfiguration(updated, issuerOf(issuer, request)) };
  });
}
