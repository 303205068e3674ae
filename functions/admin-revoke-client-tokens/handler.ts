import type { Dependencies } from '#commons/dependencies.ts';
import { forClient, revokeClientTokens } from '#commons/domain/admin.ts';
import { httpHandler, iamRevoker, jsonResult } from '#commons/http/handler.ts';
import { auditRevocation } from '#commons/log.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'adminStore' | 'clock'>;

/**
 * DELETE /admin/clients/{clientId}/tokens: every token of the client issued up to now is inactive when
 * this returns (one write); the sweeper deletes them in the background. The client stays.
 */
export function createHandler({ http, adminStore: store, clock }: Deps) {
  return httpHandler('admin-revoke-client-tokens', { errors: 'admin', settings: http }, async (request) => {
    const clientId = request.pathParameters.clientId ?? '';
    request.log.clientId = clientId;
    const event = await forClient(clientId, (id) =>
      revokeClientTokens(store, clock, iamRevoker(request), id),
    );
    auditRevocation(event);
    return jsonResult(200, { clientId, tokensRevokedBefore: event.tokensRevokedBefore });
  });
}
