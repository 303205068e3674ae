/**
 * [v3] The SSF receiver: a trusted issuer that is also an SSF transmitter pushes SETs (RFC 8935) to
 * `POST /ssf/receiver/{issuerId}`; a verified CAEP `session-revoked` or RISC `credential-compromise`,
 * `account-disabled` or `account-purged` about one of its users makes that issuer's subject cut-off (one
 * write), so every token the issuer gave that user up to then is inactive here. The SET's signature is its
 * authentication. Each `jti` is processed once. Speaks no HTTP and imports nothing from AWS.
 */
import { createHash } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import { KeysUnavailable, StoreUnavailable } from './errors.ts';
import type { RevocationEvent } from './events.ts';
import type { Issuer } from './issuers.ts';
import type { Clock } from './model.ts';
import { revokeTrustedCutoff } from './trusted-admin.ts';
import type { TrustStore } from './trusted-store.ts';
import type { KeySource } from './trusted-tokens.ts';

export const CAEP_SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
const RISC = 'https://schemas.openid.net/secevent/risc/event-type/';

/** The event types that end a user's sessions here; any other type is accepted and ignored. */
export const REVOKING_EVENT_TYPES: readonly string[] = [
  CAEP_SESSION_REVOKED,
  `${RISC}credential-compromise`,
  `${RISC}account-disabled`,
  `${RISC}account-purged`,
];

/** How long a processed `jti` is remembered: longer than any transmitter retries (SSF: 24 h and more). */
export const RECEIVED_JTI_SECONDS = 30 * 24 * 3600;

/** RFC 8935 2.4 error codes. */
export type PushErrorCode =
  | 'invalid_request'
  | 'invalid_key'
  | 'invalid_issuer'
  | 'invalid_audience'
  | 'authentication_failed';

/** A SET refused for good: 400 `{"err","description"}` (RFC 8935 2.3), never retried by the transmitter. */
export class SetRefused extends Error {
  constructor(
    readonly err: PushErrorCode,
    readonly description: string,
  ) {
    super(description);
  }
}

/** What the receiver keeps of the SETs it processed. */
export interface ReceivedSets {
  /** Whether this issuer's SET with this `jti` was processed (a consistent read). */
  received(issuerId: string, jtiHash: string): Promise<boolean>;
  /** Remembers it until `expiresAt` (epoch seconds). */
  remember(issuerId: string, jtiHash: string, expiresAt: number): Promise<void>;
}

export interface ReceiverDeps {
  readonly trustStore: TrustStore;
  readonly received: ReceivedSets;
  readonly keys: KeySource;
  readonly clock: Clock;
}

/** What became of an accepted SET. */
export type Received =
  | { readonly outcome: 'revoked'; readonly event: RevocationEvent; readonly jti: string }
  | { readonly outcome: 'ignored' | 'replay'; readonly jti: string };

/** The transmitter side of a trusted issuer: its SET issuer and the keys that sign its SETs. */
export function transmitterOf(issuer: Issuer): { iss: string; keyIssuer: Issuer } | undefined {
  if (issuer.ssf === undefined) return undefined;
  const metadata = issuer.ssf.metadata ?? {};
  const iss = typeof metadata.issuer === 'string' ? metadata.issuer : issuer.issuer;
  const jwksUri = typeof metadata.jwks_uri === 'string' ? metadata.jwks_uri : undefined;
  // The transmitter's own jwks_uri when its metadata names one; else the keys the issuer's tokens use.
  // A separate id keeps its keys apart from the token keys in the key source's cache.
  const keyIssuer: Issuer =
    jwksUri === undefined
      ? issuer
      : (({ jwks: _jwks, ...rest }) => ({ ...rest, issuerId: `${issuer.issuerId}.ssf`, jwksUri }))(issuer);
  return { iss, keyIssuer };
}

/** The user a SET is about, as the issuer's subject claim would name them; undefined when none fits. */
export function subjectOf(
  claims: JWTPayload & Record<string, unknown>,
  eventType: string,
  issuer: Pick<Issuer, 'issuer' | 'subjectClaim'>,
  transmitterIss: string,
): string | undefined {
  const event = (claims.events as Record<string, unknown>)[eventType] as Record<string, unknown> | undefined;
  // SSF 1.0 puts the subject in `sub_id`; CAEP 1.0 drafts and RISC put it in the event's `subject`.
  const raw = (claims.sub_id ?? event?.subject) as Record<string, unknown> | undefined;
  const subject = raw?.format === 'complex' ? (raw.user as Record<string, unknown> | undefined) : raw;
  if (subject === undefined || typeof subject !== 'object') return undefined;
  if (subject.format === 'iss_sub' && issuer.subjectClaim !== 'email') {
    const iss = subject.iss;
    if ((iss === issuer.issuer || iss === transmitterIss) && typeof subject.sub === 'string')
      return subject.sub;
  }
  if (subject.format === 'email' && issuer.subjectClaim === 'email' && typeof subject.email === 'string') {
    return subject.email;
  }
  return undefined;
}

/** A `jti` is chosen by the transmitter: kept only as a hash. */
const jtiHashOf = (jti: string) => createHash('sha256').update(jti, 'utf8').digest('base64url');

/**
 * Verifies and processes one pushed SET of `issuer` (its registration read by the caller) for the
 * service whose issuer is `audience`. Throws `SetRefused` for a SET refused for good, `KeysUnavailable`
 * or `StoreUnavailable` for what a retry may fix (503).
 */
export async function receiveSet(
  deps: ReceiverDeps,
  issuer: Issuer | undefined,
  jwt: string,
  audience: string,
): Promise<Received> {
  if (issuer === undefined) throw new SetRefused('invalid_issuer', 'no such issuer');
  const transmitter = transmitterOf(issuer);
  if (!transmitter)
    throw new SetRefused('invalid_issuer', 'the issuer is not registered as an SSF transmitter');
  let claims: JWTPayload & Record<string, unknown>;
  try {
    const header = decodeProtectedHeader(jwt);
    if (header.typ !== 'secevent+jwt') throw new SetRefused('invalid_request', 'typ must be secevent+jwt');
    claims = decodeJwt(jwt);
  } catch (error) {
    if (error instanceof SetRefused) throw error;
    throw new SetRefused('invalid_request', 'not a JWS compact serialization');
  }
  if (claims.iss !== transmitter.iss) throw new SetRefused('invalid_issuer', 'iss is not this issuer');
  try {
    await jwtVerify(jwt, deps.keys.keysOf(transmitter.keyIssuer), {
      issuer: transmitter.iss,
      audience,
      typ: 'secevent+jwt',
      algorithms: [...issuer.algorithms],
    });
  } catch (error) {
    throw refusalOf(error);
  }
  const { jti, events } = claims;
  if (typeof jti !== 'string' || jti === '' || jti.length > 256)
    throw new SetRefused('invalid_request', 'jti is missing');
  if (events === null || typeof events !== 'object' || Array.isArray(events))
    throw new SetRefused('invalid_request', 'events is missing');
  const jtiHash = jtiHashOf(jti);
  if (await deps.received.received(issuer.issuerId, jtiHash)) return { outcome: 'replay', jti };
  const type = Object.keys(events).find((candidate) => REVOKING_EVENT_TYPES.includes(candidate));
  const now = deps.clock();
  let result: Received = { outcome: 'ignored', jti };
  if (type !== undefined) {
    const subject = subjectOf(claims, type, issuer, transmitter.iss);
    if (subject === undefined)
      throw new SetRefused('invalid_request', 'the subject is not one of this issuer’s users');
    // The cut-off is the event's time (never later than now), so a SET processed again (its jti record
    // was lost to a failure) writes the same cut-off: nothing more is revoked than the first time.
    const timestamp = (events as Record<string, { event_timestamp?: unknown }>)[type]?.event_timestamp;
    const eventMs =
      typeof timestamp === 'number'
        ? timestamp * 1000
        : typeof claims.iat === 'number'
          ? claims.iat * 1000
          : now;
    const at = Math.min(Math.max(0, Math.floor(eventMs)), now);
    const event = await revokeTrustedCutoff(
      deps.trustStore,
      () => at,
      { actor: { type: 'service', id: 'ssf-receiver' }, route: 'POST /ssf/receiver/{issuerId}' },
      issuer,
      { of: 'subject', subject },
    );
    result = { outcome: 'revoked', event, jti };
  }
  await deps.received.remember(issuer.issuerId, jtiHash, Math.floor(now / 1000) + RECEIVED_JTI_SECONDS);
  return result;
}

/** A verification failure as RFC 8935 names it; key and store outages stay what they are (503). */
function refusalOf(error: unknown): Error {
  if (error instanceof KeysUnavailable || error instanceof StoreUnavailable) return error;
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return new SetRefused('invalid_audience', 'aud does not name this service');
    if (error.claim === 'iss') return new SetRefused('invalid_issuer', 'iss is not this issuer');
    return new SetRefused('invalid_request', `the ${error.claim} claim is not acceptable`);
  }
  if (
    error instanceof joseErrors.JWSSignatureVerificationFailed ||
    error instanceof joseErrors.JWKSNoMatchingKey ||
    error instanceof joseErrors.JWKSMultipleMatchingKeys ||
    error instanceof joseErrors.JOSEAlgNotAllowed
  ) {
    return new SetRefused('invalid_key', 'the signature does not verify with a key of this issuer');
  }
  return new SetRefused('invalid_request', 'not a valid SET');
}
