import { randomBytes } from 'node:crypto';
import { InvalidInput } from './errors.ts';
import type { Client, GrantType } from './model.ts';
import { hashSecret, mintSecret } from './secrets.ts';
import { isScopeToken } from './tokens.ts';

export const DEFAULT_ACCESS_TOKEN_TTL = 3600;
export const DEFAULT_REFRESH_TOKEN_TTL = 30 * 24 * 3600;
/** Longer ids were never issued; refusing them early also keeps them out of DynamoDB key limits. */
export const MAX_CLIENT_ID_LENGTH = 128;

/** What an operator asks for when registering a client; absent fields take the defaults. */
export interface ClientRegistration {
  readonly name: string;
  readonly public?: boolean;
  readonly grantTypes?: readonly GrantType[];
  readonly scopes?: readonly string[];
  /** Seconds. */
  readonly accessTokenTtl?: number;
  /** Seconds. */
  readonly refreshTokenTtl?: number;
  readonly refreshTokenRotation?: boolean;
  /** Seconds, 0-60. */
  readonly refreshTokenReuseGraceSeconds?: number;
}

export const DEFAULT_REUSE_GRACE_SECONDS = 10;

/**
 * Registers a client by the service's rules and returns the client to store and, for a confidential
 * one, its secret (shown once; only its hash is kept).
 */
export function newClient(
  registration: ClientRegistration,
  now: number,
): { client: Client; secret?: string } {
  const isPublic = registration.public === true;
  // A public client cannot authenticate, so it gets tokens through the admin API and refreshes them.
  const grantTypes = registration.grantTypes ?? [isPublic ? 'refresh_token' : 'client_credentials'];
  if (isPublic && grantTypes.includes('client_credentials')) {
    throw new InvalidInput('grantTypes', 'must not include client_credentials for a public client');
  }
  const scopes = registration.scopes ?? [];
  if (!scopes.every(isScopeToken)) {
    throw new InvalidInput('scopes', 'must hold scope tokens without spaces or quotes');
  }
  // RFC 9700 4.14.2: a public client's refresh tokens MUST be rotated (or sender-constrained, which
  // bearer tokens are not), so rotation is on for it and cannot be turned off.
  if (isPublic && registration.refreshTokenRotation === false) {
    throw new InvalidInput('refreshTokenRotation', 'must be true for a public client (RFC 9700 4.14.2)');
  }
  const secret = isPublic ? undefined : mintSecret();
  const client: Client = {
    clientId: randomBytes(16).toString('base64url'),
    name: registration.name,
    public: isPublic,
    ...(secret !== undefined && { secretHash: hashSecret(secret) }),
    grantTypes: [...new Set(grantTypes)],
    scopes: [...new Set(scopes)],
    accessTokenTtl: registration.accessTokenTtl ?? DEFAULT_ACCESS_TOKEN_TTL,
    refreshTokenTtl: registration.refreshTokenTtl ?? DEFAULT_REFRESH_TOKEN_TTL,
    refreshTokenRotation: registration.refreshTokenRotation ?? isPublic,
    refreshTokenReuseGraceSeconds: registration.refreshTokenReuseGraceSeconds ?? DEFAULT_REUSE_GRACE_SECONDS,
    createdAt: now,
  };
  return secret === undefined ? { client } : { client, secret };
}
