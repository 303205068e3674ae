import type { Dependencies } from '#commons/dependencies.ts';
import { NotFound } from '#commons/domain/errors.ts';
import { requireIssuer, revokeTrustedCutoff } from '#commons/domain/trusted-admin.ts';
import { httpHandler, iamRevoker, jsonResult } from '#commons/http/handler.ts';
import { isIssuerId, readForeignClientId } from '#commons/http/issuer-json.ts';
import { auditRevocation } from '#commons/log.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'clock' | 'trustStore'>;

/**
 * DELETE /admin/issuers/{issuerId}/clients/{clientId}/tokens: every token of the issuer that names this
 * client (its client id claims) issued up to now, inactive when this returns (one write).
 */
export function createHandler({ http, clock, trustStore }: Deps) {
  return httpHandler(
    'admin-revoke-issuer-client-tokens',
    { errors: 'admin', settings: http },
    async (request) => {
      const { issuerId } = request.pathParameters;
      const clientId = readForeignClientId(request.pathParameters.clientId);
      if (!isIssuerId(issuerId)) throw new NotFound('issuer');
      const issuer = await requireIssuer(trustStore, issuerId);
      const event = await revokeTrustedCutoff(trustStore, clock, iamRevoker(request), issuer, {
        of: 'client',
        clientId,
      });
      auditRevocation(event);
      return jsonResult(200, { issuerId, clientId, tokensRevokedBefore: event.tokensRevokedBefore });
    },
  );
}
