import { MAX_CLIENT_ID_LENGTH } from './clients.ts';
import { NotFound } from './errors.ts';
import type { Clock, Store, TokenKind } from './model.ts';
import { findRevocable, type Revocation, revoke } from './revocation.ts';

const MISSING = { access: 'access_token', refresh: 'refresh_token' } as const;

/**
 * Revokes a token of the given kind, named by its id, for an operator. An unknown, expired, already
 * revoked or wrong-kind token is `NotFound`; so is the loser of two concurrent deletes of one token.
 */
export async function adminRevoke(
  store: Store,
  clock: Clock,
  kind: TokenKind,
  tokenId: string,
): Promise<Revocation> {
  const token = await findRevocable(store, clock, tokenId);
  const revocation = token?.kind === kind ? await revoke(store, token) : undefined;
  if (!revocation) throw new NotFound(MISSING[kind]);
  return revocation;
}

/**
 * Revokes every token of a client, which stays registered. The cut-off written first makes every
 * existing token inactive at once, whatever the index has caught up with; the sweep then deletes them.
 * Undefined when the client does not exist.
 */
export async function revokeClientTokens(
  store: Store,
  clock: Clock,
  clientId: string,
): Promise<number | undefined> {
  if (!(await store.revokeClientTokensBefore(clientId, clock()))) return undefined;
  return store.deleteTokensOfClient(clientId);
}

/**
 * Deletes a client and all its tokens. The client goes first, so it can neither authenticate nor have a
 * token minted while the sweep runs, and its tokens are inactive from that moment. If the sweep fails,
 * the same call retried finds the client gone but still sweeps what is left. Undefined when there was
 * neither a client nor any token of it.
 */
export async function deleteClient(store: Store, clientId: string): Promise<number | undefined> {
  const existed = await store.deleteClient(clientId);
  const swept = await store.deleteTokensOfClient(clientId);
  return existed || swept > 0 ? swept : undefined;
}

/**
 * Runs an admin action on the client named; `NotFound` when the action finds no such client. An id
 * longer than any issued is not found without touching the table.
 */
export async function forClient<T>(
  clientId: string,
  action: (clientId: string) => Promise<T | undefined>,
): Promise<T> {
  const result = clientId.length <= MAX_CLIENT_ID_LENGTH ? await action(clientId) : undefined;
  if (result === undefined) throw new NotFound('client');
  return result;
}
