import { introspect } from '#commons/domain/introspection.ts';
import { presentToken } from '#commons/domain/token-format.ts';
import { findActiveTrustedToken, isJwsShaped, trustedIntrospection } from '#commons/domain/trusted-tokens.ts';
import { authenticateCaller } from '#commons/http/client-auth.ts';
import { checkTokenSyntax, parseForm, required } from '#commons/http/form.ts';
import { httpHandler, jsonResult } from '#commons/http/handler.ts';
import { clientAuth, clock, store } from '#commons/runtime.ts';
import { trusted } from '#commons/trusted/verifier.ts';

/**
 * POST /oauth2/introspect (RFC 7662), for confidential clients (resource servers register as clients).
 * [v3] A JWT of a trusted issuer is judged by the trusted tokens' rule, and described by its own claims.
 */
export const handler = httpHandler('introspect', { errors: 'oauth' }, async (request) => {
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
