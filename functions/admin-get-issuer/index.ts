import { NotFound } from '#commons/domain/errors.ts';
import { requireIssuer } from '#commons/domain/trusted-admin.ts';
import { httpHandler, jsonResult } from '#commons/http/handler.ts';
import { isIssuerId, issuerView } from '#commons/http/issuer-json.ts';
import { trustStore } from '#commons/trusted/runtime.ts';

/** GET /admin/issuers/{issuerId}: the registered issuer; 404 if there is none. */
export const handler = httpHandler('admin-get-issuer', { errors: 'admin' }, async (request) => {
  const { issuerId } = request.pathParameters;
  if (!isIssuerId(issuerId)) throw new NotFound('issuer');
  return jsonResult(200, issuerView(await requireIssuer(trustStore, issuerId)));
});
