import { UnsupportedGrantType } from '#commons/domain/errors.ts';
import { hashSecret } from '#commons/domain/secrets.ts';
import { clientCredentialsGrant, refreshTokenGrant } from '#commons/domain/tokens.ts';
import { authenticateCaller } from '#commons/http/client-auth.ts';
import { checkTokenSyntax, parseForm, required } from '#commons/http/form.ts';
import { httpHandler, jsonResult } from '#commons/http/handler.ts';
import { clientAuth, clock, store } from '#commons/runtime.ts';

/** POST /oauth2/token (RFC 6749): client_credentials and refresh_token grants. */
export const handler = httpHandler('token', { errors: 'oauth' }, async (request) => {
  const params = parseForm(request.headers['content-type'], request.body);
  const grantType = required(params, 'grant_type');
  if (grantType !== 'client_credentials' && grantType !== 'refresh_token') {
    throw new UnsupportedGrantType(`grant_type ${grantType} is not supported`);
  }
  const refreshTokenId =
    grantType === 'refresh_token'
      ? hashSecret(checkTokenSyntax(required(params, 'refresh_token'), 'refresh_token'))
      : undefined;
  const { client } = await authenticateCaller(clientAuth, request, params);
  request.log.clientId = client.clientId;
  const scope = params.get('scope');
  if (refreshTokenId === undefined) {
    const issued = await clientCredentialsGrant(store, clock, client, scope);
    request.log.tokenId = issued.accessTokenId;
    return jsonResult(200, issued.response);
  }
  request.log.tokenId = refreshTokenId;
  const issued = await refreshTokenGrant(store, clock, client, refreshTokenId, scope);
  return jsonResult(200, issued.response);
});
