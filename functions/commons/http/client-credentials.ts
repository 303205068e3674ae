import type { PresentedCredentials } from '../domain/client-auth.ts';
import { InvalidClient, InvalidRequest } from '../domain/errors.ts';
import type { Params } from './form.ts';

/** `application/x-www-form-urlencoded` decoding of one Basic credential part (RFC 6749 2.3.1). */
function formDecode(part: string): string | undefined {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/**
 * Reads which single client authentication method the request uses (RFC 6749 2.3), without touching the
 * store: Basic credentials in the Authorization header, `client_id`/`client_secret` in the form body, or
 * `client_id` alone for a public client. More than one method is `InvalidRequest`; none is `InvalidClient`.
 */
export function presentedCredentials(
  authorization: string | undefined,
  params: Params,
): PresentedCredentials {
  const bodyId = params.get('client_id');
  const bodySecret = params.get('client_secret');
  if (authorization !== undefined) {
    const basic = 'client_secret_basic';
    const match = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(authorization);
    if (!match?.[1]) throw new InvalidClient('unsupported or malformed Authorization header', basic);
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const clientId = colon < 0 ? undefined : formDecode(decoded.slice(0, colon));
    const secret = colon < 0 ? undefined : formDecode(decoded.slice(colon + 1));
    if (!clientId || secret === undefined) throw new InvalidClient('malformed Basic credentials', basic);
    if (bodySecret !== undefined) throw new InvalidRequest('client authenticated by more than one method');
    if (bodyId !== undefined && bodyId !== clientId) {
      throw new InvalidRequest('client_id in the body does not match the Authorization header');
    }
    return { clientId, secret, method: basic };
  }
  if (bodyId === undefined) {
    if (bodySecret !== undefined) throw new InvalidRequest('client_secret given without client_id');
    throw new InvalidClient('client authentication required');
  }
  return bodySecret === undefined
    ? { clientId: bodyId, secret: undefined, method: 'none' }
    : { clientId: bodyId, secret: bodySecret, method: 'client_secret_post' };
}

/**
 * [v3] Whether a request presents client credentials by any method (an Authorization header, or a
 * `client_id` or `client_secret` in the body). Revoking a trusted issuer's JWT needs none, but those that
 * are sent must be valid.
 */
export function sendsClientCredentials(authorization: string | undefined, params: Params): boolean {
  return authorization !== undefined || params.has('client_id') || params.has('client_secret');
}
