import { deleteClient, forClient } from '#commons/domain/admin.ts';
import { httpHandler, jsonResult } from '#commons/http/handler.ts';
import { auditClientTokens } from '#commons/log.ts';
import { store } from '#commons/runtime.ts';

/** DELETE /admin/clients/{clientId}: the client and every token it had. */
export const handler = httpHandler('admin-delete-client', { errors: 'admin' }, async (request) => {
  const clientId = request.pathParameters.clientId ?? '';
  request.log.clientId = clientId;
  const revokedTokens = await forClient(clientId, (id) => deleteClient(store, id));
  auditClientTokens(request.routeKey, request.principal ?? '', clientId, revokedTokens);
  return jsonResult(200, { clientId, revokedTokens });
});
