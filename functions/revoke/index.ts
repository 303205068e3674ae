import { authenticateClient } from '#commons/domain/client-auth.ts';
import { checkTokenSyntax, parseForm, required } from '#commons/domain/params.ts';
import { revokeForClient } from '#commons/domain/revocation.ts';
import { hashSecret } from '#commons/domain/secrets.ts';
import { emptyResult, httpHandler } from '#commons/http.ts';
import { auditRevocation } from '#commons/log.ts';
import { clock, store } from '#commons/runtime.ts';

/**
 * POST /oauth2/revoke (RFC 7009). The token_type_hint is validated nowhere and needed nowhere: tokens of
 * both kinds share one key space, so the single lookup always covers both.
 */
export const handler = httpHandler('revoke', async (request) => {
  const params = parseForm(request.headers['content-type'], request.body);
  const token = checkTokenSyntax(required(params, 'token'));
  const { client } = await authenticateClient(store, request.headers.authorization, params);
  request.log.clientId = client.clientId;
  request.log.tokenId = hashSecret(token);
  const revocation = await revokeForClient(store, clock, client, token);
  if (revocation) auditRevocation(request.routeKey, client.clientId, revocation);
  return emptyResult();
});
