import { isActive } from './activity.ts';
import { NotTokenOwner } from './errors.ts';
import type { Client, Clock, PresentedToken, Store, TokenKind, TokenRecord, TokenState } from './model.ts';

/** What a revocation did, for the audit log. */
export interface Revocation {
  readonly tokenId: string;
  readonly kind: TokenKind;
  /** The token as it was (for the admin profile). */
  readonly token: TokenRecord;
  /** Refresh tokens: the grant revoked with it. */
  readonly grantId?: string;
  /** Tokens of the grant deleted with it. */
  readonly cascade: number;
}

/**
 * Revokes a grant: marks it revoked (from that write on, every token of it is inactive everywhere), then
 * deletes its tokens through the grant index. Of concurrent revocations only the one whose mark came first
 * reports it (undefined for the others, and when there is no such grant), so it is audited once; each
 * still sweeps, so a retry finishes a sweep that failed part way.
 */
export async function revokeGrantOf(
  store: Store,
  clock: Clock,
  grantId: string,
): Promise<{ cascade: number } | undefined> {
  const before = await store.revokeGrant(grantId, clock());
  const cascade = await store.deleteTokensOfGrant(grantId);
  return before && before.revokedAt === undefined ? { cascade } : undefined;
}

/** Revokes a refresh token (current or consumed): its whole grant. */
async function revokeRefreshToken(
  store: Store,
  clock: Clock,
  token: TokenRecord,
): Promise<Revocation | undefined> {
  if (token.grantId === undefined) return undefined;
  const revoked = await revokeGrantOf(store, clock, token.grantId);
  return (
    revoked && { tokenId: token.id, kind: 'refresh', token, grantId: token.grantId, cascade: revoked.cascade }
  );
}

/** Deletes one access token; undefined when it was already gone (of two concurrent calls, one wins). */
export async function revokeAccessToken(
  store: Store,
  clock: Clock,
  tokenId: string,
): Promise<Revocation | undefined> {
  // An expired token is left to the TTL: revoking it would record a revocation of nothing alive.
  const deleted = await store.deleteToken(tokenId, clock());
  return deleted && { tokenId, kind: 'access', token: deleted, cascade: 0 };
}

/**
 * Whether a token counts as existing for revocation: an active token, or a refresh token that is still
 * there unexpired (consumed by rotation, or in a grant already being revoked: revoking it again is how a
 * retry finishes the job).
 */
function isRevocable(state: TokenState, now: number): state is TokenState & { token: TokenRecord } {
  const { token } = state;
  if (!token || token.expiresAt * 1000 <= now) return false;
  return token.kind === 'refresh' || isActive(state, now);
}

/** Revokes whichever kind the token is, if it counts as existing; undefined otherwise. */
export async function revoke(store: Store, clock: Clock, state: TokenState): Promise<Revocation | undefined> {
  if (!isRevocable(state, clock())) return undefined;
  return state.token.kind === 'refresh'
    ? revokeRefreshToken(store, clock, state.token)
    : revokeAccessToken(store, clock, state.token.id);
}

/**
 * RFC 7009 2.1. The token's format names its client, so ownership is known before any read, and an access
 * token of the caller is revoked by one conditional delete (one round trip). Unknown, malformed, expired
 * and already revoked tokens are a successful no-op. Another client's token is refused for a confidential
 * caller (RFC 7009 2.1 "the authorization server ... verifies whether the token was issued to the client")
 * and a silent no-op for a public caller, which proved no identity worth an error; either way only once a
 * read has shown that the token really exists, so a made-up token naming another client is just unknown.
 */
export async function revokeForClient(
  store: Store,
  clock: Clock,
  caller: Client,
  presented: PresentedToken,
): Promise<Revocation | undefined> {
  const { refs } = presented;
  if (!refs) return undefined;
  if (refs.clientId === caller.clientId && refs.kind === 'access') {
    return revokeAccessToken(store, clock, presented.id);
  }
  const state = await store.readTokenState(presented.id, refs);
  if (refs.clientId !== caller.clientId) {
    if (isRevocable(state, clock()) && !caller.public) throw new NotTokenOwner();
    return undefined;
  }
  return revoke(store, clock, state);
}
