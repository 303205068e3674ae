/** Domain records and the store port. Nothing here knows about DynamoDB or HTTP. */
import type { RevocationMark, SweepRecord } from './events.ts';
import type { IdempotentClientStore } from './idempotency.ts';

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

/**
 * A grant: one refresh token, every refresh token rotated from it, every access token issued with them.
 * The grant item also holds its current refresh token (id, issue time, refresh count: the rest is the
 * grant's), so a rotation is one conditional write that moves it, and the last few consumed ones, so
 * their reuse is recognised. Grants written before that layout keep their refresh tokens as token items.
 */
export interface GrantRecord {
  readonly grantId: string;
  readonly clientId: string;
  readonly subject?: string;
  readonly subjectKey?: string;
  readonly scope: string;
  /**
   * Epoch milliseconds. Client and subject cut-offs compare it, not the issue time of each of the grant's
   * tokens (see activity.ts): a grant started at or before a cut-off is cut off whole.
   */
  readonly issuedAt: number;
  /** The refresh token that is not consumed yet. */
  readonly currentRefreshTokenId: string;
  /** Epoch milliseconds: when the current refresh token was issued; absent on grants of the old layout. */
  readonly currentRefreshIssuedAt?: number;
  /** How the grant's first refresh token came to be (rotated ones: `refresh_token`). */
  readonly grantType?: TokenOrigin;
  /** Refreshes made with the current refresh token (on top of its token item's count, old layout). */
  readonly refreshCount?: number;
  /** How many times the grant's refresh token was rotated. */
  readonly rotations?: number;
  /** Epoch milliseconds: the grant's last refresh. */
  readonly lastModifiedAt?: number;
  /** The refresh tokens rotation consumed most recently (at most `CONSUMED_KEPT`), newest first. */
  readonly consumed?: readonly ConsumedRefreshToken[];
  /** Epoch seconds: the grant's refresh tokens expire by then (TTL keeps the item a day longer). */
  readonly refreshExpiresAt: number;
  /** Epoch seconds (TTL). */
  readonly expiresAt: number;
  /** Epoch milliseconds: once set, every token of the grant is inactive. */
  readonly revokedAt?: number;
}

/** A refresh token consumed by rotation, as its grant remembers it. */
export interface ConsumedRefreshToken {
  readonly id: string;
  /** Epoch milliseconds. */
  readonly consumedAt: number;
  readonly issuedAt: number;
  readonly refreshCount: number;
}

/**
 * How many consumed refresh tokens a grant remembers: presenting one of them is reuse (or a retry within
 * the grace window). An older one is unknown (invalid_grant) unless it has a token item (old layout).
 * Four keeps the grant item well under 1 KB, so each of its writes is one write unit.
 */
export const CONSUMED_KEPT = 4;

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

/**
 * A refresh grant's writes: the new access token, then one single-item write to the grant (with
 * rotation the conditional move of its current refresh token; without, its refresh count). No
 * transaction: see `refreshTokenGrant` for why none is needed.
 */
export interface RefreshWrite {
  /** The refresh token presented (consumed when `newRefresh` is given). */
  readonly parent: TokenRecord;
  readonly grant: GrantRecord;
  readonly access: TokenRecord;
  /** Rotation: the refresh token that replaces `parent` (held by the grant item, never an item itself). */
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

/** One page of the registered clients. */
export interface ClientPage {
  readonly clients: readonly Client[];
  /** Where the next page starts (opaque); absent on the last page. */
  readonly cursor?: string;
}

/**
 * The storage port of the request path (token, introspection, revocation, invalidation, the authorizer,
 * the SSF receiver's bearer check): consistent reads of what decides a token's activity, minting, and
 * revocations of one token or one grant. Reads are strongly consistent; absent items are `undefined`.
 */
export interface RequestStore {
  getClient(clientId: string): Promise<Client | undefined>;
  /** The token, its client, its grant and its subject's cut-off, in one consistent read. */
  readTokenState(tokenId: string, refs: TokenRefs): Promise<TokenState>;
  /** Writes an access token without a grant; false when the id exists already. */
  putAccessToken(token: TokenRecord): Promise<boolean>;
  /**
   * Writes a new grant (holding its refresh token) and its first access token; false when an id exists
   * already. No check of the client: every use reads it, so a grant of a client deleted meanwhile is born
   * inactive.
   */
  putGrant(grant: GrantRecord, access: TokenRecord): Promise<boolean>;
  /**
   * A refresh grant's writes (see `RefreshWrite`): false when the grant was revoked meanwhile or, with
   * rotation, its current refresh token is no longer the one presented (another refresh won).
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
}

/**
 * The storage port of the admin routes: clients (create, confirm, rotate, delete, list), idempotent
 * creates, and the cut-offs of a client's or a subject's tokens. Admin routes mint and revoke single
 * tokens too, through `RequestStore`.
 */
export interface AdminStore extends IdempotentClientStore {
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
  /**
   * [v3] Up to `limit` registered clients, from where `cursor` (a page's `cursor`) left off; its cost grows
   * with the clients, never the tokens. A page may hold fewer than `limit` (a client deleted meanwhile) and
   * still have a cursor. A cursor this store did not hand out is `InvalidInput` naming `cursor`.
   */
  listClients(limit: number, cursor?: string): Promise<ClientPage>;
  /** Sets `tokensRevokedBefore` to `mark.at`, recording who; false when the client does not exist. */
  revokeClientTokensBefore(clientId: string, mark: RevocationMark): Promise<boolean>;
  /**
   * Cuts a subject's tokens off: every token issued at or before `cutoff.tokensRevokedBefore`. With
   * `mirrorKey`, the same cut-off is also written under that key (tokens minted before subject keys were
   * keyed name it), atomically, marked as a mirror so that the stream sees one revocation.
   */
  cutOffSubject(cutoff: SubjectCutoff, mark: RevocationMark, mirrorKey?: string): Promise<void>;
  /** Whether any token naming this subject key is stored (the subject index, eventually consistent). */
  hasTokensOfSubject(subjectKey: string): Promise<boolean>;
}

/** The storage port of the stream's sweeper (never on a request path). */
export interface SweepStore {
  /** Deletes every token of a grant (index, every page); returns the count. */
  deleteTokensOfGrant(grantId: string): Promise<number>;
  /** Deletes every token of a client, or those issued up to an instant (index, every page); the count. */
  deleteTokensOfClient(clientId: string, issuedUpTo?: number): Promise<number>;
  /** Deletes the tokens of a subject issued up to an instant (index, every page); the count. */
  deleteTokensOfSubject(subjectKey: string, issuedUpTo: number): Promise<number>;
  /** Records a finished sweep (the publisher turns the record into `sweep.completed`). */
  recordSweep(record: SweepRecord): Promise<void>;
}

/** Every port at once: the composite adapter of the tests, tools and benchmarks (`store/dynamodb.ts`). */
export type Store = RequestStore & AdminStore & SweepStore;

/** A grant's revocation: by a caller, or by the service on detecting a consumed refresh token's reuse. */
export interface GrantRevocation extends RevocationMark {
  readonly reason: 'revoked' | 'reuse_detected';
  /** The refresh token presented, when one was. */
  readonly tokenId?: string;
}
