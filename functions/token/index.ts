import { authenticateClient } from '#commons/domain/client-auth.ts';
import { checkTokenSyntax, parseForm, required } from '#commons/domain/params.ts';
import { hashSecret } from '#commons/domain/secrets.ts';
import { clientCredentialsGrant, refreshTokenGrant } from '#commons/domain/tokens.ts';
import { OAuthError } from '#commons/errors.ts';
import { httpHandler, jsonResult } from '#commons/http.ts';
import { clock, store } from '#commons/runtime.ts';

/** POST /oauth2/token (RFC 6749): client_credentials and refresh_token grants. */
export const handler = httpHandler('token', async (request) => {
  const params = parseForm(request.headers['content-type'], request.body);
  const grantType = required(params, 'grant_type');
  if (grantType !== 'client_credentials' && grantType !== 'refresh_token') {
    throw new OAuthError(400, 'unsupported_grant_type', `grant_type ${grantType} is not supported`);
  }
  const refreshToken =
    grantType === 'refresh_token'
      ? checkTokenSyntax(required(params, 'refresh_token'), 'refresh_token')
      : undefined;
  const { client } = await authenticateClient(store, request.headers.authorization, params);
  request.log.clientId = client.clientId;
  const scope = params.get('scope');
  if (refreshToken === undefined) {
    const issued = await clientCredentialsGrant(store, clock, client, scope);
    request.log.tokenId = issued.accessTokenId;
    return jsonResult(200, issued.response);
  }
  request.log.tokenId = hashSecret(refreshToken);
  const issued = await refreshTokenGrant(store, clock, client, refreshToken, scope);
  return jsonResult(200, issued.response);
});
