import { streamStatus } from '#commons/domain/ssf.ts';
import { httpHandler } from '#commons/http/handler.ts';
import { authorizeReceiver, ownStream, queryParameter } from '#commons/ssf/runtime.ts';

/** GET /ssf/status?stream_id= (SSF 1.0 8.1.2.1). */
export const handler = httpHandler('ssf-get-status', { errors: 'ssf' }, async (request) => {
  const receiver = await authorizeReceiver(request, 'read');
  const stream = await ownStream(queryParameter(request, 'stream_id'), receiver);
  return { statusCode: 200, json: streamStatus(stream) };
});
