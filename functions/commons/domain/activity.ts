import type { Clock, PresentedToken, Store, TokenRecord, TokenState } from './model.ts';

/**
 * The one rule for whether a token is active, for every route that accepts one (introspect, invalidate,
 * refresh, revoke's ownership check, the authorizer): the token exists, has not expired and was not
 * consumed by rotation; its client exists and has not cut it off; its grant, if any, exists and is not
 * revoked; its subject, if any, has not cut it off. A cut-off applies to tokens issued at or before it.
 */
export function isActive(state: TokenState, now: number): state is TokenState & { token: TokenRecord } {
  const { token, client, grant, subjectCutoff } = state;
  if (!token || token.expiresAt * 1000 <= now || token.consumedAt !== undefined) return false;
  if (!client || client.clientId !== token.clientId) return false;
  if (client.tokensRevokedBefore !== undefined && token.issuedAt <= client.tokensRevokedBefore) return false;
  if (token.grantId !== undefined && (!grant || grant.revokedAt !== undefined)) return false;
  if (subjectCutoff !== undefined && token.issuedAt <= subjectCutoff.tokensRevokedBefore) return false;
  return true;
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
