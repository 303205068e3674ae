import type { Dependencies } from '#commons/dependencies.ts';
import { findActiveToken } from '#commons/domain/activity.ts';
import { NotFound } from '#commons/domain/errors.ts';
import { revokeAccessToken } from '#commons/domain/revocation.ts';
import { presentToken } from '#commons/domain/token-format.ts';
import { invalidateTrustedToken, isJwsShaped } from '#commons/domain/trusted-tokens.ts';
import { bearerToken } from '#commons/http/bearer.ts';
import { emptyResult, httpHandler } from '#commons/http/handler.ts';
import { auditRevocation } from '#commons/log.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'store' | 'clock' | 'trusted'>;

/**
 * DELETE /oauth/token: the bearer invalidates its own access token (Workspan's API). [v3] A trusted
 * issuer's JWT too: that token only (not its family), by a conditional write.
 */
export function createHandler({ http, store, clock, trusted }: Deps) {
  return httpHandler('invalidate', { errors: 'bearer', settings: http }, async (request) => {
    const raw = bearerToken(request.headers.authorization);
    const presented = presentToken(raw);
    request.log.tokenId = presented.id;
    if (!presented.refs && isJwsShaped(raw)) {
      const invalidated = await invalidateTrustedToken(trusted, raw, request.routeKey);
      if (!invalidated) throw new NotFound('access_token');
      if (invalidated.token.clientId !== undefined) request.log.clientId = invalidated.token.clientId;
      auditRevocation(invalidated.event, 'access');
      return emptyResult();
    }
    // A refresh token presented as a bearer is no access token: refused without a read, and left untouched.
    const token =
      presented.refs?.kind === 'access' ? await findActiveToken(store, clock, presented) : undefined;
    // Of two concurrent calls the conditional delete lets one win; the other finds nothing to delete.
    const revoker =
      token && ({ actor: { type: 'bearer', id: token.clientId }, route: request.routeKey } as const);
    const revocation = token && revoker && (await revokeAccessToken(store, clock, revoker, token.id));
    if (!revocation) throw new NotFound('access_token');
    request.log.clientId = revocation.token.clientId;
    auditRevocation(revocation.event, 'access');
    return emptyResult();
  });
}
