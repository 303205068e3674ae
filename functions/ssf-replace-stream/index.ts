import { type Stream, streamConfiguration } from '#commons/domain/ssf.ts';
import { StreamConflict } from '#commons/domain/ssf-errors.ts';
import { httpHandler } from '#commons/http/handler.ts';
import { parseJsonObject, streamReplaceOf } from '#commons/http/ssf-json.ts';
import { authorizeReceiver, bodyText, issuerOf, ownStream, ssfStore } from '#commons/ssf/runtime.ts';

/**
 * PUT /ssf/streams (SSF 1.0 8.1.1.4): replaces the receiver-supplied configuration; a property left out
 * takes its default (`events_requested`: everything supported). Status and subjects stay.
 */
export const handler = httpHandler('ssf-replace-stream', { errors: 'ssf' }, async (request) => {
  const receiver = await authorizeReceiver(request, 'manage');
  const input = streamReplaceOf(parseJsonObject(bodyText(request)));
  const { eventsRequested: _previous, ...stream } = await ownStream(input.streamId, receiver);
  const replaced: Stream = {
    ...stream,
    delivery: input.delivery,
    ...(input.eventsRequested !== undefined && { eventsRequested: input.eventsRequested }),
    version: stream.version + 1,
  };
  if (!(await ssfStore.updateStream(replaced)))
    throw new StreamConflict('the stream changed meanwhile; retry');
  return { statusCode: 200, json: streamConfiguration(replaced, issuerOf(request)) };
});
