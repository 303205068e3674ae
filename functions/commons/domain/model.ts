/** Domain records and the store port. Nothing here knows about DynamoDB or HTTP. */
import type { RevocationMark, SweepRecord } from './events.ts';

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
  /**
   * While a rotation is written but not confirmed (see `secret-rotation.ts`): the hash that was current
   * before it, still accepted, so a rotation whose answer was a 503 never locks the caller out.
   */
  readonly unconfirmedPreviousSecretHash?: string;
  readonly grantTypes: readonly GrantType[];
  readonly scopes: readonly string[];
  /** Seconds. */
  readonly accessTokenTtl: number;
  /** Seconds. */
  readonly refreshTokenTtl: number;
  /** Every refresh returns a new refresh token and consumes the one presented (RFC 9700 4.14.2). */
  readonly refreshTokenRotation: boolean;
  /** Seconds in which a consumed refresh token presented again is a retry, not reuse (0-60). */
  readonly refreshTokenReuseGraceSeconds: number;
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
  /** The grant (refresh token family) the token belongs to, if any. */
  readonly grantId?: string;
  /** Space-separated scopes. */
  readonly scope: string;
  readonly subject?: string;
  /** Key of the subject's cut-off item (derived from the subject; see token-format.ts). */
  readonly subjectKey?: string;
  /** Epoch milliseconds. */
  readonly issuedAt: number;
  /** Epoch seconds (the table's TTL attribute). */
  readonly expiresAt: number;
  readonly grantType: TokenOrigin;
  /** Refresh tokens: how many times it was presented to the refresh grant successfully. */
  readonly refreshCount: number;
  /** Refresh tokens: when rotation consumed it (epoch milliseconds). */
  readonly consumedAt?: number;
  /** Epoch milliseconds. */
  readonly lastModifiedAt: number;
}

/** A grant: one refresh token, every refresh token rotated from it, every access token issued with them. */
export interface GrantRecord {
  readonly grantId: string;
  readonly clientId: string;
  readonly subject?: string;
  readonly subjectKey?: string;
  readonly scope: string;
  /** Epoch milliseconds. */
  readonly issuedAt: number;
  /** The refresh token that is not consumed yet. */
  readonly currentRefreshTokenId: string;
  /** Epoch seconds: the grant's refresh tokens expire by then (TTL keeps the item a day longer). */
  readonly refreshExpiresAt: number;
  /** Epoch seconds (TTL). */
  readonly expiresAt: number;
  /** Epoch milliseconds: once set, every token of the grant is inactive. */
  readonly revokedAt?: number;
}

/** Revocation of every token of a subject issued at or before an instant. */
export interface SubjectCutoff {
  readonly subjectKey: string;
  /** The subject itself, for the revocation's event (the key alone cannot be reversed). */
  readonly subject?: string;
  /** Epoch milliseconds. */
  readonly tokensRevokedBefore: number;
  /** Epoch seconds (TTL): no token issued before the cut-off outlives it. */
  readonly expiresAt: number;
}

/** The identifiers a token carries in its format: the keys of every item its activity depends on. */
export interface TokenRefs {
  readonly kind: TokenKind;
  readonly clientId: string;
  readonly grantId?: string;
  readonly subjectKey?: string;
}

/** A token as presented by a caller: its id (the hash, computed once) and what its format names. */
export interface PresentedToken {
  readonly id: string;
  /** Undefined when the prefix or checksum is wrong: such a token is unknown without any read. */
  readonly refs: TokenRefs | undefined;
}

/** Everything that decides whether a token is active, read together in one consistent read. */
export interface TokenState {
  readonly token: TokenRecord | undefined;
  readonly client: Client | undefined;
  readonly grant: GrantRecord | undefined;
  readonly subjectCutoff: SubjectCutoff | undefined;
}

/** Milliseconds since the epoch. */
export type Clock = () => number;
export const systemClock: Clock = () => Date.now();

/** A refresh grant's writes, in one conditional transaction. */
export interface RefreshWrite {
  /** The refresh token presented (consumed when `newRefresh` is given). */
  readonly parent: TokenRecord;
  readonly grant: GrantRecord;
  readonly access: TokenRecord;
  /** Rotation: the refresh token that replaces `parent`. */
  readonly newRefresh?: TokenRecord;
  /** Epoch milliseconds. */
  readonly now: number;
}

/** A new secret hash for a client, and how long (epoch ms) the current one stays accepted, if at all. */
export interface SecretRotation {
  readonly secretHash: string;
  /** Absent: the current secret stops working at once. Ignored with `nonce` (the confirmation sets it). */
  readonly previousSecretExpiresAt?: number;
  /**
   * Writes the rotation unconfirmed: the new hash is current, the one before stays accepted until
   * `confirmSecretRotation` with this nonce. Absent: the rotation takes effect at once (tests, tools).
   */
  readonly nonce?: string;
}

/** A client create that is absent to every read until confirmed with its nonce, and expires unconfirmed. */
export interface PendingCreate {
  readonly nonce: string;
  /** Epoch seconds: TTL removes the item if it was never confirmed. */
  readonly expiresAt: number;
}

export type RotationOutcome = 'rotated' | 'missing' | 'public';

/** The storage port. Reads are strongly consistent; absent items are `undefined`. */
export interface Store {
  getClient(clientId: string): Promise<Client | undefined>;
  /** Creates a client (with `pending`: absent to reads until `confirmClient`); false when the id is taken. */
  createClient(client: Client, pending?: PendingCreate): Promise<boolean>;
  /** Makes a pending create a client; false when no pending create with this nonce exists. */
  confirmClient(clientId: string, nonce: string): Promise<boolean>;
  /**
   * Deletes a client: one conditional write that leaves a tombstone recording who deleted it (so the
   * stream carries the actor); every read treats it as absent from then on, and TTL removes it. False
   * when there was no such client.
   */
  deleteClient(clientId: string, mark: RevocationMark): Promise<boolean>;
  /**
   * Replaces a confidential client's secret hash in one conditional write; with `previous`, the old hash
   * stays accepted until then. What refused it when it did not happen.
   */
  rotateClientSecret(clientId: string, rotation: SecretRotation): Promise<RotationOutcome>;
  /**
   * Confirms the unconfirmed rotation written with `nonce`: the secret before it stays accepted until
   * `previousSecretExpiresAt` (absent: stops at once). False when that rotation is not the one pending.
   */
  confirmSecretRotation(clientId: string, nonce: string, previousSecretExpiresAt?: number): Promise<boolean>;
  /** Sets `tokensRevokedBefore` to `mark.at`, recording who; false when the client does not exist. */
  revokeClientTokensBefore(clientId: string, mark: RevocationMark): Promise<boolean>;

  /** The token, its client, its grant and its subject's cut-off, in one consistent read. */
  readTokenState(tokenId: string, refs: TokenRefs): Promise<TokenState>;
  /** Writes an access token without a grant; false when the id exists already. */
  putAccessToken(token: TokenRecord): Promise<boolean>;
  /** Writes a new grant with its first tokens, only if the client exists; false otherwise. */
  putGrant(grant: GrantRecord, tokens: readonly TokenRecord[]): Promise<boolean>;
  /**
   * A refresh grant: the new access token (and with rotation the new refresh token, consuming the one
   * presented) only if the presented refresh token is unconsumed and unexpired, its grant live, and
   * neither its client nor its subject cut off since it was issued. False when any condition failed.
   */
  refresh(write: RefreshWrite): Promise<boolean>;
  /**
   * Revokes one token in one conditional write: from then on every read treats it as absent (and TTL
   * removes it). Returns the token as it was; undefined when it was already revoked, gone or expired at
   * `mark.at`, so of two concurrent calls exactly one gets it.
   */
  revokeToken(id: string, mark: RevocationMark): Promise<TokenRecord | undefined>;
  /**
   * Marks a grant revoked, recording who and why; the grant as it was, undefined when there is no such
   * grant or it was revoked already (so only the first revocation is reported, and written).
   */
  revokeGrant(grantId: string, mark: GrantRevocation): Promise<GrantRecord | undefined>;
  /** Cuts a subject's tokens off: every token issued at or before `cutoff.tokensRevokedBefore`. */
  cutOffSubject(cutoff: SubjectCutoff, mark: RevocationMark): Promise<void>;

  // The sweeps (the stream's sweeper; never on a request path).
  /** Deletes every token of a grant (index, every page); returns the count. */
  deleteTokensOfGrant(grantId: string): Promise<number>;
  /** Deletes every token of a client, or those issued up to an instant (index, every page); the count. */
  deleteTokensOfClient(clientId: string, issuedUpTo?: number): Promise<number>;
  /** Deletes the tokens of a subject issued up to an instant (index, every page); the count. */
  deleteTokensOfSubject(subjectKey: string, issuedUpTo: number): Promise<number>;
  /** Records a finished sweep (the publisher turns the record into `sweep.completed`). */
  recordSweep(record: SweepRecord): Promise<void>;
}

/** A grant's revocation: by a caller, or by the service on detecting a consumed refresh token's reuse. */
export interface GrantRevocation extends RevocationMark {
  readonly reason: 'revoked' | 'reuse_detected';
  /** The refresh token presented, when one was. */
  readonly tokenId?: string;
}
