import type { Dependencies } from '#commons/dependencies.ts';
import { introspect } from '#commons/domain/introspection.ts';
import { presentToken } from '#commons/domain/token-format.ts';
import { findActiveTrustedToken, isJwsShaped, trustedIntrospection } from '#commons/domain/trusted-tokens.ts';
import { authenticateCaller } from '#commons/http/client-auth.ts';
import { checkTokenSyntax, parseForm, required } from '#commons/http/form.ts';
import { httpHandler, jsonResult } from '#commons/http/handler.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'store' | 'clock' | 'clientAuth' | 'trusted'>;

/**
 * POST /oauth2/introspect (RFC 7662), for confidential clients (resource servers register as clients).
 * [v3] A JWT of a trusted issuer is judged by the trusted tokens' rule, and described by its own claims.
 */
export function createHandler({ http, store, clock, clientAuth, trusted }: Deps) {
  return httpHandler('introspect', { errors: 'oauth', settings: http }, async (request) => {
    const params = parseForm(request.headers['content-type'], request.body);
    const raw = checkTokenSyntax(required(params, 'token'));
    const presented = presentToken(raw);
    const { client } = await authenticateCaller(clientAuth, request, params, { confidentialOnly: true });
    request.log.clientId = client.clientId;
    request.log.tokenId = presented.id;
    if (!presented.refs && isJwsShaped(raw)) {
      const token = await findActiveTrustedToken(trusted, raw);
      return jsonResult(200, token ? trustedIntrospection(token) : { active: false });
    }
    return jsonResult(200, await introspect(store, clock, presented));
  });
}
