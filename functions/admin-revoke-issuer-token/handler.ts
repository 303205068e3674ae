import type { Dependencies } from '#commons/dependencies.ts';
import { NotFound } from '#commons/domain/errors.ts';
import { adminRevokeTrusted, requireIssuer } from '#commons/domain/trusted-admin.ts';
import { parseJsonObject } from '#commons/http/admin-json.ts';
import { httpHandler, iamRevoker, jsonResult } from '#commons/http/handler.ts';
import { isIssuerId, readTrustedRevocation } from '#commons/http/issuer-json.ts';
import { auditRevocation } from '#commons/log.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'clock' | 'trusted' | 'trustStore'>;

/**
 * POST /admin/issuers/{issuerId}/revocations: revokes one of the issuer's tokens by its id and `exp`, a
 * family, or the token itself (then as RFC 7009 revoke would: its family when it carries one). One write.
 */
export function createHandler({ http, clock, trusted, trustStore }: Deps) {
  return httpHandler('admin-revoke-issuer-token', { errors: 'admin', settings: http }, async (request) => {
    const { issuerId } = request.pathParameters;
    const revocation = readTrustedRevocation(parseJsonObject(request.body.toString('utf8')));
    if (!isIssuerId(issuerId)) throw new NotFound('issuer');
    const issuer = await requireIssuer(trustStore, issuerId);
    const { revoked, event } = await adminRevokeTrusted(
      { store: trustStore, clock, keys: trusted.keys },
      iamRevoker(request),
      issuer,
      revocation,
    );
    if (event) auditRevocation(event);
    return jsonResult(200, { issuerId, ...revoked });
  });
}
