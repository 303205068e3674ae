import { InvalidClient, InvalidGrant, InvalidScope, UnauthorizedClient } from './errors.ts';
import type { Client, Clock, GrantType, Store, TokenContext, TokenOrigin, TokenRecord } from './model.ts';
import { hashSecret, mintSecret } from './secrets.ts';

/** RFC 6749 section 3.3 scope-token characters. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Whether a string is one RFC 6749 3.3 scope token. */
export const isScopeToken = (scope: string): boolean => SCOPE_TOKEN.test(scope);

/** Splits a scope parameter into distinct scope tokens; throws invalid_scope on bad syntax. */
export function parseScope(scope: string): string[] {
  const tokens = scope.split(' ').filter((s) => s !== '');
  if (tokens.length === 0 || !tokens.every((s) => SCOPE_TOKEN.test(s))) {
    throw new InvalidScope('scope is malformed');
  }
  return [...new Set(tokens)];
}

/** The requested scope if it is within `allowed`, else the whole of `allowed` when none was requested. */
export function grantScope(requested: string | undefined, allowed: readonly string[]): string {
  if (requested === undefined) return allowed.join(' ');
  const scopes = parseScope(requested);
  const outside = scopes.filter((s) => !allowed.includes(s));
  if (outside.length > 0) throw new InvalidScope(`scope not allowed: ${outside.join(' ')}`);
  return scopes.join(' ');
}

/** Whether a token is live: not expired, not revoked, its client and (if any) refresh token still good. */
export function isActive(token: TokenRecord, context: TokenContext, now: number): boolean {
  if (token.expiresAt * 1000 <= now || token.revoked) return false;
  const { client, parent } = context;
  if (!client || (client.tokensRevokedBefore !== undefined && token.issuedAt <= client.tokensRevokedBefore)) {
    return false;
  }
  if (token.refreshTokenId === undefined) return true;
  // The parent's revocation kills the child at once, even before the cascade's sweep reaches it. A parent
  // that is gone before its own expiry was revoked; one gone after it merely expired, and the child lives on.
  if (parent) return !parent.revoked;
  return (token.refreshExpiresAt ?? 0) * 1000 <= now;
}

/**
 * Whether a stored token is active. Its client is always read with it, consistently: the caller's own
 * client item may come from the authentication cache, which must never decide whether a token is active.
 */
export async function checkActive(store: Store, clock: Clock, token: TokenRecord) {
  return isActive(token, await store.getTokenContext(token), clock());
}

/** Reads a token by its id and returns it only if it is active. */
export async function findActiveToken(
  store: Store,
  clock: Clock,
  tokenId: string,
): Promise<TokenRecord | undefined> {
  const token = await store.getToken(tokenId);
  return token && (await checkActive(store, clock, token)) ? token : undefined;
}

/** RFC 6749 5.1 successful response. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

interface Minted {
  raw: string;
  record: TokenRecord;
}

function mint(
  kind: TokenRecord['kind'],
  client: Client,
  scope: string,
  now: number,
  grantType: TokenOrigin,
  extra: Partial<TokenRecord> = {},
): Minted {
  const raw = mintSecret();
  const ttl = kind === 'access' ? client.accessTokenTtl : client.refreshTokenTtl;
  const record: TokenRecord = {
    id: hashSecret(raw),
    kind,
    clientId: client.clientId,
    scope,
    issuedAt: now,
    expiresAt: Math.floor(now / 1000) + ttl,
    grantType,
    refreshCount: 0,
    lastModifiedAt: now,
    ...extra,
  };
  return { raw, record };
}

function response(client: Client, access: Minted, refresh?: Minted): TokenResponse {
  const body: TokenResponse = {
    access_token: access.raw,
    token_type: 'Bearer',
    expires_in: client.accessTokenTtl,
    scope: access.record.scope,
  };
  if (refresh) body.refresh_token = refresh.raw;
  return body;
}

export interface IssueRequest {
  scope: string | undefined;
  subject?: string;
  withRefreshToken: boolean;
  grantType: TokenOrigin;
}

/**
 * Issues an access token, and a refresh token linked to it when asked and the client may use the
 * refresh grant. Used by client_credentials and by the admin API.
 */
export async function issueTokens(store: Store, clock: Clock, client: Client, req: IssueRequest) {
  const scope = grantScope(req.scope, client.scopes);
  const now = clock();
  const subject = req.subject === undefined ? {} : { subject: req.subject };
  const refresh =
    req.withRefreshToken && client.grantTypes.includes('refresh_token')
      ? mint('refresh', client, scope, now, req.grantType, subject)
      : undefined;
  const access = mint('access', client, scope, now, req.grantType, {
    ...subject,
    ...(refresh && { refreshTokenId: refresh.record.id, refreshExpiresAt: refresh.record.expiresAt }),
  });
  const written = await store.putTokens(refresh ? [refresh.record, access.record] : [access.record]);
  if (!written) return undefined;
  return { response: response(client, access, refresh), accessTokenId: access.record.id };
}

/** RFC 6749 4.4: client_credentials, for confidential clients allowed to use it. */
export async function clientCredentialsGrant(store: Store, clock: Clock, client: Client, scope?: string) {
  requireGrant(client, 'client_credentials');
  if (client.public) {
    throw new UnauthorizedClient('public clients may not use client_credentials');
  }
  const issued = await issueTokens(store, clock, client, {
    scope,
    withRefreshToken: true,
    grantType: 'client_credentials',
  });
  if (!issued) throw new InvalidClient('client no longer exists');
  return issued;
}

/**
 * RFC 6749 6: a new access token from an active refresh token of the same client, optionally narrower.
 * The write is conditional on the refresh token still existing unrevoked, so no access token is ever
 * minted from a revoked refresh token, however the calls race.
 */
export async function refreshTokenGrant(
  store: Store,
  clock: Clock,
  client: Client,
  refreshTokenId: string,
  scope?: string,
) {
  requireGrant(client, 'refresh_token');
  const parent = await findActiveToken(store, clock, refreshTokenId);
  if (parent?.kind !== 'refresh' || parent.clientId !== client.clientId) {
    throw new InvalidGrant('refresh token is invalid, expired or revoked');
  }
  const granted = grantScope(scope, parent.scope.split(' '));
  const now = clock();
  const access = mint('access', client, granted, now, 'refresh_token', {
    ...(parent.subject !== undefined && { subject: parent.subject }),
    refreshTokenId: parent.id,
    refreshExpiresAt: parent.expiresAt,
  });
  if (!(await store.putRefreshedAccessToken(access.record, parent, now))) {
    throw new InvalidGrant('refresh token is invalid, expired or revoked');
  }
  return { response: response(client, access), accessTokenId: access.record.id };
}

function requireGrant(client: Client, grant: GrantType) {
  if (!client.grantTypes.includes(grant)) {
    throw new UnauthorizedClient(`client may not use the ${grant} grant`);
  }
}
