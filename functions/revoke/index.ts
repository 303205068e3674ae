import { revokeForClient } from '#commons/domain/revocation.ts';
import { hashSecret } from '#commons/domain/secrets.ts';
import { authenticateCaller } from '#commons/http/client-auth.ts';
import { checkTokenSyntax, parseForm, required } from '#commons/http/form.ts';
import { emptyResult, httpHandler } from '#commons/http/handler.ts';
import { auditRevocation } from '#commons/log.ts';
import { clientAuth, clock, store } from '#commons/runtime.ts';

/**
 * POST /oauth2/revoke (RFC 7009). The token_type_hint is validated nowhere and needed nowhere: tokens of
 * both kinds share one key space, so the single lookup always covers both.
 */
export const handler = httpHandler('revoke', { errors: 'oauth' }, async (request) => {
  const params = parseForm(request.headers['content-type'], request.body);
  const tokenId = hashSecret(checkTokenSyntax(required(params, 'token')));
  const { client } = await authenticateCaller(clientAuth, request, params);
  request.log.clientId = client.clientId;
  request.log.tokenId = tokenId;
  const revocation = await revokeForClient(store, clock, client, tokenId);
  if (revocation) auditRevocation(request.routeKey, client.clientId, revocation);
  return emptyResult();
});
