import { revokeForClient } from '#commons/domain/revocation.ts';
import { presentToken } from '#commons/domain/token-format.ts';
import { authenticateCaller } from '#commons/http/client-auth.ts';
import { checkTokenSyntax, parseForm, required } from '#commons/http/form.ts';
import { emptyResult, httpHandler } from '#commons/http/handler.ts';
import { auditRevocation } from '#commons/log.ts';
import { clientAuth, clock, store } from '#commons/runtime.ts';

/**
 * POST /oauth2/revoke (RFC 7009). The token_type_hint is validated nowhere and needed nowhere: the token's
 * own prefix says its kind, so a wrong hint cannot mislead and a missing one costs nothing.
 */
export const handler = httpHandler('revoke', { errors: 'oauth' }, async (request) => {
  const params = parseForm(request.headers['content-type'], request.body);
  const presented = presentToken(checkTokenSyntax(required(params, 'token')));
  const { client } = await authenticateCaller(clientAuth, request, params);
  request.log.clientId = client.clientId;
  request.log.tokenId = presented.id;
  const revocation = await revokeForClient(store, clock, client, presented, request.routeKey);
  if (revocation) auditRevocation(revocation.event, revocation.token.kind);
  return emptyResult();
});
