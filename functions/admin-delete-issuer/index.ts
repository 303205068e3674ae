import { NotFound } from '#commons/domain/errors.ts';
import { deleteIssuer } from '#commons/domain/trusted-admin.ts';
import { httpHandler, iamRevoker, jsonResult } from '#commons/http/handler.ts';
import { isIssuerId } from '#commons/http/issuer-json.ts';
import { auditRevocation } from '#commons/log.ts';
import { clock } from '#commons/runtime.ts';
import { trustStore } from '#commons/trusted/runtime.ts';

/** DELETE /admin/issuers/{issuerId}: one write; none of the issuer's tokens is accepted once this returns. */
export const handler = httpHandler('admin-delete-issuer', { errors: 'admin' }, async (request) => {
  const { issuerId } = request.pathParameters;
  if (!isIssuerId(issuerId)) throw new NotFound('issuer');
  auditRevocation(await deleteIssuer(trustStore, clock, iamRevoker(request), issuerId));
  return jsonResult(200, { issuerId });
});
