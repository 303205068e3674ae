import { NotTokenOwner } from './errors.ts';
import type { Client, Clock, Store, TokenKind, TokenRecord } from './model.ts';
import { checkActive } from './tokens.ts';

/** What a revocation did, for the audit log. */
export interface Revocation {
  readonly tokenId: string;
  readonly kind: TokenKind;
  /** The deleted token as it was (for the admin profile). */
  readonly token: TokenRecord;
  /** Access tokens removed with a refresh token. */
  readonly cascade: number;
}

/**
 * Revokes a refresh token and every access token minted from it, resumably:
 * 1. mark it revoked: from here on no refresh grant succeeds and every child reads as inactive;
 * 2. sweep the children through the index (every page);
 * 3. delete it, conditionally.
 * A failure part way leaves the mark in place, so the same revoke call, retried, finishes the job. Of two
 * concurrent revocations both finish the sweep, and only the one whose delete removed the token reports
 * a revocation (undefined for the other), so it is audited once.
 */
export async function revokeRefreshToken(store: Store, token: TokenRecord): Promise<Revocation | undefined> {
  if (!token.revoked) await store.markRevoked(token.id);
  const cascade = await store.deleteAccessTokensOf(token.id);
  const deleted = await store.deleteToken(token.id);
  return deleted && { tokenId: token.id, kind: 'refresh', token: deleted, cascade };
}

/** Deletes one access token; undefined when it was already gone (of two concurrent calls, one wins). */
export async function revokeAccessToken(store: Store, token: TokenRecord): Promise<Revocation | undefined> {
  const deleted = await store.deleteToken(token.id);
  return deleted && { tokenId: token.id, kind: 'access', token: deleted, cascade: 0 };
}

/**
 * Looks a token up for revocation. A refresh token whose revocation started but did not finish is still
 * returned, so that retrying finishes the cascade; anything else inactive counts as absent.
 */
export async function findRevocable(
  store: Store,
  clock: Clock,
  tokenId: string,
): Promise<TokenRecord | undefined> {
  const token = await store.getToken(tokenId);
  if (!token) return undefined;
  if (token.kind === 'refresh' && token.revoked) return token;
  return (await checkActive(store, clock, token)) ? token : undefined;
}

/** Revokes whichever kind the token is. */
export function revoke(store: Store, token: TokenRecord): Promise<Revocation | undefined> {
  return token.kind === 'refresh' ? revokeRefreshToken(store, token) : revokeAccessToken(store, token);
}

/**
 * RFC 7009 2.1. One read finds the token whatever its type, because every token is keyed by its hash;
 * the hint therefore costs nothing and decides nothing. Unknown, expired and already revoked tokens are
 * a successful no-op. Another client's token is refused for a confidential caller (RFC 7009 2.1 "the
 * authorization server ... verifies whether the token was issued to the client") and a silent no-op for
 * a public caller, which proved no identity worth an error.
 */
export async function revokeForClient(
  store: Store,
  clock: Clock,
  caller: Client,
  tokenId: string,
): Promise<Revocation | undefined> {
  const token = await findRevocable(store, clock, tokenId);
  if (!token) return undefined;
  if (token.clientId !== caller.clientId) {
    if (caller.public) return undefined;
    throw new NotTokenOwner();
  }
  return revoke(store, token);
}
