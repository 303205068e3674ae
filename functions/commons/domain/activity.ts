import type { Clock, PresentedToken, RequestStore, TokenRecord, TokenState } from './model.ts';

/**
 * The one rule for whether a token is active, for every route that accepts one (introspect, invalidate,
 * refresh, revoke's ownership check, the authorizer): the token exists, has not expired and was not
 * consumed by rotation; its client exists and has not cut it off; its grant, if any, exists and is not
 * revoked; its subject, if any, has not cut it off. A cut-off applies to tokens issued at or before it.
 *
 * A token of a grant is compared with the cut-offs by its grant's issue time, not its own: every token of
 * a grant descends from the one sign-in that started it, so a cut-off that covers the grant covers all of
 * them, whenever they were minted. Without it, a refresh racing a cut-off (it read the state before the
 * cut-off landed and wrote its token after) would mint a token stamped after the cut-off's instant, active
 * for its whole lifetime although its refresh token was already cut off; no condition on the refresh's
 * write can close that window, since the cut-off's instant is taken before its own write lands. After a
 * cut-off no refresh of an older grant can succeed anyway (its refresh token is cut off too), so the rule
 * only ever changes the verdict on tokens minted inside that race.
 */
export function isActive(state: TokenState, now: number): state is TokenState & { token: TokenRecord } {
  const { token, client, grant, subjectCutoff } = state;
  if (!token || token.expiresAt * 1000 <= now || token.consumedAt !== undefined) return false;
  if (!client || client.clientId !== token.clientId) return false;
  if (token.grantId !== undefined && (!grant || grant.revokedAt !== undefined)) return false;
  const born = grant === undefined ? token.issuedAt : Math.min(grant.issuedAt, token.issuedAt);
  if (client.tokensRevokedBefore !== undefined && born <= client.tokensRevokedBefore) return false;
  if (subjectCutoff !== undefined && born <= subjectCutoff.tokensRevokedBefore) return false;
  return true;
}

/**
 * Everything that decides a presented token's activity, in one consistent read; undefined, without any
 * read, for a token whose format is wrong.
 */
export function readState(
  store: Pick<RequestStore, 'readTokenState'>,
  presented: PresentedToken,
): Promise<TokenState> | undefined {
  return presented.refs && store.readTokenState(presented.id, presented.refs);
}

/** The presented token if it is active. */
export async function findActiveToken(
  store: Pick<RequestStore, 'readTokenState'>,
  clock: Clock,
  presented: PresentedToken,
): Promise<TokenRecord | undefined> {
  const state = await readState(store, presented);
  return state && isActive(state, clock()) ? state.token : undefined;
}
