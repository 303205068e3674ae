import { NotFound } from '#commons/domain/errors.ts';
import { revokeAccessToken } from '#commons/domain/revocation.ts';
import { hashSecret } from '#commons/domain/secrets.ts';
import { findActiveToken } from '#commons/domain/tokens.ts';
import { bearerToken } from '#commons/http/bearer.ts';
import { emptyResult, httpHandler } from '#commons/http/handler.ts';
import { auditRevocation } from '#commons/log.ts';
import { clock, store } from '#commons/runtime.ts';

/** DELETE /oauth/token: the bearer invalidates its own access token (Workspan's API). */
export const handler = httpHandler('invalidate', { errors: 'bearer' }, async (request) => {
  const tokenId = hashSecret(bearerToken(request.headers.authorization));
  request.log.tokenId = tokenId;
  const token = await findActiveToken(store, clock, tokenId);
  // A refresh token presented as a bearer is no access token: refused, and left untouched. Of two
  // concurrent calls the conditional delete lets one win; the other finds nothing to delete.
  const revocation = token?.kind === 'access' ? await revokeAccessToken(store, token) : undefined;
  if (!revocation) throw new NotFound('access_token');
  request.log.clientId = revocation.token.clientId;
  auditRevocation(request.routeKey, revocation.token.clientId, revocation);
  return emptyResult();
});
