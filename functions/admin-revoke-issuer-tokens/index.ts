import { NotFound } from '#commons/domain/errors.ts';
import { revokeIssuerTokens } from '#commons/domain/trusted-admin.ts';
import { httpHandler, iamRevoker, jsonResult } from '#commons/http/handler.ts';
import { isIssuerId } from '#commons/http/issuer-json.ts';
import { auditRevocation } from '#commons/log.ts';
import { clock } from '#commons/runtime.ts';
import { trustStore } from '#commons/trusted/runtime.ts';

/**
 * DELETE /admin/issuers/{issuerId}/tokens: every token of the issuer issued up to now is inactive when
 * this returns (one write): what to do when its signing key leaked.
 */
export const handler = httpHandler('admin-revoke-issuer-tokens', { errors: 'admin' }, async (request) => {
  const { issuerId } = request.pathParameters;
  if (!isIssuerId(issuerId)) throw new NotFound('issuer');
  const event = await revokeIssuerTokens(trustStore, clock, iamRevoker(request), issuerId);
  auditRevocation(event);
  return jsonResult(200, { issuerId, tokensRevokedBefore: event.tokensRevokedBefore });
});
