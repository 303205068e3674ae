/**
 * [v3] The mapping between the table's items and the records of trusted issuers and of the revocations
 * of their tokens: the part of `items.ts` for this feature, with the same rule (an item that does not
 * have the shape the service writes is a `CorruptItem`).
 */
import type { JSONWebKeySet } from 'jose';
import type { RevocationMark } from '../domain/events.ts';
import {
  ISSUER_ALGORITHMS,
  type Issuer,
  type IssuerAlgorithm,
  type IssuerSsf,
  type TrustedRevocationRecord,
} from '../domain/issuers.ts';
import type { IssuerIdempotencyRecord, TrustedMark } from '../domain/trusted-store.ts';
import {
  ATTR,
  IDEMPOTENCY_KEY_PREFIX,
  ISSUER_KEY_PREFIX,
  ISSUER_REGISTRY,
  PARTITION_KEY,
  TRUSTED_CLIENT_KEY_PREFIX,
  TRUSTED_FAMILY_KEY_PREFIX,
  TRUSTED_SUBJECT_KEY_PREFIX,
  TRUSTED_TOKEN_KEY_PREFIX,
} from '../schema.ts';
import { CorruptItem, type Item, markAttributes } from './items.ts';

export const issuerKey = (issuerId: string): Item => ({ [PARTITION_KEY]: `${ISSUER_KEY_PREFIX}${issuerId}` });
export const trustedTokenKey = (issuerId: string, tokenHash: string): Item => ({
  [PARTITION_KEY]: `${TRUSTED_TOKEN_KEY_PREFIX}${issuerId}#${tokenHash}`,
});
export const trustedFamilyKey = (issuerId: string, familyHash: string): Item => ({
  [PARTITION_KEY]: `${TRUSTED_FAMILY_KEY_PREFIX}${issuerId}#${familyHash}`,
});
export const trustedClientKey = (issuerId: string, clientHash: string): Item => ({
  [PARTITION_KEY]: `${TRUSTED_CLIENT_KEY_PREFIX}${issuerId}#${clientHash}`,
});
export const trustedSubjectKey = (issuerId: string, subjectHash: string): Item => ({
  [PARTITION_KEY]: `${TRUSTED_SUBJECT_KEY_PREFIX}${issuerId}#${subjectHash}`,
});

/** The prefixes of the items a trusted revocation writes, for the stream's readers. */
export const TRUSTED_PREFIXES = [
  ISSUER_KEY_PREFIX,
  TRUSTED_TOKEN_KEY_PREFIX,
  TRUSTED_FAMILY_KEY_PREFIX,
  TRUSTED_CLIENT_KEY_PREFIX,
  TRUSTED_SUBJECT_KEY_PREFIX,
] as const;

function fail(item: Item, attribute: string): never {
  throw new CorruptItem(item[PARTITION_KEY], attribute);
}
function string(item: Item, attribute: string): string {
  const value = item[attribute];
  return typeof value === 'string' ? value : fail(item, attribute);
}
function optionalString(item: Item, attribute: string): string | undefined {
  return item[attribute] === undefined ? undefined : string(item, attribute);
}
function number(item: Item, attribute: string): number {
  const value = item[attribute];
  return typeof value === 'number' && Number.isFinite(value) ? value : fail(item, attribute);
}
function optionalNumber(item: Item, attribute: string): number | undefined {
  return item[attribute] === undefined ? undefined : number(item, attribute);
}
function strings(item: Item, attribute: string): string[] {
  const value = item[attribute];
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : fail(item, attribute);
}
function json<T>(item: Item, attribute: string): T | undefined {
  const text = optionalString(item, attribute);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fail(item, attribute);
  }
}

/** The live issuer of an item; undefined for a deleted issuer's tombstone. */
export function issuerFromItem(item: Item | undefined): Issuer | undefined {
  if (!item || item[ATTR.deletedAt] !== undefined) return undefined;
  const key = String(item[PARTITION_KEY]);
  if (!key.startsWith(ISSUER_KEY_PREFIX)) fail(item, PARTITION_KEY);
  const algorithms = strings(item, ATTR.algorithms);
  if (algorithms.length === 0 || !algorithms.every((a) => ISSUER_ALGORITHMS.includes(a as IssuerAlgorithm))) {
    fail(item, ATTR.algorithms);
  }
  const jwksUri = optionalString(item, ATTR.jwksUri);
  const jwks = json<JSONWebKeySet>(item, ATTR.jwks);
  if ((jwksUri === undefined) === (jwks === undefined)) fail(item, ATTR.jwksUri);
  const audiences = item[ATTR.audiences] === undefined ? undefined : strings(item, ATTR.audiences);
  const familyClaim = optionalString(item, ATTR.familyClaim);
  const name = optionalString(item, ATTR.name);
  const ssf = json<IssuerSsf>(item, ATTR.ssf);
  const tokensRevokedBefore = optionalNumber(item, ATTR.tokensRevokedBefore);
  const acceptIdTokens = item[ATTR.acceptIdTokens];
  if (typeof acceptIdTokens !== 'boolean') fail(item, ATTR.acceptIdTokens);
  return {
    issuerId: key.slice(ISSUER_KEY_PREFIX.length),
    issuer: string(item, ATTR.issuer),
    ...(jwksUri !== undefined && { jwksUri }),
    ...(jwks !== undefined && { jwks }),
    ...(audiences !== undefined && { audiences }),
    clientIdClaims: strings(item, ATTR.clientIdClaims),
    subjectClaim: string(item, ATTR.subjectClaim),
    ...(familyClaim !== undefined && { familyClaim }),
    familyLifetimeSeconds: number(item, ATTR.familyLifetimeSeconds),
    algorithms: algorithms as IssuerAlgorithm[],
    maxTokenLifetimeSeconds: number(item, ATTR.maxTokenLifetimeSeconds),
    acceptIdTokens,
    ...(name !== undefined && { name }),
    ...(ssf !== undefined && { ssf }),
    createdAt: number(item, ATTR.createdAt),
    ...(tokensRevokedBefore !== undefined && { tokensRevokedBefore }),
  };
}

/** A registered issuer's item; `registry` puts it in the registry index while it is live. */
export function issuerToItem(issuer: Issuer): Item {
  return {
    ...issuerKey(issuer.issuerId),
    [ATTR.registry]: ISSUER_REGISTRY,
    [ATTR.registryOrder]: issuerKey(issuer.issuerId)[PARTITION_KEY],
    [ATTR.issuer]: issuer.issuer,
    [ATTR.jwksUri]: issuer.jwksUri,
    // JSON text: a JWK Set is kept exactly as given (DynamoDB maps would drop empty strings' meaning).
    [ATTR.jwks]: issuer.jwks === undefined ? undefined : JSON.stringify(issuer.jwks),
    [ATTR.audiences]: issuer.audiences === undefined ? undefined : [...issuer.audiences],
    [ATTR.clientIdClaims]: [...issuer.clientIdClaims],
    [ATTR.subjectClaim]: issuer.subjectClaim,
    [ATTR.familyClaim]: issuer.familyClaim,
    [ATTR.familyLifetimeSeconds]: issuer.familyLifetimeSeconds,
    [ATTR.algorithms]: [...issuer.algorithms],
    [ATTR.maxTokenLifetimeSeconds]: issuer.maxTokenLifetimeSeconds,
    [ATTR.acceptIdTokens]: issuer.acceptIdTokens,
    [ATTR.name]: issuer.name,
    [ATTR.ssf]: issuer.ssf === undefined ? undefined : JSON.stringify(issuer.ssf),
    [ATTR.createdAt]: issuer.createdAt,
    [ATTR.tokensRevokedBefore]: issuer.tokensRevokedBefore,
  };
}

/** The key of a revocation record's item. */
export function revocationRecordKey(record: TrustedRevocationRecord, hash: (value: string) => string): Item {
  return record.target.of === 'token'
    ? trustedTokenKey(record.issuerId, hash(record.target.tokenId))
    : trustedFamilyKey(record.issuerId, hash(record.target.family));
}

/** A revocation record's item: what it revokes, the issuer, who revoked it and when (for the stream). */
export function revocationRecordToItem(
  record: TrustedRevocationRecord,
  mark: RevocationMark,
  hash: (value: string) => string,
): Item {
  return {
    ...revocationRecordKey(record, hash),
    [ATTR.issuer]: record.issuer,
    ...(record.target.of === 'token'
      ? { [ATTR.trustedTokenId]: record.target.tokenId }
      : { [ATTR.trustedFamily]: record.target.family }),
    [ATTR.trustedClientId]: record.clientId,
    [ATTR.trustedSubject]: record.subject,
    [ATTR.revokedAt]: mark.at,
    ...markAttributes(mark),
    [ATTR.expiresAt]: record.expiresAt,
  };
}

/** A revocation record read back from its item (the publisher's view). */
export function revocationRecordFromItem(item: Item): TrustedRevocationRecord {
  const key = String(item[PARTITION_KEY]);
  const prefix = key.startsWith(TRUSTED_TOKEN_KEY_PREFIX)
    ? TRUSTED_TOKEN_KEY_PREFIX
    : key.startsWith(TRUSTED_FAMILY_KEY_PREFIX)
      ? TRUSTED_FAMILY_KEY_PREFIX
      : fail(item, PARTITION_KEY);
  const issuerId = key.slice(prefix.length).split('#')[0] ?? '';
  const clientId = optionalString(item, ATTR.trustedClientId);
  const subject = optionalString(item, ATTR.trustedSubject);
  return {
    issuerId,
    issuer: string(item, ATTR.issuer),
    target:
      prefix === TRUSTED_TOKEN_KEY_PREFIX
        ? { of: 'token', tokenId: string(item, ATTR.trustedTokenId) }
        : { of: 'family', family: string(item, ATTR.trustedFamily) },
    ...(clientId !== undefined && { clientId }),
    ...(subject !== undefined && { subject }),
    expiresAt: number(item, ATTR.expiresAt),
  };
}

/** A revocation record or cut-off as the activity rule needs it. */
export function trustedMarkFromItem(item: Item | undefined): TrustedMark | undefined {
  if (!item) return undefined;
  const tokensRevokedBefore = optionalNumber(item, ATTR.tokensRevokedBefore);
  return {
    expiresAt: number(item, ATTR.expiresAt),
    ...(tokensRevokedBefore !== undefined && { tokensRevokedBefore }),
  };
}

export const issuerIdempotencyKey = (keyHash: string): Item => ({
  [PARTITION_KEY]: `${IDEMPOTENCY_KEY_PREFIX}${keyHash}`,
});

export function issuerIdempotencyToItem(record: IssuerIdempotencyRecord): Item {
  return {
    ...issuerIdempotencyKey(record.keyHash),
    [ATTR.requestHash]: record.requestHash,
    [ATTR.createdIssuerId]: record.issuerId,
    [ATTR.expiresAt]: record.expiresAt,
  };
}

export function issuerIdempotencyFromItem(item: Item): IssuerIdempotencyRecord {
  const key = String(item[PARTITION_KEY]);
  if (!key.startsWith(IDEMPOTENCY_KEY_PREFIX)) fail(item, PARTITION_KEY);
  return {
    keyHash: key.slice(IDEMPOTENCY_KEY_PREFIX.length),
    requestHash: string(item, ATTR.requestHash),
    issuerId: string(item, ATTR.createdIssuerId),
    expiresAt: number(item, ATTR.expiresAt),
  };
}
