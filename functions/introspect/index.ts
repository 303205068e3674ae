import { authenticateClient } from '#commons/domain/client-auth.ts';
import { introspect } from '#commons/domain/introspection.ts';
import { checkTokenSyntax, parseForm, required } from '#commons/domain/params.ts';
import { hashSecret } from '#commons/domain/secrets.ts';
import { invalidClient } from '#commons/errors.ts';
import { httpHandler, jsonResult } from '#commons/http.ts';
import { clock, store } from '#commons/runtime.ts';

/** POST /oauth2/introspect (RFC 7662), for confidential clients (resource servers register as clients). */
export const handler = httpHandler('introspect', async (request) => {
  const params = parseForm(request.headers['content-type'], request.body);
  const token = checkTokenSyntax(required(params, 'token'));
  const { client, method } = await authenticateClient(store, request.headers.authorization, params);
  if (method === 'none') throw invalidClient(false, 'introspection requires client authentication');
  request.log.clientId = client.clientId;
  request.log.tokenId = hashSecret(token);
  return jsonResult(200, await introspect(store, clock, token, client));
});
