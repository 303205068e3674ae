import type { ClientLookup } from './client-cache.ts';
import { MAX_CLIENT_ID_LENGTH } from './clients.ts';
import { type AuthMethod, InvalidClient } from './errors.ts';
import type { Client, Clock } from './model.ts';
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
 * Whether a presented secret is one of the client's: its current secret, or its previous one while the
 * rotation's grace lasts, or the one before an unconfirmed rotation. All comparisons always run, in constant time, so timing tells nothing about
 * which matched or whether there was a previous secret.
 */
export function clientSecretMatches(client: Client | undefined, secret: string, now: number): boolean {
  const current = secretMatches(secret, client?.secretHash);
  const inGrace = (client?.previousSecretExpiresAt ?? 0) > now;
  const previous = secretMatches(secret, inGrace ? client?.previousSecretHash : undefined);
  // The secret before a rotation not yet confirmed (answered 503, or its confirmation lost) still works.
  const unconfirmed = secretMatches(secret, client?.unconfirmedPreviousSecretHash);
  return current || previous || unconfirmed;
}

/** The authenticated client when the credentials fit this client item, else undefined. */
function verify(
  client: Client | undefined,
  presented: PresentedCredentials,
  now: number,
): AuthenticatedClient | undefined {
  if (presented.secret === undefined) {
    // `none`: only a registered public client may identify itself without a secret.
    return client?.public ? { client, method: 'none' } : undefined;
  }
  // Always compare, even for an unknown or public client, so timing does not reveal which ids exist.
  const matches = clientSecretMatches(client, presented.secret, now);
  return client && !client.public && matches ? { client, method: presented.method } : undefined;
}

/**
 * Authenticates a client by the credentials it presented (client_secret_basic, client_secret_post, or
 * none for registered public clients). Failure is `InvalidClient`, carrying the method tried.
 *
 * The client item may come from a cache; a failure against a cached item is checked again against a
 * fresh read before it counts, so a secret rotated (or a client registered) a moment ago works at once.
 */
export async function authenticateClient(
  clients: ClientLookup,
  clock: Clock,
  presented: PresentedCredentials,
): Promise<AuthenticatedClient> {
  const fail = () => new InvalidClient('client authentication failed', presented.method);
  if (presented.clientId.length > MAX_CLIENT_ID_LENGTH) throw fail();
  const { client, cached } = await clients.lookup(presented.clientId);
  const authenticated =
    verify(client, presented, clock()) ??
    (cached ? verify(await clients.fresh(presented.clientId), presented, clock()) : undefined);
  if (!authenticated) throw fail();
  return authenticated;
}
