import type { Dependencies } from '#commons/dependencies.ts';
import { revokeSubjectTokens } from '#commons/domain/admin.ts';
import { InvalidRequest } from '#commons/domain/errors.ts';
import { issuerIdOf } from '#commons/domain/issuers.ts';
import { revokeTrustedCutoff } from '#commons/domain/trusted-admin.ts';
import { parseJsonObject, readGlobalRevocation } from '#commons/http/admin-json.ts';
import { httpHandler, iamRevoker } from '#commons/http/handler.ts';
import { auditRevocation } from '#commons/log.ts';
import { requestIssuer } from '#commons/metadata.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<
  Dependencies,
  'http' | 'adminStore' | 'clock' | 'trustStore' | 'issuer' | 'subjectKeys'
>;

/**
 * POST /admin/global-token-revocation (draft-parecki-oauth-global-token-revocation): revoke everything
 * of a subject named by an RFC 9493 subject identifier; the effect of DELETE /admin/subjects/{subject}/tokens.
 * [v3] An `iss_sub` whose `iss` is a registered trusted issuer cuts off that issuer's tokens of the subject
 * only (DELETE /admin/issuers/{issuerId}/subjects/{subject}/tokens): the service's own are untouched.
 */
export function createHandler({
  http,
  adminStore: store,
  clock,
  trustStore,
  issuer: configured,
  subjectKeys,
}: Deps) {
  return httpHandler(
    'admin-global-token-revocation',
    { errors: 'global-revocation', settings: http },
    async (request) => {
      const issuer = configured ?? requestIssuer(request.domainName, request.headers['x-forwarded-proto']);
      const { subject, iss } = readGlobalRevocation(parseJsonObject(request.body.toString('utf8')));
      if (iss === undefined || iss === issuer) {
        const keyOf = await subjectKeys();
        auditRevocation(await revokeSubjectTokens(store, clock, iamRevoker(request), subject, keyOf));
        return { statusCode: 204 };
      }
      const trustedIssuer = (await trustStore.getIssuerItem(issuerIdOf(iss))).issuer;
      if (!trustedIssuer || trustedIssuer.issuer !== iss) {
        throw new InvalidRequest(
          'sub_id must be of format opaque, or iss_sub with this issuer or a registered one',
        );
      }
      const event = await revokeTrustedCutoff(trustStore, clock, iamRevoker(request), trustedIssuer, {
        of: 'subject',
        subject,
      });
      auditRevocation(event);
      return { statusCode: 204 };
    },
  );
}
