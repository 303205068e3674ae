import { streamConfiguration } from '#commons/domain/ssf.ts';
import { StreamConflict } from '#commons/domain/ssf-errors.ts';
import { httpHandler } from '#commons/http/handler.ts';
import { parseJsonObject, streamPatchOf } from '#commons/http/ssf-json.ts';
import { authorizeReceiver, bodyText, issuerOf, ownStream, ssfStore } from '#commons/ssf/runtime.ts';

/** PATCH /ssf/streams (SSF 1.0 8.1.1.3): changes the properties given, keeps the others. */
export const handler = httpHandler('ssf-update-stream', { errors: 'ssf' }, async (request) => {
  const receiver = await authorizeReceiver(request, 'manage');
  const input = streamPatchOf(parseJsonObject(bodyText(request)));
  const stream = await ownStream(input.streamId, receiver);
  const updated = {
    ...stream,
    ...(input.delivery !== undefined && { delivery: input.delivery }),
    ...(input.eventsRequested !== undefined && { eventsRequested: input.eventsRequested }),
    version: stream.version + 1,
  };
  if (!(await ssfStore.updateStream(updated)))
    throw new StreamConflict('the stream changed meanwhile; retry');
  return { statusCode: 200, json: streamConfiguration(updated, issuerOf(request)) };
});
