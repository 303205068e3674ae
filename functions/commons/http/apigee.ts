import { tokenNotFound } from '../domain/errors.ts';
import type { PresentedToken, TokenKind, TokenRecord } from '../domain/model.ts';
import { presentToken } from '../domain/token-format.ts';
import { isWellFormedToken } from './form.ts';

/**
 * A token named in an Apigee-style admin path. Apigee answers a malformed token as an unknown one, and so
 * does this service, before any table read.
 */
export function apigeeToken(raw: string, kind: TokenKind): PresentedToken {
  if (!isWellFormedToken(raw)) throw tokenNotFound(kind);
  return presentToken(raw);
}

/**
 * The deleted token's profile, field for field as Apigee Edge's management API returns it, so that
 * tools written against Apigee keep working. Times are epoch milliseconds; `token` echoes the value the
 * caller sent (it already holds it).
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
