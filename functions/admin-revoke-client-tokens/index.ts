import { revokeClientTokens } from '#commons/domain/admin.ts';
import { AdminError } from '#commons/errors.ts';
import { httpHandler, jsonResult } from '#commons/http.ts';
import { audit } from '#commons/log.ts';
import { clock, store } from '#commons/runtime.ts';

/** DELETE /admin/clients/{clientId}/tokens: every token of the client revoked; the client stays. */
export const handler = httpHandler('admin-revoke-client-tokens', async (request) => {
  const clientId = request.pathParameters.clientId ?? '';
  request.log.clientId = clientId;
  const revokedTokens = clientId.length <= 128 ? await revokeClientTokens(store, clock, clientId) : undefined;
  if (revokedTokens === undefined) throw new AdminError(404, 'client not found');
  audit({
    route: request.routeKey,
    who: request.principal ?? '',
    tokenKind: 'all',
    clientId,
    cascade: revokedTokens,
  });
  return jsonResult(200, { revokedTokens });
});
