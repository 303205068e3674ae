/**
 * The one mapping between table items and domain records. Items are validated on read: an item that
 * does not have the shape the service writes (hand-edited, or from a version that wrote differently) is a
 * `CorruptItem`, never a record with holes in it.
 */
import type { Actor, ActorType, RevocationMark, SweepRecord } from '../domain/events.ts';
import type { IdempotencyRecord } from '../domain/idempotency.ts';
import {
  type Client,
  type ConsumedRefreshToken,
  GRANT_TYPES,
  type GrantRecord,
  type GrantType,
  type SubjectCutoff,
  type TokenKind,
  type TokenOrigin,
  type TokenRecord,
} from '../domain/model.ts';
import {
  ATTR,
  CLIENT_KEY_PREFIX,
  CLIENT_REGISTRY,
  GRANT_KEY_PREFIX,
  IDEMPOTENCY_KEY_PREFIX,
  PARTITION_KEY,
  SUBJECT_KEY_PREFIX,
  SWEEP_KEY_PREFIX,
} from '../schema.ts';

export type Item = Record<string, unknown>;

/** An item of the table that no record can be made of. Its message names the key prefix and attribute. */
export class CorruptItem extends Error {
  constructor(key: unknown, attribute: string) {
    super(`item ${String(key).slice(0, 8)}… has no valid "${attribute}"`);
    this.name = 'CorruptItem';
  }
}

export const clientKey = (clientId: string): Item => ({ [PARTITION_KEY]: `${CLIENT_KEY_PREFIX}${clientId}` });
export const tokenKey = (id: string): Item => ({ [PARTITION_KEY]: id });
export const grantKey = (grantId: string): Item => ({ [PARTITION_KEY]: `${GRANT_KEY_PREFIX}${grantId}` });
export const subjectKey = (key: string): Item => ({ [PARTITION_KEY]: `${SUBJECT_KEY_PREFIX}${key}` });
export const sweepKey = (revocationId: string): Item => ({
  [PARTITION_KEY]: `${SWEEP_KEY_PREFIX}${revocationId}`,
});
export const idempotencyKey = (keyHash: string): Item => ({
  [PARTITION_KEY]: `${IDEMPOTENCY_KEY_PREFIX}${keyHash}`,
});

/** Typed reads of one item's attributes; each throws `CorruptItem` naming the attribute. */
function reader(item: Item) {
  const key = item[PARTITION_KEY];
  const fail = (attribute: string): never => {
    throw new CorruptItem(key, attribute);
  };
  const string = (attribute: string): string => {
    const value = item[attribute];
    return typeof value === 'string' ? value : fail(attribute);
  };
  const number = (attribute: string): number => {
    const value = item[attribute];
    return typeof value === 'number' && Number.isFinite(value) ? value : fail(attribute);
  };
  return {
    key: typeof key === 'string' ? key : fail(PARTITION_KEY),
    string,
    number,
    boolean: (attribute: string): boolean => {
      const value = item[attribute];
      return typeof value === 'boolean' ? value : fail(attribute);
    },
    strings: (attribute: string): string[] => {
      // lib-dynamodb reads string sets as Set and lists as arrays; the service writes lists.
      const value = item[attribute];
      return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : fail(attribute);
    },
    optionalString: (attribute: string) => (item[attribute] === undefined ? undefined : string(attribute)),
    optionalNumber: (attribute: string) => (item[attribute] === undefined ? undefined : number(attribute)),
    optionalBoolean: (attribute: string) => {
      const value = item[attribute];
      return value === undefined ? undefined : typeof value === 'boolean' ? value : fail(attribute);
    },
  };
}

const TOKEN_KINDS: readonly TokenKind[] = ['access', 'refresh'];
const ORIGINS: readonly TokenOrigin[] = [...GRANT_TYPES, 'external'];

export function clientFromItem(item: Item): Client {
  const read = reader(item);
  if (!read.key.startsWith(CLIENT_KEY_PREFIX)) throw new CorruptItem(read.key, PARTITION_KEY);
  const grantTypes = read.strings(ATTR.grantTypes);
  if (!grantTypes.every((g) => GRANT_TYPES.includes(g as GrantType))) {
    throw new CorruptItem(read.key, ATTR.grantTypes);
  }
  const secretHash = read.optionalString(ATTR.secretHash);
  const tokensRevokedBefore = read.optionalNumber(ATTR.tokensRevokedBefore);
  // A previous secret is only ever written with its expiry; one without the other is no rotation of ours.
  const previousSecretHash = read.optionalString(ATTR.previousSecretHash);
  const previousSecretExpiresAt = read.optionalNumber(ATTR.previousSecretExpiresAt);
  if ((previousSecretHash === undefined) !== (previousSecretExpiresAt === undefined)) {
    throw new CorruptItem(read.key, ATTR.previousSecretExpiresAt);
  }
  const unconfirmedPreviousSecretHash = read.optionalString(ATTR.unconfirmedPreviousSecretHash);
  return {
    clientId: read.key.slice(CLIENT_KEY_PREFIX.length),
    name: read.string(ATTR.name),
    public: read.boolean(ATTR.public),
    ...(secretHash !== undefined && { secretHash }),
    ...(previousSecretHash !== undefined && { previousSecretHash, previousSecretExpiresAt }),
    ...(unconfirmedPreviousSecretHash !== undefined && { unconfirmedPreviousSecretHash }),
    grantTypes: grantTypes as GrantType[],
    scopes: read.strings(ATTR.scopes),
    accessTokenTtl: read.number(ATTR.accessTokenTtl),
    refreshTokenTtl: read.number(ATTR.refreshTokenTtl),
    refreshTokenRotation: read.boolean(ATTR.refreshTokenRotation),
    refreshTokenReuseGraceSeconds: read.number(ATTR.refreshTokenReuseGraceSeconds),
    createdAt: read.number(ATTR.createdAt),
    ...(tokensRevokedBefore !== undefined && { tokensRevokedBefore }),
  };
}

/** A client item, whole; `registry` lists it in the registry index (`GET /admin/clients`). */
export function clientToItem(client: Client): Item {
  return {
    ...clientKey(client.clientId),
    [ATTR.registry]: CLIENT_REGISTRY,
    [ATTR.registryOrder]: clientKey(client.clientId)[PARTITION_KEY],
    [ATTR.name]: client.name,
    [ATTR.public]: client.public,
    [ATTR.secretHash]: client.secretHash,
    [ATTR.previousSecretHash]: client.previousSecretHash,
    [ATTR.previousSecretExpiresAt]: client.previousSecretExpiresAt,
    [ATTR.unconfirmedPreviousSecretHash]: client.unconfirmedPreviousSecretHash,
    [ATTR.grantTypes]: [...client.grantTypes],
    [ATTR.scopes]: [...client.scopes],
    [ATTR.accessTokenTtl]: client.accessTokenTtl,
    [ATTR.refreshTokenTtl]: client.refreshTokenTtl,
    [ATTR.refreshTokenRotation]: client.refreshTokenRotation,
    [ATTR.refreshTokenReuseGraceSeconds]: client.refreshTokenReuseGraceSeconds,
    [ATTR.createdAt]: client.createdAt,
    [ATTR.tokensRevokedBefore]: client.tokensRevokedBefore,
  };
}

export function tokenFromItem(item: Item): TokenRecord {
  const read = reader(item);
  const kind = read.string(ATTR.kind) as TokenKind;
  if (!TOKEN_KINDS.includes(kind)) throw new CorruptItem(read.key, ATTR.kind);
  const grantType = read.string(ATTR.grantType) as TokenOrigin;
  if (!ORIGINS.includes(grantType)) throw new CorruptItem(read.key, ATTR.grantType);
  const grantId = read.optionalString(ATTR.grantId);
  const subject = read.optionalString(ATTR.subject);
  // The old layout keyed every token into every index; the new one names them apart (see schema.ts).
  const subjectKey = read.optionalString(ATTR.tokenSubjectKey) ?? read.optionalString(ATTR.subjectKey);
  const clientId = read.optionalString(ATTR.tokenClientId) ?? read.string(ATTR.clientId);
  const consumedAt = read.optionalNumber(ATTR.consumedAt);
  return {
    id: read.key,
    kind,
    clientId,
    ...(grantId !== undefined && { grantId }),
    scope: read.string(ATTR.scope),
    ...(subject !== undefined && { subject }),
    ...(subjectKey !== undefined && { subjectKey }),
    issuedAt: read.number(ATTR.issuedAt),
    expiresAt: read.number(ATTR.expiresAt),
    grantType,
    refreshCount: read.number(ATTR.refreshCount),
    ...(consumedAt !== undefined && { consumedAt }),
    lastModifiedAt: read.number(ATTR.lastModifiedAt),
  };
}

/**
 * A token's item, keyed into one index at most (schema.ts): a grant's token into the grant index only, a
 * token without a grant into the client index only. The subject key is never an index key on a token.
 */
export function tokenToItem(token: TokenRecord): Item {
  const ofGrant = token.grantId !== undefined;
  return {
    ...tokenKey(token.id),
    [ATTR.kind]: token.kind,
    [ofGrant ? ATTR.tokenClientId : ATTR.clientId]: token.clientId,
    [ATTR.grantId]: token.grantId,
    [ATTR.scope]: token.scope,
    [ATTR.subject]: token.subject,
    [ATTR.tokenSubjectKey]: token.subjectKey,
    [ATTR.issuedAt]: token.issuedAt,
    [ATTR.expiresAt]: token.expiresAt,
    [ATTR.grantType]: token.grantType,
    [ATTR.refreshCount]: token.refreshCount,
    [ATTR.consumedAt]: token.consumedAt,
    [ATTR.lastModifiedAt]: token.lastModifiedAt,
  };
}

export function grantFromItem(item: Item): GrantRecord {
  const read = reader(item);
  if (!read.key.startsWith(GRANT_KEY_PREFIX)) throw new CorruptItem(read.key, PARTITION_KEY);
  // Grants of the old layout named their client and subject apart from the index keys (schema.ts).
  const subject = read.optionalString(ATTR.subject) ?? read.optionalString(ATTR.grantSubject);
  const subjectKey = read.optionalString(ATTR.subjectKey) ?? read.optionalString(ATTR.grantSubjectKey);
  const clientId = read.optionalString(ATTR.clientId) ?? read.string(ATTR.grantClientId);
  const revokedAt = read.optionalNumber(ATTR.revokedAt);
  const currentRefreshIssuedAt = read.optionalNumber(ATTR.currentRefreshIssuedAt);
  const grantType = read.optionalString(ATTR.grantType) as TokenOrigin | undefined;
  if (grantType !== undefined && !ORIGINS.includes(grantType))
    throw new CorruptItem(read.key, ATTR.grantType);
  const refreshCount = read.optionalNumber(ATTR.refreshCount);
  const rotations = read.optionalNumber(ATTR.rotations);
  const lastModifiedAt = read.optionalNumber(ATTR.lastModifiedAt);
  const consumed = consumedFromItem(item, read.key);
  return {
    grantId: read.key.slice(GRANT_KEY_PREFIX.length),
    clientId,
    ...(subject !== undefined && { subject }),
    ...(subjectKey !== undefined && { subjectKey }),
    scope: read.string(ATTR.scope),
    issuedAt: read.number(ATTR.issuedAt),
    currentRefreshTokenId: read.string(ATTR.currentRefreshTokenId),
    ...(currentRefreshIssuedAt !== undefined && { currentRefreshIssuedAt }),
    ...(grantType !== undefined && { grantType }),
    ...(refreshCount !== undefined && { refreshCount }),
    ...(rotations !== undefined && { rotations }),
    ...(lastModifiedAt !== undefined && { lastModifiedAt }),
    ...(consumed !== undefined && { consumed }),
    refreshExpiresAt: read.number(ATTR.refreshExpiresAt),
    expiresAt: read.number(ATTR.expiresAt),
    ...(revokedAt !== undefined && { revokedAt }),
  };
}

function consumedFromItem(item: Item, key: string): ConsumedRefreshToken[] | undefined {
  const value = item[ATTR.consumedRefreshTokens];
  if (value === undefined) return undefined;
  const fail = () => {
    throw new CorruptItem(key, ATTR.consumedRefreshTokens);
  };
  if (!Array.isArray(value)) return fail();
  return value.map((entry: unknown) => {
    const e = entry as Record<string, unknown>;
    const numbers = [e.consumedAt, e.issuedAt, e.refreshCount];
    if (typeof e?.id !== 'string' || !numbers.every((n) => typeof n === 'number')) return fail();
    return {
      id: e.id,
      consumedAt: e.consumedAt as number,
      issuedAt: e.issuedAt as number,
      refreshCount: e.refreshCount as number,
    };
  });
}

/** The grant's consumed refresh tokens as the item stores them. */
export function consumedToItem(consumed: readonly ConsumedRefreshToken[]): Item[] {
  return consumed.map((c) => ({
    id: c.id,
    consumedAt: c.consumedAt,
    issuedAt: c.issuedAt,
    refreshCount: c.refreshCount,
  }));
}

/** A grant's item: keyed into the client index and, with a subject, the subject index (schema.ts). */
export function grantToItem(grant: GrantRecord): Item {
  return {
    ...grantKey(grant.grantId),
    [ATTR.clientId]: grant.clientId,
    [ATTR.subject]: grant.subject,
    [ATTR.subjectKey]: grant.subjectKey,
    [ATTR.scope]: grant.scope,
    [ATTR.issuedAt]: grant.issuedAt,
    [ATTR.currentRefreshTokenId]: grant.currentRefreshTokenId,
    [ATTR.currentRefreshIssuedAt]: grant.currentRefreshIssuedAt,
    [ATTR.grantType]: grant.grantType,
    [ATTR.refreshCount]: grant.refreshCount,
    [ATTR.rotations]: grant.rotations,
    [ATTR.lastModifiedAt]: grant.lastModifiedAt,
    [ATTR.consumedRefreshTokens]: grant.consumed && consumedToItem(grant.consumed),
    [ATTR.refreshExpiresAt]: grant.refreshExpiresAt,
    [ATTR.expiresAt]: grant.expiresAt,
    [ATTR.revokedAt]: grant.revokedAt,
  };
}

export function subjectCutoffFromItem(item: Item): SubjectCutoff {
  const read = reader(item);
  if (!read.key.startsWith(SUBJECT_KEY_PREFIX)) throw new CorruptItem(read.key, PARTITION_KEY);
  const subject = read.optionalString(ATTR.subject);
  return {
    subjectKey: read.key.slice(SUBJECT_KEY_PREFIX.length),
    ...(subject !== undefined && { subject }),
    tokensRevokedBefore: read.number(ATTR.tokensRevokedBefore),
    expiresAt: read.number(ATTR.expiresAt),
  };
}

/** A token as reads see it: a revoked token's tombstone is absent. */
export function liveTokenFromItem(item: Item | undefined): TokenRecord | undefined {
  return item && item[ATTR.revokedAt] === undefined ? tokenFromItem(item) : undefined;
}

/** A client as reads see it: a deleted client's tombstone is absent. */
export function liveClientFromItem(item: Item | undefined): Client | undefined {
  // An unconfirmed create is no client yet: its creator was answered 503 (or not at all).
  return item && item[ATTR.deletedAt] === undefined && item[ATTR.createNonce] === undefined
    ? clientFromItem(item)
    : undefined;
}

/** The attributes every revoking write sets besides its instant: who made it and through which route. */
export function markAttributes(mark: RevocationMark): Item {
  return {
    [ATTR.revokedBy]: { type: mark.actor.type, id: mark.actor.id },
    ...(mark.route !== undefined && { [ATTR.revokedRoute]: mark.route }),
  };
}

const ACTOR_TYPES: readonly ActorType[] = ['client', 'bearer', 'iam', 'service'];

/** Who made the revocation an item records, and through which route. */
export function revokerFromItem(item: Item): { actor: Actor; route?: string } {
  const read = reader(item);
  const by = item[ATTR.revokedBy] as { type?: unknown; id?: unknown } | undefined;
  if (
    typeof by !== 'object' ||
    by === null ||
    !ACTOR_TYPES.includes(by.type as ActorType) ||
    typeof by.id !== 'string'
  ) {
    throw new CorruptItem(read.key, ATTR.revokedBy);
  }
  const route = read.optionalString(ATTR.revokedRoute);
  return { actor: { type: by.type as ActorType, id: by.id }, ...(route !== undefined && { route }) };
}

export function sweepToItem(record: SweepRecord, expiresAt: number): Item {
  return {
    ...sweepKey(record.revocationId),
    [ATTR.sweepClientId]: record.clientId,
    [ATTR.sweepGrantId]: record.grantId,
    [ATTR.subject]: record.subject,
    [ATTR.sweepCount]: record.count,
    [ATTR.sweptAt]: record.completedAt,
    [ATTR.expiresAt]: expiresAt,
  };
}

export function sweepFromItem(item: Item): SweepRecord {
  const read = reader(item);
  if (!read.key.startsWith(SWEEP_KEY_PREFIX)) throw new CorruptItem(read.key, PARTITION_KEY);
  const clientId = read.optionalString(ATTR.sweepClientId);
  const grantId = read.optionalString(ATTR.sweepGrantId);
  const subject = read.optionalString(ATTR.subject);
  return {
    revocationId: read.key.slice(SWEEP_KEY_PREFIX.length),
    ...(clientId !== undefined && { clientId }),
    ...(grantId !== undefined && { grantId }),
    ...(subject !== undefined && { subject }),
    count: read.number(ATTR.sweepCount),
    completedAt: read.number(ATTR.sweptAt),
  };
}

export function idempotencyFromItem(item: Item): IdempotencyRecord {
  const read = reader(item);
  if (!read.key.startsWith(IDEMPOTENCY_KEY_PREFIX)) throw new CorruptItem(read.key, PARTITION_KEY);
  return {
    keyHash: read.key.slice(IDEMPOTENCY_KEY_PREFIX.length),
    requestHash: read.string(ATTR.requestHash),
    clientId: read.string(ATTR.createdClientId),
    expiresAt: read.number(ATTR.expiresAt),
  };
}

export function idempotencyToItem(record: IdempotencyRecord): Item {
  return {
    ...idempotencyKey(record.keyHash),
    [ATTR.requestHash]: record.requestHash,
    [ATTR.createdClientId]: record.clientId,
    [ATTR.expiresAt]: record.expiresAt,
  };
}
