import type { Dependencies } from '#commons/dependencies.ts';
import { NotFound } from '#commons/domain/errors.ts';
import { requireIssuer, revokeTrustedCutoff } from '#commons/domain/trusted-admin.ts';
import { httpHandler, iamRevoker, jsonResult } from '#commons/http/handler.ts';
import { isIssuerId, readForeignSubject } from '#commons/http/issuer-json.ts';
import { auditRevocation } from '#commons/log.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'clock' | 'trustStore'>;

/**
 * DELETE /admin/issuers/{issuerId}/subjects/{subject}/tokens: every token of the issuer that carries this
 * subject (its subject claim) issued up to now, inactive when this returns (one write). The service's own
 * tokens of a subject with the same name are untouched.
 */
export function createHandler({ http, clock, trustStore }: Deps) {
  return httpHandler(
    'admin-revoke-issuer-subject-tokens',
    { errors: 'admin', settings: http },
    async (request) => {
      const { issuerId } = request.pathParameters;
      const subject = readForeignSubject(request.pathParameters.subject);
      if (!isIssuerId(issuerId)) throw new NotFound('issuer');
      const issuer = await requireIssuer(trustStore, issuerId);
      const event = await revokeTrustedCutoff(trustStore, clock, iamRevoker(request), issuer, {
        of: 'subject',
        subject,
      });
      auditRevocation(event);
      return jsonResult(200, { issuerId, subject, tokensRevokedBefore: event.tokensRevokedBefore });
    },
  );
}
