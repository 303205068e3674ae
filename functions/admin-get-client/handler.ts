import type { Dependencies } from '#commons/dependencies.ts';
import { forClient } from '#commons/domain/admin.ts';
import { clientView } from '#commons/http/admin-json.ts';
import { httpHandler, jsonResult } from '#commons/http/handler.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'store'>;

/** GET /admin/clients/{clientId}: the client without its secret. */
export function createHandler({ http, store }: Deps) {
  return httpHandler('admin-get-client', { errors: 'admin', settings: http }, async (request) => {
    const clientId = request.pathParameters.clientId ?? '';
    request.log.clientId = clientId;
    return jsonResult(200, clientView(await forClient(clientId, (id) => store.getClient(id))));
  });
}
