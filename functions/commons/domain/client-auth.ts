import { MAX_CLIENT_ID_LENGTH } from './clients.ts';
import { type AuthMethod, InvalidClient } from './errors.ts';
import type { Client, Store } from './model.ts';
import { secretMatches } from './secrets.ts';

export type { AuthMethod };

/** The credentials a caller presented by exactly one method, as the edge read them. */
export interface PresentedCredentials {
  readonly clientId: string;
  /** Absent for `none`. */
  readonly secret: string | undefined;
  readonly method: AuthMethod;
}

export interface AuthenticatedClient {
  readonly client: Client;
  readonly method: AuthMethod;
}

/**
 * Authenticates a client by the credentials it presented (client_secret_basic, client_secret_post, or
 * none for registered public clients). Failure is `InvalidClient`, carrying the method tried.
 */
export async function authenticateClient(
  store: Store,
  presented: PresentedCredentials,
): Promise<AuthenticatedClient> {
  const fail = () => new InvalidClient('client authentication failed', presented.method);
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
