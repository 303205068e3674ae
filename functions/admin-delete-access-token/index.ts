import { adminRevoke } from '#commons/domain/admin.ts';
import { apigeeProfile, apigeeToken } from '#commons/http/apigee.ts';
import { httpHandler, jsonResult } from '#commons/http/handler.ts';
import { auditRevocation } from '#commons/log.ts';
import { clock, store } from '#commons/runtime.ts';

/** DELETE /admin/oauth2/accesstokens/{access_token}: Apigee Edge's "delete access token". */
export const handler = httpHandler('admin-delete-access-token', { errors: 'apigee' }, async (request) => {
  const raw = request.pathParameters.access_token ?? '';
  const revocation = await adminRevoke(store, clock, 'access', apigeeToken(raw, 'access_token'));
  request.log.tokenId = revocation.tokenId;
  request.log.clientId = revocation.token.clientId;
  auditRevocation(request.routeKey, request.principal ?? '', revocation);
  return jsonResult(200, apigeeProfile(revocation.token, raw));
});
