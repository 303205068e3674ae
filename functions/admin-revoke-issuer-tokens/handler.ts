import type { Dependencies } from '#commons/dependencies.ts';
import { NotFound } from '#commons/domain/errors.ts';
import { revokeIssuerTokens } from '#commons/domain/trusted-admin.ts';
import { httpHandler, iamRevoker, jsonResult } from '#commons/http/handler.ts';
import { isIssuerId } from '#commons/http/issuer-json.ts';
import { auditRevocation } from '#commons/log.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'clock' | 'trustStore'>;

/**
 * DELETE /admin/issuers/{issuerId}/tokens: every token of the issuer issued up to now is inactive when
 * this returns (one write): what to do when its signing key leaked.
 */
export function createHandler({ http, clock, trustStore }: Deps) {
  return httpHandler('admin-revoke-issuer-tokens', { errors: 'admin', settings: http }, async (request) => {
    const { issuerId } = request.pathParameters;
    if (!isIssuerId(issuerId)) throw new NotFound('issuer');
    const event = await revokeIssuerTokens(trustStore, clock, iamRevoker(request), issuerId);
    auditRevocation(event);
    return jsonResult(200, { issuerId, tokensRevokedBefore: event.tokensRevokedBefore });
  });
}
