/**
 * [v3] The admin operations on trusted issuers: registering (idempotently when asked), deleting, and the
 * revocations an operator makes: of one token (by its id, or the token itself), of a family, and the
 * cut-offs of an issuer's, one client's or one subject's tokens. Each revocation is one write; its event
 * is built here and rebuilt by the publisher from the stream (store/trusted-changes.ts) with the same id.
 */
import { AlreadyExists, IdempotencyKeyReused, InvalidInput, NotFound, StoreUnavailable } from './errors.ts';
import { type RevocationEvent, type RevocationMark, type Revoker, revocationEvent } from './events.ts';
import { IDEMPOTENCY_WINDOW_SECONDS } from './idempotency.ts';
import {
  CLOCK_SKEW_SECONDS,
  coveredUntil,
  type Issuer,
  type IssuerRegistration,
  keyHash,
  newIssuer,
  RECORD_AFTER_EXPIRY_SECONDS,
  type TrustedCutoff,
} from './issuers.ts';
import type { Clock } from './model.ts';
import type { TrustStore } from './trusted-store.ts';
import {
  familyRecordOf,
  type KeySource,
  revocationRecordOf,
  verifyForIssuer,
  writeRevocationRecord,
} from './trusted-tokens.ts';

/** An issuer registration that met a live registration of the same issuer (409). */
export class IssuerExists extends AlreadyExists {
  constructor() {
    super('"issuer" is registered already');
  }
}

export type IssuerCreation =
  | { readonly replayed: false; readonly issuer: Issuer }
  | { readonly replayed: true; readonly issuer: Issuer };

/**
 * Registers an issuer. An issuer deleted before is registered anew with a cut-off at its deletion, so
 * the tokens it signed before then stay revoked. With an idempotency key, a retry with the same body
 * within 24 hours gets the issuer the key registered (`replayed`); the same key with another body is
 * `IdempotencyKeyReused`. `IssuerExists` when the issuer is registered already.
 */
export async function registerIssuer(
  store: TrustStore,
  clock: Clock,
  registration: IssuerRegistration,
  idempotency?: { readonly keyHash: string; readonly requestHash: string },
): Promise<IssuerCreation> {
  for (let attempt = 0; attempt < 4; attempt++) {
    const now = clock();
    const fresh = newIssuer(registration, now);
    const found = await store.getIssuerItem(fresh.issuerId);
    if (found.issuer && !idempotency) throw new IssuerExists();
    const issuer: Issuer =
      found.deletedAt === undefined
        ? fresh
        : { ...fresh, tokensRevokedBefore: Math.max(found.deletedAt, found.tokensRevokedBefore ?? 0) };
    const created = idempotency
      ? found.issuer === undefined &&
        (await store.createIssuerOnce(
          issuer,
          {
            ...idempotency,
            issuerId: issuer.issuerId,
            expiresAt: Math.floor(now / 1000) + IDEMPOTENCY_WINDOW_SECONDS,
          },
          Math.floor(now / 1000),
          found.deletedAt,
        ))
      : await store.createIssuer(issuer, found.deletedAt);
    if (created) return { replayed: false, issuer };
    if (idempotency) {
      const record = await store.getIssuerIdempotencyRecord(idempotency.keyHash);
      if (record && record.expiresAt > Math.floor(now / 1000)) {
        if (record.requestHash !== idempotency.requestHash) throw new IdempotencyKeyReused();
        const replay = (await store.getIssuerItem(record.issuerId)).issuer;
        if (!replay) throw new NotFound('issuer');
        return { replayed: true, issuer: replay };
      }
      // No record: the issuer was registered without this key (409), unless a racing create of the same
      // key has not committed yet; look again.
      if (found.issuer) throw new IssuerExists();
    }
    // A racing registration or deletion changed the item between the read and the write: read again.
  }
  throw new StoreUnavailable();
}

/** The registered issuer; `NotFound` when there is none. */
export async function requireIssuer(store: TrustStore, issuerId: string): Promise<Issuer> {
  const { issuer } = await store.getIssuerItem(issuerId);
  if (!issuer) throw new NotFound('issuer');
  return issuer;
}

/** `issuer.deleted`: an issuer's deletion, every token it signed inactive from then on. */
export function issuerDeletedEvent(issuer: Pick<Issuer, 'issuerId' | 'issuer'>, mark: RevocationMark) {
  return revocationEvent('issuer.deleted', issuer.issuerId, mark, { issuer: issuer.issuer });
}

/** `issuer.tokens_revoked`: every token of the issuer issued up to the cut-off. */
export function issuerCutoffEvent(issuer: Pick<Issuer, 'issuerId' | 'issuer'>, mark: RevocationMark) {
  return revocationEvent('issuer.tokens_revoked', issuer.issuerId, mark, {
    issuer: issuer.issuer,
    tokensRevokedBefore: mark.at,
  });
}

/** `client.tokens_revoked` / `subject.tokens_revoked` of one issuer's tokens. */
export function trustedCutoffEvent(cutoff: TrustedCutoff, mark: RevocationMark): RevocationEvent {
  const { scope } = cutoff;
  return scope.of === 'client'
    ? revocationEvent('client.tokens_revoked', `${cutoff.issuerId}#${keyHash(scope.clientId)}`, mark, {
        issuer: cutoff.issuer,
        clientId: scope.clientId,
        tokensRevokedBefore: cutoff.tokensRevokedBefore,
      })
    : revocationEvent('subject.tokens_revoked', `${cutoff.issuerId}#${keyHash(scope.subject)}`, mark, {
        issuer: cutoff.issuer,
        subject: scope.subject,
        tokensRevokedBefore: cutoff.tokensRevokedBefore,
      });
}

/**
 * Deletes an issuer in one write: none of its tokens is accepted anywhere once this returns (the activity
 * rule reads the issuer with every token). `NotFound` when it is not registered.
 */
export async function deleteIssuer(
  store: TrustStore,
  clock: Clock,
  revoker: Revoker,
  issuerId: string,
): Promise<RevocationEvent> {
  const mark = { ...revoker, at: clock() };
  const deleted = await store.deleteIssuer(issuerId, mark);
  if (!deleted) throw new NotFound('issuer');
  return issuerDeletedEvent(deleted, mark);
}

/** Revokes every token of the issuer issued up to now (a leaked signing key): one write. */
export async function revokeIssuerTokens(
  store: TrustStore,
  clock: Clock,
  revoker: Revoker,
  issuerId: string,
): Promise<RevocationEvent> {
  const issuer = await requireIssuer(store, issuerId);
  const mark = { ...revoker, at: clock() };
  if (!(await store.cutOffIssuer(issuerId, mark))) throw new NotFound('issuer');
  return issuerCutoffEvent(issuer, mark);
}

/**
 * Revokes every token of the issuer that names this client (or carries this subject) issued up to now:
 * one cut-off item, kept until no token it covers can be valid.
 */
export async function revokeTrustedCutoff(
  store: TrustStore,
  clock: Clock,
  revoker: Revoker,
  issuer: Issuer,
  scope: TrustedCutoff['scope'],
): Promise<RevocationEvent> {
  const mark = { ...revoker, at: clock() };
  const cutoff: TrustedCutoff = {
    issuerId: issuer.issuerId,
    issuer: issuer.issuer,
    scope,
    tokensRevokedBefore: mark.at,
    expiresAt: coveredUntil(issuer, mark.at),
  };
  await store.putTrustedCutoff(cutoff, mark);
  return trustedCutoffEvent(cutoff, mark);
}

/** What `POST /admin/issuers/{issuerId}/revocations` asks to revoke. */
export type AdminTrustedRevocation =
  | { readonly jti: string; readonly expiresAt: number }
  | { readonly family: string }
  | { readonly token: string };

/** What it revoked: one token's id, or a family. */
export type AdminTrustedRevoked = { readonly jti: string } | { readonly family: string };

/**
 * An operator's revocation of one of an issuer's tokens, by what they have: a token id and its `exp`
 * (from a log line), a family, or the token itself (revoked as RFC 7009 revoke would: its family when it
 * has one). One write; the event when it was written (undefined for a repeat). A token that is not a
 * valid token of this issuer is refused (400): it could not be used, and its claims cannot be trusted.
 */
export async function adminRevokeTrusted(
  deps: { readonly store: TrustStore; readonly clock: Clock; readonly keys: KeySource },
  revoker: Revoker,
  issuer: Issuer,
  request: AdminTrustedRevocation,
): Promise<{ revoked: AdminTrustedRevoked; event: RevocationEvent | undefined }> {
  const at = deps.clock();
  const mark = { ...revoker, at };
  if ('family' in request) {
    const event = await writeRevocationRecord(deps.store, familyRecordOf(issuer, request.family, at), mark);
    return { revoked: { family: request.family }, event };
  }
  if ('jti' in request) {
    // No token lives past its issuer's maximum lifetime: the record need not either.
    const latest = Math.floor(at / 1000) + CLOCK_SKEW_SECONDS + issuer.maxTokenLifetimeSeconds;
    const record = {
      issuerId: issuer.issuerId,
      issuer: issuer.issuer,
      target: { of: 'token', tokenId: request.jti },
      expiresAt: Math.min(request.expiresAt, latest) + RECORD_AFTER_EXPIRY_SECONDS,
    } as const;
    return { revoked: { jti: request.jti }, event: await writeRevocationRecord(deps.store, record, mark) };
  }
  const token = await verifyForIssuer(issuer, request.token, deps.keys, at);
  if (!token) throw new InvalidInput('token', 'is not a valid, unexpired token of this issuer');
  const record = revocationRecordOf(token, at);
  const event = await writeRevocationRecord(deps.store, record, mark);
  return {
    revoked:
      record.target.of === 'family' ? { family: record.target.family } : { jti: record.target.tokenId },
    event,
  };
}
