import type { Dependencies } from '#commons/dependencies.ts';
import { NotFound } from '#commons/domain/errors.ts';
import { issueTokens } from '#commons/domain/tokens.ts';
import { parseJsonObject, readMintRequest } from '#commons/http/admin-json.ts';
import { httpHandler, jsonResult } from '#commons/http/handler.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'store' | 'clock' | 'subjectKeys'>;

/**
 * POST /admin/tokens: how an upstream authorization server that authenticated a user hands its tokens to
 * this service, and how public clients get tokens.
 */
export function createHandler({ http, store, clock, subjectKeys }: Deps) {
  return httpHandler('admin-mint-token', { errors: 'admin', settings: http }, async (request) => {
    const mint = readMintRequest(parseJsonObject(request.body.toString('utf8')));
    request.log.clientId = mint.clientId;
    const client = await store.getClient(mint.clientId);
    if (!client) throw new NotFound('client');
    const issued = await issueTokens(store, clock, client, {
      scope: mint.scope,
      ...(mint.subject !== undefined && {
        subject: mint.subject,
        subjectKey: (await subjectKeys())(mint.subject),
      }),
      withRefreshToken: mint.refreshToken,
      grantType: 'external',
    });
    // The client was deleted between the read and the conditional write.
    if (!issued) throw new NotFound('client');
    request.log.tokenId = issued.accessTokenId;
    return jsonResult(201, issued.response);
  });
}
