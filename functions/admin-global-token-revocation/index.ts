import { revokeSubjectTokens } from '#commons/domain/admin.ts';
import { parseJsonObject, readGlobalRevocation } from '#commons/http/admin-json.ts';
import { httpHandler, iamRevoker } from '#commons/http/handler.ts';
import { auditRevocation } from '#commons/log.ts';
import { requestIssuer } from '#commons/metadata.ts';
import { clock, config, store } from '#commons/runtime.ts';
import { subjectKeys } from '#commons/subject-key.ts';

/**
 * POST /admin/global-token-revocation (draft-parecki-oauth-global-token-revocation): revoke everything
 * of a subject named by an RFC 9493 subject identifier; the effect of DELETE /admin/subjects/{subject}/tokens.
 */
export const handler = httpHandler(
  'admin-global-token-revocation',
  { errors: 'global-revocation' },
  async (request) => {
    const issuer = config.issuer ?? requestIssuer(request.domainName, request.headers['x-forwarded-proto']);
    const subject = readGlobalRevocation(parseJsonObject(request.body.toString('utf8')), issuer);
    const keyOf = await subjectKeys();
    auditRevocation(await revokeSubjectTokens(store, clock, iamRevoker(request), subject, keyOf));
    return { statusCode: 204 };
  },
);
