import type { Dependencies } from '#commons/dependencies.ts';
import { revokeForClient } from '#commons/domain/revocation.ts';
import { presentToken } from '#commons/domain/token-format.ts';
import {
  bearerActor,
  isJwsShaped,
  revokeTrustedToken,
  verifyTrustedToken,
} from '#commons/domain/trusted-tokens.ts';
import { authenticateCaller } from '#commons/http/client-auth.ts';
import { sendsClientCredentials } from '#commons/http/client-credentials.ts';
import { checkTokenSyntax, parseForm, required } from '#commons/http/form.ts';
import { emptyResult, httpHandler } from '#commons/http/handler.ts';
import { auditRevocation } from '#commons/log.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'store' | 'clock' | 'clientAuth' | 'trusted'>;

/**
 * POST /oauth2/revoke (RFC 7009). The token_type_hint is validated nowhere and needed nowhere: the token's
 * own prefix says its kind, so a wrong hint cannot mislead and a missing one costs nothing.
 *
 * [v3] A JWT of a trusted issuer needs no client of the service: possession is the right to revoke
 * (whoever holds a token can use it, so may kill it). Credentials that are sent must still be valid.
 */
export function createHandler({ http, store, clock, clientAuth, trusted }: Deps) {
  return httpHandler('revoke', { errors: 'oauth', settings: http }, async (request) => {
    const params = parseForm(request.headers['content-type'], request.body);
    const raw = checkTokenSyntax(required(params, 'token'));
    const presented = presentToken(raw);
    request.log.tokenId = presented.id;
    if (!presented.refs && isJwsShaped(raw)) {
      const caller = sendsClientCredentials(request.headers.authorization, params)
        ? (await authenticateCaller(clientAuth, request, params)).client
        : undefined;
      if (caller) request.log.clientId = caller.clientId;
      const token = await verifyTrustedToken(trusted, raw);
      if (!token) return emptyResult();
      const actor = caller ? ({ type: 'client', id: caller.clientId } as const) : bearerActor(token);
      const event = await revokeTrustedToken(trusted, token, { actor, route: request.routeKey });
      if (event) auditRevocation(event);
      return emptyResult();
    }
    const { client } = await authenticateCaller(clientAuth, request, params);
    request.log.clientId = client.clientId;
    const revocation = await revokeForClient(store, clock, client, presented, request.routeKey);
    if (revocation) auditRevocation(revocation.event, revocation.token.kind);
    return emptyResult();
  });
}
