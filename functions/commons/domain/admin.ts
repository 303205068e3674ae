import { readState } from './activity.ts';
import { MAX_CLIENT_ID_LENGTH } from './clients.ts';
import { NotFound, tokenNotFound } from './errors.ts';
import {
  clientDeletedEvent,
  clientTokensRevokedEvent,
  type RevocationEvent,
  type Revoker,
  subjectTokensRevokedEvent,
} from './events.ts';
import type { AdminStore, Clock, PresentedToken, RequestStore, TokenKind } from './model.ts';
import { type Revocation, revoke } from './revocation.ts';
import { legacySubjectKeyOf, type SubjectKeyer } from './token-format.ts';

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
  store: RequestStore,
  clock: Clock,
  revoker: Revoker,
  kind: TokenKind,
  presented: PresentedToken,
): Promise<Revocation> {
  const state = presented.refs?.kind === kind ? await readState(store, presented) : undefined;
  const revocation = state && (await revoke(store, clock, revoker, state));
  if (!revocation) throw tokenNotFound(kind);
  return revocation;
}

/**
 * Revokes every token of a client issued up to now, in one write: the cut-off makes them inactive at
 * once; the sweeper deletes them (and only them) in the background. The client stays and can get new
 * tokens at once. Undefined when the client does not exist.
 */
export async function revokeClientTokens(
  store: Pick<AdminStore, 'revokeClientTokensBefore'>,
  clock: Clock,
  revoker: Revoker,
  clientId: string,
): Promise<RevocationEvent | undefined> {
  const mark = { ...revoker, at: clock() };
  if (!(await store.revokeClientTokensBefore(clientId, mark))) return undefined;
  return clientTokensRevokedEvent(clientId, mark);
}

/**
 * Revokes every token, of every client, that carries this subject and was issued up to now: one cut-off
 * item under the subject's keyed key (kept as long as any token lives); the sweeper deletes the tokens.
 * Idempotent; a subject without tokens is fine.
 *
 * [v3] Tokens minted before subject keys were keyed name the plain-hash key, and the one read that decides
 * a token's activity reads the cut-off under the key the token names. So while such a token of this subject
 * is still stored (one keys-only Query of the subject index, limit 1), the same cut-off is also written
 * under that key, in the same transaction: two items, one request, atomic. Once the last old token has
 * expired (at most the longest token lifetime after the upgrade), every revocation is one write again.
 * Only the keyed item is a revocation to the stream: the other is marked as its mirror, makes no event,
 * and the keyed item's sweep deletes the old tokens too.
 */
export async function revokeSubjectTokens(
  store: Pick<AdminStore, 'cutOffSubject' | 'hasTokensOfSubject'>,
  clock: Clock,
  revoker: Revoker,
  subject: string,
  keyOf: SubjectKeyer,
): Promise<RevocationEvent> {
  const mark = { ...revoker, at: clock() };
  const subjectKey = keyOf(subject);
  const legacyKey = legacySubjectKeyOf(subject);
  const mirror =
    legacyKey !== subjectKey && (await store.hasTokensOfSubject(legacyKey)) ? legacyKey : undefined;
  await store.cutOffSubject(
    {
      subjectKey,
      subject,
      tokensRevokedBefore: mark.at,
      expiresAt: Math.floor(mark.at / 1000) + LONGEST_TOKEN_LIFETIME_SECONDS,
    },
    mark,
    mirror,
  );
  return subjectTokensRevokedEvent({ subjectKey, subject }, mark);
}

/**
 * Deletes a client in one write: from then on it can neither authenticate nor have a token minted, and
 * every token of it is inactive (the activity rule reads the client with the token); the sweeper deletes
 * its tokens in the background. Undefined when there was no such client.
 */
export async function deleteClient(
  store: Pick<AdminStore, 'deleteClient'>,
  clock: Clock,
  revoker: Revoker,
  clientId: string,
): Promise<RevocationEvent | undefined> {
  const mark = { ...revoker, at: clock() };
  if (!(await store.deleteClient(clientId, mark))) return undefined;
  return clientDeletedEvent(clientId, mark);
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
