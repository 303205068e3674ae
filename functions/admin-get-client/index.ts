import { clientView } from '#commons/domain/clients.ts';
import { AdminError } from '#commons/errors.ts';
import { httpHandler, jsonResult } from '#commons/http.ts';
import { store } from '#commons/runtime.ts';

/** GET /admin/clients/{clientId}: the client without its secret. */
export const handler = httpHandler('admin-get-client', async (request) => {
  const clientId = request.pathParameters.clientId ?? '';
  request.log.clientId = clientId;
  const client = clientId.length <= 128 ? await store.getClient(clientId) : undefined;
  if (!client) throw new AdminError(404, 'client not found');
  return jsonResult(200, clientView(client));
});
