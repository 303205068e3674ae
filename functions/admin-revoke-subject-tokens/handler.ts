import type { Dependencies } from '#commons/dependencies.ts';
import { revokeSubjectTokens } from '#commons/domain/admin.ts';
import { readSubject } from '#commons/http/admin-json.ts';
import { httpHandler, iamRevoker, jsonResult } from '#commons/http/handler.ts';
import { auditRevocation } from '#commons/log.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'adminStore' | 'clock' | 'subjectKeys'>;

/**
 * DELETE /admin/subjects/{subject}/tokens: every token of every client that carries the subject, inactive
 * when this returns (one write); the sweeper deletes them in the background.
 */
export function createHandler({ http, adminStore: store, clock, subjectKeys }: Deps) {
  return httpHandler('admin-revoke-subject-tokens', { errors: 'admin', settings: http }, async (request) => {
    const subject = readSubject(request.pathParameters.subject);
    const event = await revokeSubjectTokens(store, clock, iamRevoker(request), subject, await subjectKeys());
    auditRevocation(event);
    return jsonResult(200, { subject, tokensRevokedBefore: event.tokensRevokedBefore });
  });
}
