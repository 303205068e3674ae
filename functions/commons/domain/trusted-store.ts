/**
 * The storage port of trusted issuers and of the revocations of their tokens. Reads are strongly
 * consistent; expired records are returned with their `expiresAt`, and the domain treats them as absent.
 */
import type { RevocationMark } from './events.ts';
import type { Issuer, TrustedCutoff, TrustedRevocationRecord } from './issuers.ts';

/** The keys of everything that decides whether one trusted token is active. */
export interface TrustedKeys {
  readonly issuerId: string;
  /** Hash of the token's id. */
  readonly token: string;
  /** Hash of the token's family, when the issuer has a family claim and the token carries it. */
  readonly family?: string;
  /** Hash of the token's client id, when it names one. */
  readonly client?: string;
  /** Hash of the token's subject, when it has one. */
  readonly subject?: string;
}

/** A revocation record or cut-off as read: when it stops counting, and the cut-off's instant. */
export interface TrustedMark {
  /** Epoch seconds (TTL): absent to the rule from then on. */
  readonly expiresAt: number;
  /** Cut-offs: epoch milliseconds. */
  readonly tokensRevokedBefore?: number;
}

/** Everything that decides a trusted token's activity, read together in one consistent read. */
export interface TrustedState {
  /** The issuer, when registered (a deleted issuer's tombstone is absent). */
  readonly issuer: Issuer | undefined;
  readonly token: TrustedMark | undefined;
  readonly family: TrustedMark | undefined;
  readonly client: TrustedMark | undefined;
  readonly subject: TrustedMark | undefined;
}

/** The record of an issuer registration made with an `Idempotency-Key` (kept 24 hours). */
export interface IssuerIdempotencyRecord {
  /** SHA-256 of the key, in a namespace of its own (a client registration's key never meets it). */
  readonly keyHash: string;
  /** `requestFingerprint` of the body the key was first used with. */
  readonly requestHash: string;
  readonly issuerId: string;
  /** Epoch seconds (TTL). */
  readonly expiresAt: number;
}

/** One page of the registry. */
export interface IssuerPage {
  readonly issuers: readonly Issuer[];
  /** Opaque; absent on the last page. */
  readonly cursor?: string;
}

/**
 * What the routes that take a trusted issuer's token need: the issuer, the one read that decides a
 * token's activity, and the write of a token's revocation record.
 */
export interface TrustedTokenStore {
  /** The issuer, by one consistent BatchGetItem of its key (the authorizer may read nothing else). */
  readIssuer(issuerId: string): Promise<Issuer | undefined>;
  /** The issuer, its cut-offs and revocation records of one token, in one consistent BatchGetItem. */
  readTrustedState(keys: TrustedKeys): Promise<TrustedState>;
  /**
   * Writes a revocation record, conditional on none being there that has not expired at `mark.at`; false
   * when one is (a repeat: nothing written, no event).
   */
  putTrustedRevocation(record: TrustedRevocationRecord, mark: RevocationMark): Promise<boolean>;
}

/**
 * The trusted issuers' storage port, whole: the registry (create, list, delete, cut off) and the admin
 * routes' and the SSF receiver's cut-offs, on top of the request path's `TrustedTokenStore`.
 */
export interface TrustStore extends TrustedTokenStore {
  /**
   * The issuer item as it is: the live issuer, or the instant a deleted issuer's tombstone records (the
   * earlier registration's tokens stay revoked when the issuer is registered again).
   */
  getIssuerItem(
    issuerId: string,
  ): Promise<{ issuer?: Issuer; deletedAt?: number; tokensRevokedBefore?: number }>;
  /**
   * Writes a new issuer, conditional on its id being free: no item, or the tombstone whose `deletedAt`
   * was read (`replacing`). False when the condition failed.
   */
  createIssuer(issuer: Issuer, replacing?: number): Promise<boolean>;
  /** As `createIssuer`, in one transaction with the idempotency record (its key absent or expired). */
  createIssuerOnce(
    issuer: Issuer,
    record: IssuerIdempotencyRecord,
    nowSeconds: number,
    replacing?: number,
  ): Promise<boolean>;
  /** The idempotency record of an issuer registration. */
  getIssuerIdempotencyRecord(keyHash: string): Promise<IssuerIdempotencyRecord | undefined>;
  /** A page of live issuers (`limit` 1-100). */
  listIssuers(limit: number, cursor?: string): Promise<IssuerPage>;
  /**
   * Deletes an issuer: one conditional write leaving a tombstone that records who, kept until every token
   * it could have signed has expired. The issuer as it was; undefined when there was none.
   */
  deleteIssuer(issuerId: string, mark: RevocationMark): Promise<Issuer | undefined>;
  /** Sets the issuer's cut-off to `mark.at` (never back); false when the issuer is not registered. */
  cutOffIssuer(issuerId: string, mark: RevocationMark): Promise<boolean>;
  /** Moves a client's or subject's cut-off forward (never back, nor its expiry nearer). */
  putTrustedCutoff(cutoff: TrustedCutoff, mark: RevocationMark): Promise<void>;
}
