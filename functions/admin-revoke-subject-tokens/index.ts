import { revokeSubjectTokens } from '#commons/domain/admin.ts';
import { readSubject } from '#commons/http/admin-json.ts';
import { httpHandler, iamRevoker, jsonResult } from '#commons/http/handler.ts';
import { auditRevocation } from '#commons/log.ts';
import { clock, adminStore as store } from '#commons/runtime.ts';
import { subjectKeys } from '#commons/subject-key.ts';

/**
 * DELETE /admin/subjects/{subject}/tokens: every token of every client that carries the subject, inactive
 * when this returns (one write); the sweeper deletes them in the background.
 */
export const handler = httpHandler('admin-revoke-subject-tokens', { errors: 'admin' }, async (request) => {
  const subject = readSubject(request.pathParameters.subject);
  const event = await revokeSubjectTokens(store, clock, iamRevoker(request), subject, await subjectKeys());
  auditRevocation(event);
  return jsonResult(200, { subject, tokensRevokedBefore: event.tokensRevokedBefore });
});
