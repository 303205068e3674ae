import type { Dependencies } from '#commons/dependencies.ts';
import { InvalidInput } from '#commons/domain/errors.ts';
import { httpHandler } from '#commons/http/handler.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'ssfStore'>;

/**
 * GET /admin/ssf/dead-letters?stream_id=&limit=&cursor=: the SETs whose push failed for 24 hours, oldest
 * first, with why the last attempt failed; never the SET itself (it names a user).
 */
export function createHandler({ http, ssfStore }: Deps) {
  return httpHandler('admin-list-ssf-dead-letters', { errors: 'admin', settings: http }, async (request) => {
    const { stream_id: streamId, cursor } = request.query;
    const limitText = request.query.limit;
    const limit = limitText === undefined || limitText === '' ? 50 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      throw new InvalidInput('limit', 'must be an integer from 1 to 100');
    if (streamId !== undefined && (streamId === '' || streamId.length > 128)) {
      throw new InvalidInput('stream_id', 'must be a stream id');
    }
    const page = await ssfStore.deadLetters(streamId, limit, cursor === '' ? undefined : cursor);
    return {
      statusCode: 200,
      json: {
        deadLetters: page.sets.map((set) => ({
          jti: set.jti,
          streamId: set.streamId,
          ...(set.txn !== undefined && { txn: set.txn }),
          attempts: set.attempts,
          ...(set.firstAttemptAt !== undefined && { firstAttemptAt: set.firstAttemptAt }),
          ...(set.deadAt !== undefined && { deadAt: set.deadAt }),
          ...(set.lastError !== undefined && { lastError: set.lastError }),
        })),
        ...(page.cursor !== undefined && { nextCursor: page.cursor }),
      },
    };
  });
}
