import type { Dependencies } from '#commons/dependencies.ts';
import { NotFound } from '#commons/domain/errors.ts';
import { requireIssuer } from '#commons/domain/trusted-admin.ts';
import { httpHandler, jsonResult } from '#commons/http/handler.ts';
import { isIssuerId, issuerView } from '#commons/http/issuer-json.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'trustStore'>;

/** GET /admin/issuers/{issuerId}: the registered issuer; 404 if there is none. */
export function createHandler({ http, trustStore }: Deps) {
  return httpHandler('admin-get-issuer', { errors: 'admin', settings: http }, async (request) => {
    const { issuerId } = request.pathParameters;
    if (!isIssuerId(issuerId)) throw new NotFound('issuer');
    return jsonResult(200, issuerView(await requireIssuer(trustStore, issuerId)));
  });
}
