import type { Clock, GrantRecord, PresentedToken, Store, TokenRecord, TokenState } from './model.ts';

/**
 * The one rule for whether a token is active, for every route that accepts one (introspect, invalidate,
 * refresh, revoke's ownership check, the authorizer): the token exists, has not expired and was not
 * consumed by rotation; its client exists and has not cut it off; its grant, if any, exists and is not
 * revoked; its subject, if any, has not cut it off. A cut-off applies to tokens issued at or before it,
 * and to every token of a grant started at or before it.
 *
 * Why the grant's start, not each token's own issue time: a cut-off takes its instant before its write
 * lands, so a refresh can read the client and subject before that write, yet mint its token after the
 * instant. Such a token descends from a refresh token the cut-off covers, and must die with it. Every
 * token of a grant is issued at or after the grant's start, and once the cut-off's write is visible no
 * refresh of a grant started before it succeeds (its refresh token is cut off), so the only grant tokens
 * this rule takes beyond "issued at or before" are exactly those racing ones.
 */
export function isActive(state: TokenState, now: number): state is TokenState & { token: TokenRecord } {
  const { token, client, grant, subjectCutoff } = state;
  if (!token || token.expiresAt * 1000 <= now || token.consumedAt !== undefined) return false;
  if (!client || client.clientId !== token.clientId) return false;
  if (token.grantId !== undefined && (!grant || grant.revokedAt !== undefined)) return false;
  const issued = cutOffInstantOf(token, grant);
  if (client.tokensRevokedBefore !== undefined && issued <= client.tokensRevokedBefore) return false;
  if (subjectCutoff !== undefined && issued <= subjectCutoff.tokensRevokedBefore) return false;
  return true;
}

/** The instant cut-offs compare: the token's grant's start when it has a grant, else its own issue time. */
function cutOffInstantOf(token: TokenRecord, grant: GrantRecord | undefined): number {
  return token.grantId !== undefined && grant?.grantId === token.grantId
    ? Math.min(grant.issuedAt, token.issuedAt)
    : token.issuedAt;
}

/**
 * Everything that decides a presented token's activity, in one consistent read; undefined, without any
 * read, for a token whose format is wrong.
 */
export function readState(store: Store, presented: PresentedToken): Promise<TokenState> | undefined {
  return presented.refs && store.readTokenState(presented.id, presented.refs);
}

/** The presented token if it is active. */
export async function findActiveToken(
  store: Store,
  clock: Clock,
  presented: PresentedToken,
): Promise<TokenRecord | undefined> {
  const state = await readState(store, presented);
  return state && isActive(state, clock()) ? state.token : undefined;
}
