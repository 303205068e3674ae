import type { Dependencies } from '#commons/dependencies.ts';
import { StreamNotFound } from '#commons/domain/ssf-errors.ts';
import { httpHandler } from '#commons/http/handler.ts';
import { authorizeReceiver, ownStream, queryParameter } from '#commons/ssf/routes.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'store' | 'clock' | 'ssfStore'>;

/**
 * DELETE /ssf/streams?stream_id= (SSF 1.0 8.1.1.5): 204. The stream's waiting SETs are never delivered
 * (the deliverer finds no stream) and expire.
 */
export function createHandler({ http, store, clock, ssfStore }: Deps) {
  return httpHandler('ssf-delete-stream', { errors: 'ssf', settings: http }, async (request) => {
    const receiver = await authorizeReceiver({ store, clock }, request, 'manage');
    const streamId = queryParameter(request, 'stream_id');
    await ownStream(ssfStore, streamId, receiver);
    if (!(await ssfStore.deleteStream(streamId, receiver))) throw new StreamNotFound();
    return { statusCode: 204 };
  });
}
