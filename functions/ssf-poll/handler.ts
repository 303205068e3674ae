import type { Dependencies } from '#commons/dependencies.ts';
import { POLL } from '#commons/domain/ssf.ts';
import { poll } from '#commons/domain/ssf-delivery.ts';
import { StreamNotFound } from '#commons/domain/ssf-errors.ts';
import { httpHandler } from '#commons/http/handler.ts';
import { pollRequestOf } from '#commons/http/ssf-json.ts';
import { logger } from '#commons/log.ts';
import { authorizeReceiver, bodyText, ownStream } from '#commons/ssf/routes.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'store' | 'clock' | 'ssfStore'>;

/** How long a poll without `returnImmediately` waits for a SET (well inside API Gateway's 30 s). */
const LONG_POLL_MS = 5000;

/**
 * POST /ssf/poll/{streamId} (RFC 8936): acknowledgements and errors, then up to `maxEvents` SETs, oldest
 * revocation first. A SET stays until acknowledged (or 7 days); one offered and not acknowledged is
 * offered again 30 s later.
 */
export function createHandler({ http, store, clock, ssfStore }: Deps) {
  return httpHandler('ssf-poll', { errors: 'ssf', settings: http }, async (request) => {
    const receiver = await authorizeReceiver({ store, clock }, request, 'read');
    const stream = await ownStream(ssfStore, request.pathParameters.streamId ?? '', receiver);
    if (stream.delivery.method !== POLL) throw new StreamNotFound();
    const input = pollRequestOf(bodyText(request));
    const result = await poll(ssfStore, clock, stream, input, LONG_POLL_MS, (jti, err) =>
      logger.warn('SET refused by poll receiver', { ssf: { streamId: stream.streamId, jti, err } }),
    );
    return { statusCode: 200, json: result };
  });
}
