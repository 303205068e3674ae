import { findActiveToken } from '#commons/domain/activity.ts';
import { NotFound } from '#commons/domain/errors.ts';
import { revokeAccessToken } from '#commons/domain/revocation.ts';
import { presentToken } from '#commons/domain/token-format.ts';
import { bearerToken } from '#commons/http/bearer.ts';
import { emptyResult, httpHandler } from '#commons/http/handler.ts';
import { auditRevocation } from '#commons/log.ts';
import { clock, store } from '#commons/runtime.ts';

/** DELETE /oauth/token: the bearer invalidates its own access token (Workspan's API). */
export const handler = httpHandler('invalidate', { errors: 'bearer' }, async (request) => {
  const presented = presentToken(bearerToken(request.headers.authorization));
  request.log.tokenId = presented.id;
  // A refresh token presented as a bearer is no access token: refused without a read, and left untouched.
  const token =
    presented.refs?.kind === 'access' ? await findActiveToken(store, clock, presented) : undefined;
  // Of two concurrent calls the conditional delete lets one win; the other finds nothing to delete.
  const revoker =
    token && ({ actor: { type: 'bearer', id: token.clientId }, route: request.routeKey } as const);
  const revocation = token && revoker && (await revokeAccessToken(store, clock, revoker, token.id));
  if (!revocation) throw new NotFound('access_token');
  request.log.clientId = revocation.token.clientId;
  auditRevocation(revocation.event, 'access');
  return emptyResult();
});
