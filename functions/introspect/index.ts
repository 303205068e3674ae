import { introspect } from '#commons/domain/introspection.ts';
import { presentToken } from '#commons/domain/token-format.ts';
import { authenticateCaller } from '#commons/http/client-auth.ts';
import { checkTokenSyntax, parseForm, required } from '#commons/http/form.ts';
import { httpHandler, jsonResult } from '#commons/http/handler.ts';
import { clientAuth, clock, store } from '#commons/runtime.ts';

/** POST /oauth2/introspect (RFC 7662), for confidential clients (resource servers register as clients). */
export const handler = httpHandler('introspect', { errors: 'oauth' }, async (request) => {
  const params = parseForm(request.headers['content-type'], request.body);
  const presented = presentToken(checkTokenSyntax(required(params, 'token')));
  const { client } = await authenticateCaller(clientAuth, request, params, { confidentialOnly: true });
  request.log.clientId = client.clientId;
  request.log.tokenId = presented.id;
  return jsonResult(200, await introspect(store, clock, presented));
});
