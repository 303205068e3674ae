import { adminRevoke, apigeeProfile } from '#commons/domain/admin.ts';
import { httpHandler, jsonResult } from '#commons/http.ts';
import { auditRevocation } from '#commons/log.ts';
import { clock, store } from '#commons/runtime.ts';

/** DELETE /admin/oauth2/refreshtokens/{refresh_token}: the refresh token and its access tokens. */
export const handler = httpHandler('admin-delete-refresh-token', async (request) => {
  const raw = request.pathParameters.refresh_token ?? '';
  const revocation = await adminRevoke(store, clock, 'refresh', raw);
  request.log.tokenId = revocation.tokenId;
  request.log.clientId = revocation.token.clientId;
  auditRevocation(request.routeKey, request.principal ?? '', revocation);
  return jsonResult(200, {
    ...apigeeProfile(revocation.token, raw),
    revokedAccessTokens: revocation.cascade,
  });
});
