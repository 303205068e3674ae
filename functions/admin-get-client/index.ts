import { forClient } from '#commons/domain/admin.ts';
import { clientView } from '#commons/domain/clients.ts';
import { httpHandler, jsonResult } from '#commons/http.ts';
import { store } from '#commons/runtime.ts';

/** GET /admin/clients/{clientId}: the client without its secret. */
export const handler = httpHandler('admin-get-client', async (request) => {
  const clientId = request.pathParameters.clientId ?? '';
  request.log.clientId = clientId;
  return jsonResult(200, clientView(await forClient(clientId, (id) => store.getClient(id))));
});
