import { deleteClient, forClient } from '#commons/domain/admin.ts';
import { httpHandler, iamRevoker, jsonResult } from '#commons/http/handler.ts';
import { auditRevocation } from '#commons/log.ts';
import { clock, adminStore as store } from '#commons/runtime.ts';

/**
 * DELETE /admin/clients/{clientId}: the client and every token of it are inactive when this returns (one
 * write); the sweeper deletes its tokens in the background.
 */
export const handler = httpHandler('admin-delete-client', { errors: 'admin' }, async (request) => {
  const clientId = request.pathParameters.clientId ?? '';
  request.log.clientId = clientId;
  auditRevocation(await forClient(clientId, (id) => deleteClient(store, clock, iamRevoker(request), id)));
  return jsonResult(200, { clientId });
});
