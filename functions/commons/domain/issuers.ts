/**
 * Trusted issuers: other authorization servers (Amazon Cognito, Auth0, Okta, Keycloak, Entra ID, a team's
 * own) whose JWT access tokens the service makes revocable. An issuer is registered once; from then on
 * its tokens can be revoked, introspected and enforced by the authorizer like the service's own. Nothing
 * here knows about DynamoDB or HTTP.
 */
import { createHash } from 'node:crypto';
import type { JSONWebKeySet } from 'jose';

/** The JWS algorithms a trusted issuer may sign with: asymmetric only (RFC 8725 3.1, 3.2). */
export const ISSUER_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;
export type IssuerAlgorithm = (typeof ISSUER_ALGORITHMS)[number];

/** Defaults of a registration (contract, "Trusted issuers", Registering). */
export const ISSUER_DEFAULTS = {
  clientIdClaims: ['client_id', 'azp', 'cid'],
  subjectClaim: 'sub',
  /** 30 days: Cognito's default refresh token lifetime, so a revoked session stays revoked that long. */
  familyLifetimeSeconds: 30 * 24 * 3600,
  algorithms: [...ISSUER_ALGORITHMS],
  maxTokenLifetimeSeconds: 24 * 3600,
  acceptIdTokens: false,
} as const;

/** Bounds of the numbers a registration may set: a year and a day at most, a minute at least. */
export const MIN_LIFETIME_SECONDS = 60;
export const MAX_LIFETIME_SECONDS = 366 * 24 * 3600;

/**
 * How far in the future a token's `iat` and `nbf` may be: the clocks of two servers differ a little. The
 * same allowance bounds how long anything a token's lifetime decides must be kept.
 */
export const CLOCK_SKEW_SECONDS = 60;

/** How long a token's revocation record outlives the token's `exp` (contract: 5 minutes). */
export const RECORD_AFTER_EXPIRY_SECONDS = 300;

/**
 * The Shared Signals settings of an issuer that is also an SSF transmitter to the service: its
 * configuration URL, or its metadata pasted in for one that cannot be reached. Kept as given; the SSF
 * receiver reads it.
 */
export interface IssuerSsf {
  readonly configurationUrl?: string;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** What `POST /admin/issuers` (or the construct's `trustedIssuers`) asks for; absent fields take defaults. */
export interface IssuerRegistration {
  /** The exact `iss` value of the issuer's tokens. */
  readonly issuer: string;
  /** Exactly one of `jwksUri` and `jwks`. */
  readonly jwksUri?: string;
  readonly jwks?: JSONWebKeySet;
  readonly audiences?: readonly string[];
  readonly clientIdClaims?: readonly string[];
  readonly subjectClaim?: string;
  readonly familyClaim?: string;
  readonly familyLifetimeSeconds?: number;
  readonly algorithms?: readonly IssuerAlgorithm[];
  readonly maxTokenLifetimeSeconds?: number;
  readonly acceptIdTokens?: boolean;
  readonly name?: string;
  readonly ssf?: IssuerSsf;
}

/** A registered issuer, every default filled in. */
export interface Issuer {
  /** Derived from `issuer` (see `issuerIdOf`), so a token's `iss` names its issuer's item. */
  readonly issuerId: string;
  readonly issuer: string;
  readonly jwksUri?: string;
  readonly jwks?: JSONWebKeySet;
  /** When set, a token's `aud` must contain one of them. */
  readonly audiences?: readonly string[];
  /** The first of these claims a token carries names its client. */
  readonly clientIdClaims: readonly string[];
  readonly subjectClaim: string;
  /** The claim every token of one sign-in session or refresh token shares (Cognito `origin_jti`). */
  readonly familyClaim?: string;
  readonly familyLifetimeSeconds: number;
  readonly algorithms: readonly IssuerAlgorithm[];
  readonly maxTokenLifetimeSeconds: number;
  readonly acceptIdTokens: boolean;
  readonly name?: string;
  readonly ssf?: IssuerSsf;
  /** Epoch milliseconds. Tells a registration from an earlier one of the same issuer. */
  readonly createdAt: number;
  /** Epoch milliseconds: every token of the issuer issued at or before it is revoked. */
  readonly tokensRevokedBefore?: number;
}

/**
 * The id of an issuer: 128 bits of the SHA-256 of its `iss` string, base64url. Deterministic, so a
 * token's `iss` gives the key of its issuer's item (and of every revocation record) without a lookup,
 * and registering one issuer twice meets the first registration's item.
 */
export function issuerIdOf(issuer: string): string {
  return createHash('sha256').update(issuer, 'utf8').digest().subarray(0, 16).toString('base64url');
}

/** The issuer a registration makes, at `now`. */
export function newIssuer(registration: IssuerRegistration, now: number): Issuer {
  const r = registration;
  return {
    issuerId: issuerIdOf(r.issuer),
    issuer: r.issuer,
    ...(r.jwksUri !== undefined && { jwksUri: r.jwksUri }),
    ...(r.jwks !== undefined && { jwks: r.jwks }),
    ...(r.audiences !== undefined && { audiences: [...r.audiences] }),
    clientIdClaims: [...(r.clientIdClaims ?? ISSUER_DEFAULTS.clientIdClaims)],
    subjectClaim: r.subjectClaim ?? ISSUER_DEFAULTS.subjectClaim,
    ...(r.familyClaim !== undefined && { familyClaim: r.familyClaim }),
    familyLifetimeSeconds: r.familyLifetimeSeconds ?? ISSUER_DEFAULTS.familyLifetimeSeconds,
    algorithms: [...(r.algorithms ?? ISSUER_DEFAULTS.algorithms)],
    maxTokenLifetimeSeconds: r.maxTokenLifetimeSeconds ?? ISSUER_DEFAULTS.maxTokenLifetimeSeconds,
    acceptIdTokens: r.acceptIdTokens ?? ISSUER_DEFAULTS.acceptIdTokens,
    ...(r.name !== undefined && { name: r.name }),
    ...(r.ssf !== undefined && { ssf: r.ssf }),
    createdAt: now,
  };
}

/**
 * Epoch seconds until which anything about a token of this issuer issued up to `at` (epoch ms) must be
 * kept: such a token has `iat` at most `CLOCK_SKEW_SECONDS` after `at` and lives at most
 * `maxTokenLifetimeSeconds`; plus the 5 minutes a revocation record outlives its token.
 */
export function coveredUntil(issuer: Pick<Issuer, 'maxTokenLifetimeSeconds'>, at: number): number {
  return (
    Math.floor(at / 1000) + CLOCK_SKEW_SECONDS + issuer.maxTokenLifetimeSeconds + RECORD_AFTER_EXPIRY_SECONDS
  );
}

/** A one-way key part for a value chosen by someone else (a token id, a family, a client id, a subject). */
export function keyHash(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

/** What a cut-off of an issuer's tokens covers: every token of the issuer, or those of one client or subject. */
export type TrustedCutoffScope =
  | { readonly of: 'issuer' }
  | { readonly of: 'client'; readonly clientId: string }
  | { readonly of: 'subject'; readonly subject: string };

/** A revocation record of one trusted token (by its id) or of one family. */
export interface TrustedRevocationRecord {
  readonly issuerId: string;
  readonly issuer: string;
  /** What is revoked: one token (its id) or a family (its claim's value). */
  readonly target:
    | { readonly of: 'token'; readonly tokenId: string }
    | { readonly of: 'family'; readonly family: string };
  /** The token's client and subject, when known, for the event. */
  readonly clientId?: string;
  readonly subject?: string;
  /** Epoch seconds (TTL): when nothing the record covers can be valid any more. */
  readonly expiresAt: number;
}

/** A cut-off of one client's or subject's tokens of an issuer. */
export interface TrustedCutoff {
  readonly issuerId: string;
  readonly issuer: string;
  readonly scope:
    | { readonly of: 'client'; readonly clientId: string }
    | { readonly of: 'subject'; readonly subject: string };
  /** Epoch milliseconds: every such token with `iat` at or before it (floored to seconds) is revoked. */
  readonly tokensRevokedBefore: number;
  /** Epoch seconds (TTL). */
  readonly expiresAt: number;
}
