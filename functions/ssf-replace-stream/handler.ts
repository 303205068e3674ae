import type { Dependencies } from '#commons/dependencies.ts';
import { type Stream, streamConfiguration } from '#commons/domain/ssf.ts';
import { StreamConflict } from '#commons/domain/ssf-errors.ts';
import { httpHandler } from '#commons/http/handler.ts';
import { parseJsonObject, streamReplaceOf } from '#commons/http/ssf-json.ts';
import { authorizeReceiver, bodyText, issuerOf, ownStream } from '#commons/ssf/routes.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'store' | 'clock' | 'ssfStore' | 'issuer'>;

/**
 * PUT /ssf/streams (SSF 1.0 8.1.1.4): replaces the receiver-supplied configuration; a property left out
 * takes its default (`events_requested`: everything supported). Status and subjects stay.
 */
export function createHandler({ http, store, clock, ssfStore, issuer }: Deps) {
  return httpHandler('ssf-replace-stream', { errors: 'ssf', settings: http }, async (request) => {
    const receiver = await authorizeReceiver({ store, clock }, request, 'manage');
    const input = streamReplaceOf(parseJsonObject(bodyText(request)));
    const { eventsRequested: _previous, ...stream } = await ownStream(ssfStore, input.streamId, receiver);
    const replaced: Stream = {
      ...stream,
      delivery: input.delivery,
      ...(input.eventsRequested !== undefined && { eventsRequested: input.eventsRequested }),
      version: stream.version + 1,
    };
    if (!(await ssfStore.updateStream(replaced)))
      throw new StreamConflict('the stream changed meanwhile; retry');
    return { statusCode: 200, json: streamConfiguration(replaced, issuerOf(issuer, request)) };
  });
}
