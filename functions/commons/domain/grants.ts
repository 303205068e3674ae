import { CONSUMED_KEPT, type ConsumedRefreshToken, type GrantRecord, type TokenRecord } from './model.ts';

/**
 * A grant's refresh token as a token record, from the grant item that holds it: the current one, or one
 * rotation consumed recently; undefined for an id the grant does not know. Everything but the id, the
 * issue time and the count is the grant's: a rotated refresh token keeps the grant's scope, subject and
 * absolute lifetime.
 */
export function refreshTokenOfGrant(grant: GrantRecord, id: string): TokenRecord | undefined {
  const base = {
    id,
    kind: 'refresh' as const,
    clientId: grant.clientId,
    grantId: grant.grantId,
    scope: grant.scope,
    ...(grant.subject !== undefined && { subject: grant.subject, subjectKey: grant.subjectKey }),
    expiresAt: grant.refreshExpiresAt,
  };
  const rotated = (grant.rotations ?? 0) > 0;
  if (id === grant.currentRefreshTokenId && grant.currentRefreshIssuedAt !== undefined) {
    return {
      ...base,
      issuedAt: grant.currentRefreshIssuedAt,
      grantType: rotated ? 'refresh_token' : (grant.grantType ?? 'external'),
      refreshCount: grant.refreshCount ?? 0,
      lastModifiedAt: grant.lastModifiedAt ?? grant.currentRefreshIssuedAt,
    };
  }
  const consumed = consumedOf(grant, id);
  if (!consumed) return undefined;
  // The first refresh token of the grant is the one issued with it; every later one came of a rotation.
  const first = consumed.issuedAt === grant.issuedAt;
  return {
    ...base,
    issuedAt: consumed.issuedAt,
    grantType: first ? (grant.grantType ?? 'external') : 'refresh_token',
    refreshCount: consumed.refreshCount,
    consumedAt: consumed.consumedAt,
    lastModifiedAt: consumed.consumedAt,
  };
}

/**
 * A refresh token item (old layout) as its grant sees it now: consumed when the grant's current refresh
 * token has moved on from it, though rotation no longer writes the token item. A consumed token the grant
 * no longer remembers was consumed at least `CONSUMED_KEPT` rotations ago: it counts as consumed when it
 * was issued, so presenting it is reuse, never a retry.
 */
export function refreshTokenAsOfGrant(token: TokenRecord, grant: GrantRecord | undefined): TokenRecord {
  if (token.kind !== 'refresh' || token.consumedAt !== undefined || !grant) return token;
  if (grant.grantId !== token.grantId) return token;
  if (grant.currentRefreshTokenId === token.id) {
    // Refreshes since the new layout are counted on the grant.
    return {
      ...token,
      refreshCount: token.refreshCount + (grant.refreshCount ?? 0),
      lastModifiedAt: Math.max(token.lastModifiedAt, grant.lastModifiedAt ?? 0),
    };
  }
  const consumed = consumedOf(grant, token.id);
  return {
    ...token,
    consumedAt: consumed?.consumedAt ?? token.issuedAt,
    refreshCount: consumed?.refreshCount ?? token.refreshCount,
  };
}

function consumedOf(grant: GrantRecord, id: string): ConsumedRefreshToken | undefined {
  return grant.consumed?.find((entry) => entry.id === id);
}

/** The grant's memory of consumed refresh tokens once `entry` joins it: newest first, `CONSUMED_KEPT` at most. */
export function consumedAfter(grant: GrantRecord, entry: ConsumedRefreshToken): ConsumedRefreshToken[] {
  return [entry, ...(grant.consumed ?? [])].slice(0, CONSUMED_KEPT);
}
