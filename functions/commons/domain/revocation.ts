import { isActive } from './activity.ts';
import { NotTokenOwner } from './errors.ts';
import { grantRevokedEvent, type RevocationEvent, type Revoker, tokenRevokedEvent } from './events.ts';
import type {
  Client,
  Clock,
  GrantRevocation,
  PresentedToken,
  RequestStore,
  TokenRecord,
  TokenState,
} from './model.ts';

/** What revoking one token did: its event (audit line, metric) and the token as it was (admin profile). */
export interface Revocation {
  readonly event: RevocationEvent;
  readonly token: TokenRecord;
}

/**
 * Revokes a grant with one write, its revocation mark: from that write on, every token of the grant is
 * inactive everywhere; the sweeper deletes them later, from the table's stream. Of concurrent revocations
 * only the first writes, so only it gets the event (undefined for the others, and when there is no such
 * grant), and the grant is revoked, audited and published once.
 */
export async function revokeGrantOf(
  store: RequestStore,
  grantId: string,
  mark: GrantRevocation,
): Promise<RevocationEvent | undefined> {
  const before = await store.revokeGrant(grantId, mark);
  if (!before) return undefined;
  return grantRevokedEvent({ ...before, grantId }, mark);
}

/** Revokes a refresh token (current or consumed): its whole grant, in one write. */
async function revokeRefreshToken(
  store: RequestStore,
  clock: Clock,
  revoker: Revoker,
  token: TokenRecord,
): Promise<Revocation | undefined> {
  if (token.grantId === undefined) return undefined;
  const mark = { ...revoker, at: clock(), reason: 'revoked', tokenId: token.id } as const;
  const event = await revokeGrantOf(store, token.grantId, mark);
  return event && { event, token };
}

/**
 * Revokes one access token with one conditional write; undefined when it was already revoked, gone or
 * expired (of two concurrent calls, one wins). An expired token is left to the TTL: revoking it would
 * record a revocation of nothing alive.
 */
export async function revokeAccessToken(
  store: RequestStore,
  clock: Clock,
  revoker: Revoker,
  tokenId: string,
): Promise<Revocation | undefined> {
  const mark = { ...revoker, at: clock() };
  const token = await store.revokeToken(tokenId, mark);
  if (!token) return undefined;
  const event = tokenRevokedEvent({ ...token, id: tokenId }, mark);
  return { event, token };
}

/**
 * Whether a token counts as existing for revocation: an active token, or a refresh token that is still
 * there unexpired and consumed by rotation (revoking it revokes its grant, as RFC 9700 asks).
 */
function isRevocable(state: TokenState, now: number): state is TokenState & { token: TokenRecord } {
  const { token } = state;
  if (!token || token.expiresAt * 1000 <= now) return false;
  return token.kind === 'refresh' || isActive(state, now);
}

/** Revokes whichever kind the token is, if it counts as existing; undefined otherwise. */
export async function revoke(
  store: RequestStore,
  clock: Clock,
  revoker: Revoker,
  state: TokenState,
): Promise<Revocation | undefined> {
  if (!isRevocable(state, clock())) return undefined;
  return state.token.kind === 'refresh'
    ? revokeRefreshToken(store, clock, revoker, state.token)
    : revokeAccessToken(store, clock, revoker, state.token.id);
}

/**
 * RFC 7009 2.1. The token's format names its client, so ownership is known before any read, and an access
 * token of the caller is revoked by one conditional write (one round trip). Unknown, malformed, expired
 * and already revoked tokens are a successful no-op. Another client's token is refused for a confidential
 * caller (RFC 7009 2.1 "the authorization server ... verifies whether the token was issued to the client")
 * and a silent no-op for a public caller, which proved no identity worth an error; either way only once a
 * read has shown that the token really exists, so a made-up token naming another client is just unknown.
 */
export async function revokeForClient(
  store: RequestStore,
  clock: Clock,
  caller: Client,
  presented: PresentedToken,
  route?: string,
): Promise<Revocation | undefined> {
  const { refs } = presented;
  if (!refs) return undefined;
  const revoker: Revoker = {
    actor: { type: 'client', id: caller.clientId },
    ...(route !== undefined && { route }),
  };
  if (refs.clientId === caller.clientId && refs.kind === 'access') {
    return revokeAccessToken(store, clock, revoker, presented.id);
  }
  const state = await store.readTokenState(presented.id, refs);
  if (refs.clientId !== caller.clientId) {
    if (isRevocable(state, clock()) && !caller.public) throw new NotTokenOwner();
    return undefined;
  }
  return revoke(store, clock, revoker, state);
}
