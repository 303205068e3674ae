import type { Dependencies } from '#commons/dependencies.ts';
import { UnsupportedGrantType } from '#commons/domain/errors.ts';
import { presentToken } from '#commons/domain/token-format.ts';
import { clientCredentialsGrant, refreshTokenGrant } from '#commons/domain/tokens.ts';
import { authenticateCaller } from '#commons/http/client-auth.ts';
import { checkTokenSyntax, parseForm, required } from '#commons/http/form.ts';
import { httpHandler, jsonResult } from '#commons/http/handler.ts';
import { auditRevocation } from '#commons/log.ts';

/** What this function's handler is built from (`index.ts` builds them). */
export type Deps = Pick<Dependencies, 'http' | 'store' | 'clock' | 'clientAuth'>;

/** POST /oauth2/token (RFC 6749): client_credentials and refresh_token grants. */
export function createHandler({ http, store, clock, clientAuth }: Deps) {
  return httpHandler('token', { errors: 'oauth', settings: http }, async (request) => {
    const params = parseForm(request.headers['content-type'], request.body);
    const grantType = required(params, 'grant_type');
    if (grantType !== 'client_credentials' && grantType !== 'refresh_token') {
      throw new UnsupportedGrantType(`grant_type ${grantType} is not supported`);
    }
    const refreshToken =
      grantType === 'refresh_token'
        ? presentToken(checkTokenSyntax(required(params, 'refresh_token'), 'refresh_token'))
        : undefined;
    const { client } = await authenticateCaller(clientAuth, request, params);
    request.log.clientId = client.clientId;
    const scope = params.get('scope');
    if (refreshToken === undefined) {
      const issued = await clientCredentialsGrant(store, clock, client, scope);
      request.log.tokenId = issued.accessTokenId;
      return jsonResult(200, issued.response);
    }
    request.log.tokenId = refreshToken.id;
    const issued = await refreshTokenGrant(store, clock, client, refreshToken, scope, {
      route: request.routeKey,
      onReuse: (event) => auditRevocation(event, 'refresh'),
    });
    return jsonResult(200, issued.response);
  });
}
