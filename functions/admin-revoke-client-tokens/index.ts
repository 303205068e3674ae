import { forClient, revokeClientTokens } from '#commons/domain/admin.ts';
import { httpHandler, jsonResult } from '#commons/http/handler.ts';
import { auditClientTokens } from '#commons/log.ts';
import { clock, store } from '#commons/runtime.ts';

/** DELETE /admin/clients/{clientId}/tokens: every token of the client revoked; the client stays. */
export const handler = httpHandler('admin-revoke-client-tokens', { errors: 'admin' }, async (request) => {
  const clientId = request.pathParameters.clientId ?? '';
  request.log.clientId = clientId;
  const revoked = await forClient(clientId, (id) => revokeClientTokens(store, clock, id));
  auditClientTokens(request.routeKey, request.principal ?? '', clientId, revoked.cascade);
  return jsonResult(200, { revokedTokens: revoked.cascade });
});
