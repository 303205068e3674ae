import { streamConfiguration } from '#commons/domain/ssf.ts';
import { httpHandler } from '#commons/http/handler.ts';
import { authorizeReceiver, issuerOf, ownStream, ssfStore } from '#commons/ssf/runtime.ts';

/**
 * GET /ssf/streams (SSF 1.0 8.1.1.2): `?stream_id=` one stream's configuration; without it, every stream
 * of the receiver, as an array.
 */
export const handler = httpHandler('ssf-get-stream', { errors: 'ssf' }, async (request) => {
  const receiver = await authorizeReceiver(request, 'read');
  const issuer = issuerOf(request);
  const streamId = request.query.stream_id;
  if (streamId === undefined || streamId === '') {
    const streams = await ssfStore.listStreams(receiver);
    return {
      statusCode: 200,
      json: streams.sort((a, b) => a.createdAt - b.createdAt).map((s) => streamConfiguration(s, issuer)),
    };
  }
  return { statusCode: 200, json: streamConfiguration(await ownStream(streamId, receiver), issuer) };
});
