import type { Dependencies } from '#commons/dependencies.ts';
import { httpHandler } from '#commons/http/handler.ts';
import { parseJsonObject, verificationOf } from '#commons/http/ssf-json.ts';
import { authorizeReceiver, bodyText, ownStream } from '#commons/ssf/routes.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'store' | 'clock' | 'ssfStore' | 'ssfQueue'>;

/**
 * POST /ssf/verify (SSF 1.0 8.1.4.2): 204, then a verification SET carrying `state` on the stream. The
 * deliverer signs it (the one function allowed to sign), so the route hands it the request.
 */
export function createHandler({ http, store, clock, ssfStore, ssfQueue }: Deps) {
  return httpHandler('ssf-verify', { errors: 'ssf', settings: http }, async (request) => {
    const receiver = await authorizeReceiver({ store, clock }, request, 'manage');
    const input = verificationOf(parseJsonObject(bodyText(request)));
    await ownStream(ssfStore, input.streamId, receiver);
    await ssfQueue.send({
      kind: 'ssf-verify',
      streamId: input.streamId,
      ...(input.state !== undefined && { state: input.state }),
    });
    return { statusCode: 204 };
  });
}
