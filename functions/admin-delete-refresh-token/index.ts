import { adminRevoke } from '#commons/domain/admin.ts';
import { apigeeProfile, apigeeToken } from '#commons/http/apigee.ts';
import { httpHandler, jsonResult } from '#commons/http/handler.ts';
import { auditRevocation } from '#commons/log.ts';
import { clock, store } from '#commons/runtime.ts';

/** DELETE /admin/oauth2/refreshtokens/{refresh_token}: the refresh token and its access tokens. */
export const handler = httpHandler('admin-delete-refresh-token', { errors: 'apigee' }, async (request) => {
  const raw = request.pathParameters.refresh_token ?? '';
  const revocation = await adminRevoke(store, clock, 'refresh', apigeeToken(raw, 'refresh_token'));
  request.log.tokenId = revocation.tokenId;
  request.log.clientId = revocation.token.clientId;
  auditRevocation(request.routeKey, request.principal ?? '', revocation);
  return jsonResult(200, {
    ...apigeeProfile(revocation.token, raw),
    grantId: revocation.grantId,
    revokedAccessTokens: revocation.cascade,
  });
});
