/** Domain records and the store port. Nothing here knows about DynamoDB or HTTP. */

export type GrantType = 'client_credentials' | 'refresh_token';
export const GRANT_TYPES: readonly GrantType[] = ['client_credentials', 'refresh_token'];

/** How a token came to be; reported as Apigee's `grantType`. `external` = minted via the admin API. */
export type TokenOrigin = GrantType | 'external';

export interface Client {
  readonly clientId: string;
  readonly name: string;
  readonly public: boolean;
  /** SHA-256 (base64url) of the secret; absent for public clients. */
  readonly secretHash?: string;
  /** After a rotation with a grace: the previous secret's hash, accepted until `previousSecretExpiresAt`. */
  readonly previousSecretHash?: string;
  /** Epoch milliseconds; with `previousSecretHash`. */
  readonly previousSecretExpiresAt?: number;
  readonly grantTypes: readonly GrantType[];
  readonly scopes: readonly string[];
  /** Seconds. */
  readonly accessTokenTtl: number;
  /** Seconds. */
  readonly refreshTokenTtl: number;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** Epoch milliseconds: every token issued at or before it is revoked (set by revoke-all). */
  readonly tokensRevokedBefore?: number;
}

export type TokenKind = 'access' | 'refresh';

export interface TokenRecord {
  /** SHA-256 (base64url) of the raw token: the only form in which a token is stored. */
  readonly id: string;
  readonly kind: TokenKind;
  readonly clientId: string;
  /** Space-separated scopes. */
  readonly scope: string;
  readonly subject?: string;
  /** Epoch milliseconds. */
  readonly issuedAt: number;
  /** Epoch seconds (the table's TTL attribute). */
  readonly expiresAt: number;
  readonly grantType: TokenOrigin;
  /** Access tokens issued with a refresh token: that refresh token's id. */
  readonly refreshTokenId?: string;
  /** With refreshTokenId: when that refresh token expires (epoch seconds). */
  readonly refreshExpiresAt?: number;
  /** Refresh tokens: how many access tokens were minted from it by the refresh grant. */
  readonly refreshCount: number;
  /** Refresh tokens: revocation started (the cascade may still be sweeping). */
  readonly revoked?: boolean;
  /** Epoch milliseconds. */
  readonly lastModifiedAt: number;
}

/** What decides whether a token is still good besides its own item. */
export interface TokenContext {
  readonly client: Client | undefined;
  /** The refresh token an access token was issued with, when it has one and it still exists. */
  readonly parent: TokenRecord | undefined;
}

/** Milliseconds since the epoch. */
export type Clock = () => number;
export const systemClock: Clock = () => Date.now();

/** A new secret hash for a client, and how long (epoch ms) the current one stays accepted, if at all. */
export interface SecretRotation {
  readonly secretHash: string;
  /** Absent: the current secret stops working at once. */
  readonly previousSecretExpiresAt?: number;
}

export type RotationOutcome = 'rotated' | 'missing' | 'public';

/** The storage port. Reads are strongly consistent; absent items are `undefined`. */
export interface Store {
  getClient(clientId: string): Promise<Client | undefined>;
  /** Creates a client; false when the id is taken. */
  createClient(client: Client): Promise<boolean>;
  /** Deletes a client item; false when it did not exist. */
  deleteClient(clientId: string): Promise<boolean>;
  /**
   * Replaces a confidential client's secret hash in one conditional write; with `previous`, the old hash
   * stays accepted until then. What refused it when it did not happen.
   */
  rotateClientSecret(clientId: string, rotation: SecretRotation): Promise<RotationOutcome>;
  /** Sets `tokensRevokedBefore`; false when the client does not exist. */
  revokeClientTokensBefore(clientId: string, at: number): Promise<boolean>;

  getToken(id: string): Promise<TokenRecord | undefined>;
  /**
   * The token's client and (for access tokens with one) its refresh token, in one consistent read.
   * A `knownClient` the caller has just read (the authenticated client) is not read again.
   */
  getTokenContext(token: TokenRecord, knownClient?: Client): Promise<TokenContext>;
  /** Writes new tokens atomically; false when the client vanished meanwhile. */
  putTokens(tokens: readonly TokenRecord[]): Promise<boolean>;
  /**
   * Writes an access token minted from a refresh token, atomically with bumping the refresh token's
   * `refreshCount`, only if that refresh token still exists, is not revoked or expired, and its client
   * has not revoked it since. False when any condition failed.
   */
  putRefreshedAccessToken(access: TokenRecord, parent: TokenRecord, now: number): Promise<boolean>;
  /** Deletes a token; returns what was deleted, undefined when it was already gone. */
  deleteToken(id: string): Promise<TokenRecord | undefined>;
  /** Marks a refresh token revoked; false when it no longer exists. */
  markRevoked(id: string): Promise<boolean>;
  /** Deletes every access token issued with a refresh token (index, every page); returns the count. */
  deleteAccessTokensOf(refreshTokenId: string): Promise<number>;
  /** Deletes every token of a client (index, every page); returns the count. */
  deleteTokensOfClient(clientId: string): Promise<number>;
}
