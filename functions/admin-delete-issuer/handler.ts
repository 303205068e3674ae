import type { Dependencies } from '#commons/dependencies.ts';
import { NotFound } from '#commons/domain/errors.ts';
import { deleteIssuer } from '#commons/domain/trusted-admin.ts';
import { httpHandler, iamRevoker, jsonResult } from '#commons/http/handler.ts';
import { isIssuerId } from '#commons/http/issuer-json.ts';
import { auditRevocation } from '#commons/log.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'clock' | 'trustStore'>;

/** DELETE /admin/issuers/{issuerId}: one write; none of the issuer's tokens is accepted once this returns. */
export function createHandler({ http, clock, trustStore }: Deps) {
  return httpHandler('admin-delete-issuer', { errors: 'admin', settings: http }, async (request) => {
    const { issuerId } = request.pathParameters;
    if (!isIssuerId(issuerId)) throw new NotFound('issuer');
    auditRevocation(await deleteIssuer(trustStore, clock, iamRevoker(request), issuerId));
    return jsonResult(200, { issuerId });
  });
}
