import { deleteClient } from '#commons/domain/admin.ts';
import { AdminError } from '#commons/errors.ts';
import { httpHandler, jsonResult } from '#commons/http.ts';
import { audit } from '#commons/log.ts';
import { store } from '#commons/runtime.ts';

/** DELETE /admin/clients/{clientId}: the client and every token it had. */
export const handler = httpHandler('admin-delete-client', async (request) => {
  const clientId = request.pathParameters.clientId ?? '';
  request.log.clientId = clientId;
  const revokedTokens = clientId.length <= 128 ? await deleteClient(store, clientId) : undefined;
  if (revokedTokens === undefined) throw new AdminError(404, 'client not found');
  audit({
    route: request.routeKey,
    who: request.principal ?? '',
    tokenKind: 'all',
    clientId,
    cascade: revokedTokens,
  });
  return jsonResult(200, { clientId, revokedTokens });
});
