import { invalidClient, invalidRequest } from '../errors.ts';
import { MAX_CLIENT_ID_LENGTH } from './clients.ts';
import type { Client, Store } from './model.ts';
import type { Params } from './params.ts';
import { secretMatches } from './secrets.ts';

export type AuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

export interface AuthenticatedClient {
  readonly client: Client;
  readonly method: AuthMethod;
}

/** `application/x-www-form-urlencoded` decoding of one Basic credential part (RFC 6749 2.3.1). */
function formDecode(part: string): string | undefined {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

interface Presented {
  clientId: string;
  secret: string | undefined;
  method: AuthMethod;
  viaHeader: boolean;
}

/** Works out which single method the request uses, without touching the store. */
function presentedCredentials(authorization: string | undefined, params: Params): Presented {
  const bodyId = params.get('client_id');
  const bodySecret = params.get('client_secret');
  if (authorization !== undefined) {
    const match = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(authorization);
    if (!match?.[1]) throw invalidClient(true, 'unsupported or malformed Authorization header');
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const clientId = colon < 0 ? undefined : formDecode(decoded.slice(0, colon));
    const secret = colon < 0 ? undefined : formDecode(decoded.slice(colon + 1));
    if (!clientId || secret === undefined) throw invalidClient(true, 'malformed Basic credentials');
    if (bodySecret !== undefined) throw invalidRequest('client authenticated by more than one method');
    if (bodyId !== undefined && bodyId !== clientId) {
      throw invalidRequest('client_id in the body does not match the Authorization header');
    }
    return { clientId, secret, method: 'client_secret_basic', viaHeader: true };
  }
  if (bodyId === undefined) {
    if (bodySecret !== undefined) throw invalidRequest('client_secret given without client_id');
    throw invalidClient(false, 'client authentication required');
  }
  return bodySecret === undefined
    ? { clientId: bodyId, secret: undefined, method: 'none', viaHeader: false }
    : { clientId: bodyId, secret: bodySecret, method: 'client_secret_post', viaHeader: false };
}

/**
 * Authenticates the client of an OAuth request by exactly one of client_secret_basic, client_secret_post
 * or none (public clients). Failure is 401 invalid_client; more than one method is 400 invalid_request.
 */
export async function authenticateClient(
  store: Store,
  authorization: string | undefined,
  params: Params,
): Promise<AuthenticatedClient> {
  const presented = presentedCredentials(authorization, params);
  const fail = () => invalidClient(presented.viaHeader);
  if (presented.clientId.length > MAX_CLIENT_ID_LENGTH) throw fail();
  const client = await store.getClient(presented.clientId);
  if (presented.secret === undefined) {
    // `none`: only a registered public client may identify itself without a secret.
    if (!client?.public) throw fail();
    return { client, method: 'none' };
  }
  // Always compare, even for an unknown or public client, so timing does not reveal which ids exist.
  const matches = secretMatches(presented.secret, client?.secretHash);
  if (!client || client.public || !matches) throw fail();
  return { client, method: presented.method };
}
