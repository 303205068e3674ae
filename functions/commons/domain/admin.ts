import { readState } from './activity.ts';
import { MAX_CLIENT_ID_LENGTH } from './clients.ts';
import { NotFound, tokenNotFound } from './errors.ts';
import type { Clock, PresentedToken, Store, TokenKind } from './model.ts';
import { type Revocation, revoke } from './revocation.ts';
import { subjectKeyOf } from './token-format.ts';

/**
 * The longest any token lives (a refresh token's lifetime is at most 365 days): a subject's cut-off is
 * kept at least that long, so no token it cut off can outlive it.
 */
const LONGEST_TOKEN_LIFETIME_SECONDS = 366 * 24 * 3600;

/**
 * Revokes a token of the given kind for an operator. An unknown, malformed, expired, already revoked or
 * wrong-kind token is `NotFound`; so is the loser of two concurrent revocations of one token.
 */
export async function adminRevoke(
  store: Store,
  clock: Clock,
  kind: TokenKind,
  presented: PresentedToken,
): Promise<Revocation> {
  const state = presented.refs?.kind === kind ? await readState(store, presented) : undefined;
  const revocation = state && (await revoke(store, clock, state));
  if (!revocation) throw tokenNotFound(kind);
  return revocation;
}

/**
 * Revokes every token of a client issued up to now; the client stays and can get new tokens at once.
 * The cut-off written first makes those tokens inactive at once, whatever the index has caught up with;
 * the sweep then deletes them (and only them). Undefined when the client does not exist.
 */
export async function revokeClientTokens(
  store: Store,
  clock: Clock,
  clientId: string,
): Promise<{ tokensRevokedBefore: number; cascade: number } | undefined> {
  const at = clock();
  if (!(await store.revokeClientTokensBefore(clientId, at))) return undefined;
  return { tokensRevokedBefore: at, cascade: await store.deleteTokensOfClient(clientId, at) };
}

/**
 * Revokes every token, of every client, that carries this subject and was issued up to now: one cut-off
 * item (kept as long as any token lives), then the sweep. Idempotent; a subject without tokens is fine.
 */
export async function revokeSubjectTokens(
  store: Store,
  clock: Clock,
  subject: string,
): Promise<{ subject: string; subjectKey: string; tokensRevokedBefore: number; cascade: number }> {
  const at = clock();
  const subjectKey = subjectKeyOf(subject);
  await store.cutOffSubject({
    subjectKey,
    tokensRevokedBefore: at,
    expiresAt: Math.floor(at / 1000) + LONGEST_TOKEN_LIFETIME_SECONDS,
  });
  const cascade = await store.deleteTokensOfSubject(subjectKey, at);
  return { subject, subjectKey, tokensRevokedBefore: at, cascade };
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
