import { revokeSubjectTokens } from '#commons/domain/admin.ts';
import { readSubject } from '#commons/http/admin-json.ts';
import { httpHandler, jsonResult } from '#commons/http/handler.ts';
import { auditSubjectTokens } from '#commons/log.ts';
import { clock, store } from '#commons/runtime.ts';

/** DELETE /admin/subjects/{subject}/tokens: every token of every client that carries the subject. */
export const handler = httpHandler('admin-revoke-subject-tokens', { errors: 'admin' }, async (request) => {
  const subject = readSubject(request.pathParameters.subject);
  const { subjectKey, tokensRevokedBefore, cascade } = await revokeSubjectTokens(store, clock, subject);
  auditSubjectTokens(request.routeKey, request.principal ?? '', { subjectKey, tokensRevokedBefore, cascade });
  return jsonResult(200, { subject, tokensRevokedBefore });
});
