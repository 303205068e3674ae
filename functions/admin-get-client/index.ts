import { forClient } from '#commons/domain/admin.ts';
import { clientView } from '#commons/http/admin-json.ts';
import { httpHandler, jsonResult } from '#commons/http/handler.ts';
import { store } from '#commons/runtime.ts';

/** GET /admin/clients/{clientId}: the client without its secret. */
export const handler = httpHandler('admin-get-client', { errors: 'admin' }, async (request) => {
  const clientId = request.pathParameters.clientId ?? '';
  request.log.clientId = clientId;
  return jsonResult(200, clientView(await forClient(clientId, (id) => store.getClient(id))));
});
