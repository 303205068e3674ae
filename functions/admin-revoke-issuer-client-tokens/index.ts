import { NotFound } from '#commons/domain/errors.ts';
import { requireIssuer, revokeTrustedCutoff } from '#commons/domain/trusted-admin.ts';
import { httpHandler, iamRevoker, jsonResult } from '#commons/http/handler.ts';
import { isIssuerId, readForeignClientId } from '#commons/http/issuer-json.ts';
import { auditRevocation } from '#commons/log.ts';
import { clock } from '#commons/runtime.ts';
import { trustStore } from '#commons/trusted/runtime.ts';

/**
 * DELETE /admin/issuers/{issuerId}/clients/{clientId}/tokens: every token of the issuer that names this
 * client (its client id claims) issued up to now, inactive when this returns (one write).
 */
export const handler = httpHandler(
  'admin-revoke-issuer-client-tokens',
  { errors: 'admin' },
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
