import { forClient, revokeClientTokens } from '#commons/domain/admin.ts';
import { httpHandler, iamRevoker, jsonResult } from '#commons/http/handler.ts';
import { auditRevocation } from '#commons/log.ts';
import { clock, adminStore as store } from '#commons/runtime.ts';

/**
 * DELETE /admin/clients/{clientId}/tokens: every token of the client issued up to now is inactive when
 * this returns (one write); the sweeper deletes them in the background. The client stays.
 */
export const handler = httpHandler('admin-revoke-client-tokens', { errors: 'admin' }, async (request) => {
  const clientId = request.pathParameters.clientId ?? '';
  request.log.clientId = clientId;
  const event = await forClient(clientId, (id) => revokeClientTokens(store, clock, iamRevoker(request), id));
  auditRevocation(event);
  return jsonResult(200, { clientId, tokensRevokedBefore: event.tokensRevokedBefore });
});
