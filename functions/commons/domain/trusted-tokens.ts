/**
 * Trusted tokens: JWT access tokens of registered issuers (contract, "Trusted issuers"). What makes one
 * trusted (verification with `jose`: the issuer's algorithms and keys, its claims checked by the rules
 * below), its id, and the one rule for whether it is active, which every route that takes a token uses:
 * introspect, revoke, invalidate, the authorizer and `/demo/whoami`. Nothing here knows about DynamoDB
 * or HTTP; keys come through a `KeySource` (the remote fetcher lives in `#commons/trusted/jwks.ts`).
 */
import { createHash } from 'node:crypto';
import {
  decodeJwt,
  decodeProtectedHeader,
  errors,
  type CryptoKey as JoseCryptoKey,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  jwtVerify,
  type ProtectedHeaderParameters,
} from 'jose';
import { KeysUnavailable } from './errors.ts';
import { type RevocationEvent, type RevocationMark, type Revoker, revocationEvent } from './events.ts';
import type { IssuerDirectory } from './issuer-cache.ts';
import {
  CLOCK_SKEW_SECONDS,
  type Issuer,
  issuerIdOf,
  keyHash,
  RECORD_AFTER_EXPIRY_SECONDS,
  type TrustedRevocationRecord,
} from './issuers.ts';
import type { Clock } from './model.ts';
import type { TrustedKeys, TrustedMark, TrustedState, TrustedTokenStore } from './trusted-store.ts';

/** Resolves the key a token of one issuer is verified with (by `kid` when the header has one). */
export interface KeySource {
  /** The issuer's keys: a resolver that throws `KeysUnavailable` when they cannot be had. */
  keysOf(issuer: Issuer): JWTVerifyGetKey;
}

/** What a route needs to judge trusted tokens; one per function instance. */
export interface TrustedTokens {
  readonly issuers: IssuerDirectory;
  readonly keys: KeySource;
  readonly store: TrustedTokenStore;
  readonly clock: Clock;
}

/** A verified token of a registered issuer: what its claims say, never the token itself. */
export interface TrustedToken {
  /** The registration it verified against. */
  readonly issuer: Issuer;
  /** Its `jti`, or base64url(SHA-256(header.payload)) when it has none (contract, "A trusted token's id"). */
  readonly tokenId: string;
  readonly jti?: string;
  /** The value of the issuer's family claim, when it has one and the token carries it. */
  readonly family?: string;
  readonly clientId?: string;
  readonly subject?: string;
  /** From the `scope` string or the `scp` claim (an array, or a string as Entra ID writes it). */
  readonly scope?: string;
  readonly aud?: string | readonly string[];
  /** Epoch seconds. */
  readonly iat: number;
  /** Epoch seconds. */
  readonly exp: number;
}

/**
 * Whether a presented token has the shape of a JWS compact serialization (three base64url parts, the
 * header a JSON object): worth decoding as a trusted token. Reads and fetches nothing.
 */
export function isJwsShaped(raw: string): boolean {
  return /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(raw);
}

/**
 * The token id of a JWT without `jti`: the SHA-256 of its signing input, never of its signature. An ECDSA
 * signature has more than one valid encoding (s and n - s), so an id over the signature would let a
 * revoked token come back re-encoded.
 */
export function signingInputId(raw: string): string {
  const signingInput = raw.slice(0, raw.lastIndexOf('.'));
  return createHash('sha256').update(signingInput, 'ascii').digest('base64url');
}

/** The media types an access token's `typ` header may have (RFC 9068 2.1), in normalized form. */
const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'jwt']);

/**
 * An ID token (or anything else that is not an access token): Cognito's `token_use: id`, Keycloak's
 * `typ: ID` claim, or a `typ` header other than `at+jwt`/`JWT` (RFC 9068 2.1, RFC 8725 3.11), compared
 * case-insensitively without an `application/` prefix (RFC 7515 4.1.9).
 */
export function isIdToken(header: ProtectedHeaderParameters, claims: JWTPayload): boolean {
  if (claims.token_use === 'id') return true;
  if (typeof claims.typ === 'string' && claims.typ.toLowerCase() === 'id') return true;
  if (header.typ === undefined) return false;
  const typ = String(header.typ)
    .toLowerCase()
    .replace(/^application\//, '');
  return !ACCESS_TOKEN_TYPES.has(typ);
}

const nonEmpty = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

function scopeOf(claims: JWTPayload): string | undefined {
  const scope = nonEmpty(claims.scope);
  if (scope !== undefined) return scope;
  const scp = claims.scp;
  if (Array.isArray(scp) && scp.length > 0 && scp.every((s) => typeof s === 'string')) return scp.join(' ');
  return nonEmpty(scp);
}

function audienceOf(claims: JWTPayload): string | readonly string[] | undefined {
  const { aud } = claims;
  if (typeof aud === 'string') return aud;
  return Array.isArray(aud) && aud.every((a) => typeof a === 'string') ? aud : undefined;
}

const isNumericDate = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);

/**
 * `jwtVerify`, trying each key when the token names no `kid` and the issuer has several for its `alg`
 * (jose's local key set hands them over as an iterator, and leaves the trying to the caller).
 */
async function verifyWithAnyKey(raw: string, keys: JWTVerifyGetKey, options: JWTVerifyOptions) {
  try {
    return await jwtVerify(raw, keys, options);
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
    for await (const key of error as errors.JWKSMultipleMatchingKeys & AsyncIterable<JoseCryptoKey>) {
      try {
        return await jwtVerify(raw, key, options);
      } catch (attempt) {
        if (!(attempt instanceof errors.JWSSignatureVerificationFailed)) throw attempt;
      }
    }
    throw new errors.JWSSignatureVerificationFailed();
  }
}

/**
 * Verifies a token against one registered issuer by the contract's rules; undefined when it is not a
 * trusted token of that issuer. Throws `KeysUnavailable` when the issuer's keys cannot be had (neither
 * trusted nor untrusted can be said then).
 *
 * - `alg` one of the issuer's algorithms (the list holds no `none` and no HMAC algorithm), and the key
 *   one of the issuer's own, by `kid` when present: `jku`, `x5u` and an embedded `jwk` are never used;
 * - `iss` exactly the registered issuer (no normalisation: a trailing slash is another issuer);
 * - `exp` in the future, `iat` present and at most 60 s ahead, `nbf` (if present) at most 60 s ahead,
 *   `exp - iat` at most the issuer's `maxTokenLifetimeSeconds`;
 * - `aud` containing one of the issuer's audiences when it has any;
 * - not an ID token unless the issuer accepts them.
 */
export async function verifyForIssuer(
  issuer: Issuer,
  raw: string,
  keys: KeySource,
  now: number,
): Promise<TrustedToken | undefined> {
  let header: ProtectedHeaderParameters;
  let unverified: JWTPayload;
  try {
    header = decodeProtectedHeader(raw);
    unverified = decodeJwt(raw);
  } catch {
    return undefined;
  }
  if (typeof header.alg !== 'string' || !(issuer.algorithms as readonly string[]).includes(header.alg)) {
    return undefined;
  }
  if (!issuer.acceptIdTokens && isIdToken(header, unverified)) return undefined;
  let claims: JWTPayload;
  try {
    ({ payload: claims } = await verifyWithAnyKey(raw, keys.keysOf(issuer), {
      issuer: issuer.issuer,
      algorithms: [...issuer.algorithms],
      ...(issuer.audiences !== undefined && { audience: [...issuer.audiences] }),
      requiredClaims: ['iat', 'exp'],
      // jose's own `nbf` check with the allowance; `exp` and `iat` are checked strictly below.
      clockTolerance: CLOCK_SKEW_SECONDS,
      currentDate: new Date(now),
    }));
  } catch (error) {
    if (error instanceof KeysUnavailable) throw error;
    return undefined;
  }
  const { iat, exp, nbf } = claims;
  const nowSeconds = Math.floor(now / 1000);
  if (!isNumericDate(iat) || !isNumericDate(exp) || exp * 1000 <= now) return undefined;
  if (iat > nowSeconds + CLOCK_SKEW_SECONDS) return undefined;
  if (nbf !== undefined && (!isNumericDate(nbf) || nbf > nowSeconds + CLOCK_SKEW_SECONDS)) return undefined;
  if (exp - iat > issuer.maxTokenLifetimeSeconds) return undefined;
  const jti = nonEmpty(claims.jti);
  const family = issuer.familyClaim === undefined ? undefined : nonEmpty(claims[issuer.familyClaim]);
  const clientId = issuer.clientIdClaims
    .map((claim) => nonEmpty(claims[claim]))
    .find((id) => id !== undefined);
  const subject = nonEmpty(claims[issuer.subjectClaim]);
  const scope = scopeOf(claims);
  const aud = audienceOf(claims);
  return {
    issuer,
    tokenId: jti ?? signingInputId(raw),
    ...(jti !== undefined && { jti }),
    ...(family !== undefined && { family }),
    ...(clientId !== undefined && { clientId }),
    ...(subject !== undefined && { subject }),
    ...(scope !== undefined && { scope }),
    ...(aud !== undefined && { aud }),
    iat,
    exp,
  };
}

/** The `iss` of a JWS-shaped token, unverified, when it has one: the only claim read before verification. */
function unverifiedIssuer(raw: string): string | undefined {
  try {
    const { iss } = decodeJwt(raw);
    return nonEmpty(iss);
  } catch {
    return undefined;
  }
}

/**
 * A trusted token, verified; undefined when the token is not one (not a JWS, no registered issuer, any
 * rule broken). One read at most (the issuer's settings, on a warm function's first token of it) and no
 * key fetch once the issuer's keys are cached. Throws `KeysUnavailable`.
 */
export async function verifyTrustedToken(
  deps: TrustedTokens,
  raw: string,
): Promise<TrustedToken | undefined> {
  if (!isJwsShaped(raw)) return undefined;
  const iss = unverifiedIssuer(raw);
  if (iss === undefined) return undefined;
  const issuer = await deps.issuers.find(issuerIdOf(iss));
  if (!issuer || issuer.issuer !== iss) return undefined;
  return verifyForIssuer(issuer, raw, deps.keys, deps.clock());
}

/** The keys of everything that decides the token's activity. */
export function trustedKeysOf(token: TrustedToken): TrustedKeys {
  return {
    issuerId: token.issuer.issuerId,
    token: keyHash(token.tokenId),
    ...(token.family !== undefined && { family: keyHash(token.family) }),
    ...(token.clientId !== undefined && { client: keyHash(token.clientId) }),
    ...(token.subject !== undefined && { subject: keyHash(token.subject) }),
  };
}

/** A token whose `iat` (seconds) is at or before a cut-off (milliseconds, floored to seconds) is cut off. */
const cutOff = (iat: number, before: number | undefined) =>
  before !== undefined && iat <= Math.floor(before / 1000);

/**
 * The one rule for whether a trusted token is active: it is trusted (verified); its issuer is still
 * registered (the registration it verified against) and the issuer's cut-off is older than its `iat`; no
 * revocation record exists for its id, nor for its family; the (issuer, client) and (issuer, subject)
 * cut-offs, if any, are older than its `iat`. Records and cut-offs past their `expiresAt` are absent.
 */
export function isTrustedActive(state: TrustedState, token: TrustedToken, now: number): boolean {
  const { issuer } = state;
  if (!issuer || issuer.createdAt !== token.issuer.createdAt) return false;
  if (token.exp * 1000 <= now) return false;
  const live = (mark: TrustedMark | undefined) => mark !== undefined && mark.expiresAt * 1000 > now;
  if (cutOff(token.iat, issuer.tokensRevokedBefore)) return false;
  if (live(state.token) || live(state.family)) return false;
  for (const mark of [state.client, state.subject]) {
    if (live(mark) && cutOff(token.iat, mark?.tokensRevokedBefore)) return false;
  }
  return true;
}

/**
 * A presented token as a trusted token, if it is one and it is active; undefined otherwise. When the
 * issuer was registered anew since a warm function cached it, verification runs again with the new
 * settings. Throws `KeysUnavailable`.
 */
export async function findActiveTrustedToken(
  deps: TrustedTokens,
  raw: string,
): Promise<TrustedToken | undefined> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const token = await verifyTrustedToken(deps, raw);
    if (!token) return undefined;
    const state = await deps.store.readTrustedState(trustedKeysOf(token));
    const found = state.issuer;
    if (found && found.createdAt !== token.issuer.createdAt) {
      // Registered anew since the settings were cached: verify again with the new registration's.
      deps.issuers.update(found.issuerId, found);
      continue;
    }
    if (!found) deps.issuers.update(token.issuer.issuerId, undefined);
    return isTrustedActive(state, token, deps.clock()) ? token : undefined;
  }
  return undefined;
}

/** RFC 7662 2.2 for an active trusted token (contract, "Trusted issuers", Introspection). */
export interface TrustedIntrospection {
  active: true;
  iss: string;
  exp: number;
  iat: number;
  token_type: 'Bearer';
  client_id?: string;
  sub?: string;
  scope?: string;
  jti?: string;
  aud?: string | readonly string[];
}

export function trustedIntrospection(token: TrustedToken): TrustedIntrospection {
  return {
    active: true,
    iss: token.issuer.issuer,
    exp: token.exp,
    iat: token.iat,
    token_type: 'Bearer',
    ...(token.clientId !== undefined && { client_id: token.clientId }),
    ...(token.subject !== undefined && { sub: token.subject }),
    ...(token.scope !== undefined && { scope: token.scope }),
    ...(token.jti !== undefined && { jti: token.jti }),
    ...(token.aud !== undefined && { aud: token.aud }),
  };
}

/** The revocation record of one token: it lives until the token's `exp` plus 5 minutes. */
export function tokenRecordOf(token: TrustedToken): TrustedRevocationRecord {
  return {
    issuerId: token.issuer.issuerId,
    issuer: token.issuer.issuer,
    target: { of: 'token', tokenId: token.tokenId },
    ...(token.clientId !== undefined && { clientId: token.clientId }),
    ...(token.subject !== undefined && { subject: token.subject }),
    expiresAt: token.exp + RECORD_AFTER_EXPIRY_SECONDS,
  };
}

/** The revocation record of a family: it lives `familyLifetimeSeconds` after it is written. */
export function familyRecordOf(
  issuer: Issuer,
  family: string,
  at: number,
  who: { clientId?: string; subject?: string } = {},
): TrustedRevocationRecord {
  return {
    issuerId: issuer.issuerId,
    issuer: issuer.issuer,
    target: { of: 'family', family },
    ...(who.clientId !== undefined && { clientId: who.clientId }),
    ...(who.subject !== undefined && { subject: who.subject }),
    expiresAt: Math.floor(at / 1000) + issuer.familyLifetimeSeconds,
  };
}

/**
 * What revoking a trusted token revokes: its family when the issuer has a family claim and the token
 * carries it (the sign-in session, as revoking a refresh token revokes its grant), else the token alone.
 */
export function revocationRecordOf(token: TrustedToken, at: number): TrustedRevocationRecord {
  return token.family === undefined
    ? tokenRecordOf(token)
    : familyRecordOf(token.issuer, token.family, at, token);
}

/** The event of a trusted revocation record's write, as the publisher rebuilds it from the stream. */
export function trustedRecordEvent(record: TrustedRevocationRecord, mark: RevocationMark): RevocationEvent {
  const { target } = record;
  const who = {
    issuer: record.issuer,
    ...(record.clientId !== undefined && { clientId: record.clientId }),
    ...(record.subject !== undefined && { subject: record.subject }),
  };
  return target.of === 'token'
    ? revocationEvent('token.revoked', `${record.issuerId}#${keyHash(target.tokenId)}`, mark, {
        ...who,
        jti: target.tokenId,
      })
    : revocationEvent('family.revoked', `${record.issuerId}#${keyHash(target.family)}`, mark, {
        ...who,
        family: target.family,
      });
}

/**
 * Writes a revocation record (one conditional write); its event when it was written, undefined when the
 * same record was there already (revoked before: nothing written, nothing published).
 */
export async function writeRevocationRecord(
  store: TrustedTokenStore,
  record: TrustedRevocationRecord,
  mark: RevocationMark,
): Promise<RevocationEvent | undefined> {
  return (await store.putTrustedRevocation(record, mark)) ? trustedRecordEvent(record, mark) : undefined;
}

/**
 * RFC 7009 revoke of a trusted token: possession is the right to revoke (whoever holds a token can use
 * it, so may kill it). One write, no read: the family's record, or the token's. Its event when written.
 */
export function revokeTrustedToken(
  deps: TrustedTokens,
  token: TrustedToken,
  revoker: Revoker,
): Promise<RevocationEvent | undefined> {
  const at = deps.clock();
  return writeRevocationRecord(deps.store, revocationRecordOf(token, at), { ...revoker, at });
}

/**
 * `DELETE /oauth/token` with a trusted token as the bearer: the token alone (not its family), only while
 * it is active, by a conditional write, so of two calls exactly one succeeds. Its event; undefined when
 * the token is not active or was revoked meanwhile.
 */
export async function invalidateTrustedToken(
  deps: TrustedTokens,
  raw: string,
  route: string,
): Promise<{ token: TrustedToken; event: RevocationEvent } | undefined> {
  const token = await findActiveTrustedToken(deps, raw);
  if (!token) return undefined;
  const revoker: Revoker = { actor: bearerActor(token), route };
  const at = deps.clock();
  const event = await writeRevocationRecord(deps.store, tokenRecordOf(token), { ...revoker, at });
  return event && { token, event };
}

/** The actor of a revocation by a trusted token's holder: named by its client, else its subject, else its issuer. */
export function bearerActor(token: TrustedToken) {
  return { type: 'bearer', id: token.clientId ?? token.subject ?? token.issuer.issuer } as const;
}
