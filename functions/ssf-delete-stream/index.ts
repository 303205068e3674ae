import { StreamNotFound } from '#commons/domain/ssf-errors.ts';
import { httpHandler } from '#commons/http/handler.ts';
import { authorizeReceiver, ownStream, queryParameter, ssfStore } from '#commons/ssf/runtime.ts';

/**
 * DELETE /ssf/streams?stream_id= (SSF 1.0 8.1.1.5): 204. The stream's waiting SETs are never delivered
 * (the deliverer finds no stream) and expire.
 */
export const handler = httpHandler('ssf-delete-stream', { errors: 'ssf' }, async (request) => {
  const receiver = await authorizeReceiver(request, 'manage');
  const streamId = queryParameter(request, 'stream_id');
  await ownStream(streamId, receiver);
  if (!(await ssfStore.deleteStream(streamId, receiver))) throw new StreamNotFound();
  return { statusCode: 204 };
});
