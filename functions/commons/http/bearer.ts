import { MissingBearerCredential } from './errors.ts';
import { checkTokenSyntax } from './form.ts';

/**
 * The access token of an RFC 6750 2.1 `Authorization: Bearer` header, syntax-checked. No bearer
 * credential at all is `MissingBearerCredential` (the bare challenge); a malformed one is `InvalidRequest`.
 */
export function bearerToken(authorization: string | undefined): string {
  const match = authorization === undefined ? null : /^Bearer +(\S+) *$/i.exec(authorization);
  if (!match?.[1]) throw new MissingBearerCredential();
  return checkTokenSyntax(match[1]);
}
