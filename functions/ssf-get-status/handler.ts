import type { Dependencies } from '#commons/dependencies.ts';
import { streamStatus } from '#commons/domain/ssf.ts';
import { httpHandler } from '#commons/http/handler.ts';
import { authorizeReceiver, ownStream, queryParameter } from '#commons/ssf/routes.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'store' | 'clock' | 'ssfStore'>;

/** GET /ssf/status?stream_id= (SSF 1.0 8.1.2.1). */
export function createHandler({ http, store, clock, ssfStore }: Deps) {
  return httpHandler('ssf-get-status', { errors: 'ssf', settings: http }, async (request) => {
    const receiver = await authorizeReceiver({ store, clock }, request, 'read');
    const stream = await ownStream(ssfStore, queryParameter(request, 'stream_id'), receiver);
    return { statusCode: 200, json: streamStatus(stream) };
  });
}
