import type { Dependencies } from '#commons/dependencies.ts';
import { deleteClient, forClient } from '#commons/domain/admin.ts';
import { httpHandler, iamRevoker, jsonResult } from '#commons/http/handler.ts';
import { auditRevocation } from '#commons/log.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'adminStore' | 'clock'>;

/**
 * DELETE /admin/clients/{clientId}: the client and every token of it are inactive when this returns (one
 * write); the sweeper deletes its tokens in the background.
 */
export function createHandler({ http, adminStore: store, clock }: Deps) {
  return httpHandler('admin-delete-client', { errors: 'admin', settings: http }, async (request) => {
    const clientId = request.pathParameters.clientId ?? '';
    request.log.clientId = clientId;
    auditRevocation(await forClient(clientId, (id) => deleteClient(store, clock, iamRevoker(request), id)));
    return jsonResult(200, { clientId });
  });
}
