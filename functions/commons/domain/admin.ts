import { AdminError, ApigeeError } from '../errors.ts';
import { MAX_CLIENT_ID_LENGTH } from './clients.ts';
import type { Clock, Store, TokenKind, TokenRecord } from './model.ts';
import { checkTokenSyntax } from './params.ts';
import { findRevocable, type Revocation, revoke } from './revocation.ts';

/**
 * The deleted token's profile, field for field as Apigee Edge's management API returns it, so that
 * tools written against Apigee keep working. Times are epoch milliseconds; `token` echoes the path value.
 */
export function apigeeProfile(token: TokenRecord, raw: string) {
  return {
    clientId: token.clientId,
    attributes: [],
    createdAt: token.issuedAt,
    issuedAt: token.issuedAt,
    expiresAt: token.expiresAt * 1000,
    lastModifiedAt: token.lastModifiedAt,
    grantType: token.grantType,
    refreshCount: token.refreshCount,
    scope: token.scope,
    status: 'revoked',
    token: raw,
    tokenType: 'BearerToken',
  };
}

const NOT_FOUND: Record<TokenKind, string> = {
  access: 'Invalid Access Token',
  refresh: 'Invalid Refresh Token',
};

/**
 * Revokes a token of the given kind named in an admin path. A malformed, unknown, expired, already
 * revoked or wrong-kind token is Apigee's 404; a malformed one is refused before the table is touched.
 */
export async function adminRevoke(
  store: Store,
  clock: Clock,
  kind: TokenKind,
  raw: string,
): Promise<Revocation> {
  const notFound = () => new ApigeeError(404, 'keymanagement.service.invalid_account_name', NOT_FOUND[kind]);
  try {
    checkTokenSyntax(raw);
  } catch {
    throw notFound();
  }
  const token = await findRevocable(store, clock, raw);
  const revocation = token?.kind === kind ? await revoke(store, token) : undefined;
  if (!revocation) throw notFound();
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
 * Runs an admin action on the client named in the path; 404 when the action finds no such client. An id
 * longer than any issued is a 404 without touching the table.
 */
export async function forClient<T>(
  clientId: string,
  action: (clientId: string) => Promise<T | undefined>,
): Promise<T> {
  const result = clientId.length <= MAX_CLIENT_ID_LENGTH ? await action(clientId) : undefined;
  if (result === undefined) throw new AdminError(404, 'client not found');
  return result;
}
