import { checkTokenSyntax } from '#commons/domain/params.ts';
import { revokeAccessToken } from '#commons/domain/revocation.ts';
import { hashSecret } from '#commons/domain/secrets.ts';
import { findActiveToken } from '#commons/domain/tokens.ts';
import { BearerChallenge, OAuthError } from '#commons/errors.ts';
import { emptyResult, httpHandler } from '#commons/http.ts';
import { auditRevocation } from '#commons/log.ts';
import { clock, store } from '#commons/runtime.ts';

const CHALLENGE = 'Bearer realm="oauth"';

/** The bearer access token of an RFC 6750 Authorization header. */
function bearerToken(authorization: string | undefined): string {
  const match = authorization === undefined ? null : /^Bearer +(\S+) *$/i.exec(authorization);
  if (!match?.[1]) throw new BearerChallenge();
  try {
    return checkTokenSyntax(match[1]);
  } catch (cause) {
    if (cause instanceof OAuthError)
      cause.headers['WWW-Authenticate'] = `${CHALLENGE}, error="invalid_request"`;
    throw cause;
  }
}

/** DELETE /oauth/token: the bearer invalidates its own access token (Workspan's API). */
export const handler = httpHandler('invalidate', async (request) => {
  const raw = bearerToken(request.headers.authorization);
  request.log.tokenId = hashSecret(raw);
  const token = await findActiveToken(store, clock, raw);
  // A refresh token presented as a bearer is no access token: refused, and left untouched.
  const revocation = token?.kind === 'access' ? await revokeAccessToken(store, token) : undefined;
  if (!revocation) {
    throw new OAuthError(403, 'invalid_token', 'Access Token already invalidated or not found');
  }
  request.log.clientId = revocation.token.clientId;
  auditRevocation(request.routeKey, revocation.token.clientId, revocation);
  return emptyResult();
});
