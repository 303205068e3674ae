/**
 * The one mapping between table items and domain records. Items are validated on read: an item that
 * does not have the shape the service writes (hand-edited, or from a version that wrote differently) is a
 * `CorruptItem`, never a record with holes in it.
 */
import type { IdempotencyRecord } from '../domain/idempotency.ts';
import {
  type Client,
  GRANT_TYPES,
  type GrantType,
  type TokenKind,
  type TokenOrigin,
  type TokenRecord,
} from '../domain/model.ts';
import { ATTR, CLIENT_KEY_PREFIX, IDEMPOTENCY_KEY_PREFIX, PARTITION_KEY } from '../schema.ts';

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
  return {
    clientId: read.key.slice(CLIENT_KEY_PREFIX.length),
    name: read.string(ATTR.name),
    public: read.boolean(ATTR.public),
    ...(secretHash !== undefined && { secretHash }),
    ...(previousSecretHash !== undefined && { previousSecretHash, previousSecretExpiresAt }),
    grantTypes: grantTypes as GrantType[],
    scopes: read.strings(ATTR.scopes),
    accessTokenTtl: read.number(ATTR.accessTokenTtl),
    refreshTokenTtl: read.number(ATTR.refreshTokenTtl),
    createdAt: read.number(ATTR.createdAt),
    ...(tokensRevokedBefore !== undefined && { tokensRevokedBefore }),
  };
}

export function clientToItem(client: Client): Item {
  return {
    ...clientKey(client.clientId),
    [ATTR.name]: client.name,
    [ATTR.public]: client.public,
    [ATTR.secretHash]: client.secretHash,
    [ATTR.previousSecretHash]: client.previousSecretHash,
    [ATTR.previousSecretExpiresAt]: client.previousSecretExpiresAt,
    [ATTR.grantTypes]: [...client.grantTypes],
    [ATTR.scopes]: [...client.scopes],
    [ATTR.accessTokenTtl]: client.accessTokenTtl,
    [ATTR.refreshTokenTtl]: client.refreshTokenTtl,
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
  const subject = read.optionalString(ATTR.subject);
  const refreshTokenId = read.optionalString(ATTR.refreshTokenId);
  const refreshExpiresAt = read.optionalNumber(ATTR.refreshExpiresAt);
  const revoked = item[ATTR.revoked] === undefined ? undefined : read.boolean(ATTR.revoked);
  return {
    id: read.key,
    kind,
    clientId: read.string(ATTR.clientId),
    scope: read.string(ATTR.scope),
    ...(subject !== undefined && { subject }),
    issuedAt: read.number(ATTR.issuedAt),
    expiresAt: read.number(ATTR.expiresAt),
    grantType,
    ...(refreshTokenId !== undefined && { refreshTokenId }),
    ...(refreshExpiresAt !== undefined && { refreshExpiresAt }),
    refreshCount: read.number(ATTR.refreshCount),
    ...(revoked !== undefined && { revoked }),
    lastModifiedAt: read.number(ATTR.lastModifiedAt),
  };
}

export function tokenToItem(token: TokenRecord): Item {
  return {
    ...tokenKey(token.id),
    [ATTR.kind]: token.kind,
    [ATTR.clientId]: token.clientId,
    [ATTR.scope]: token.scope,
    [ATTR.subject]: token.subject,
    [ATTR.issuedAt]: token.issuedAt,
    [ATTR.expiresAt]: token.expiresAt,
    [ATTR.grantType]: token.grantType,
    [ATTR.refreshTokenId]: token.refreshTokenId,
    [ATTR.refreshExpiresAt]: token.refreshExpiresAt,
    [ATTR.refreshCount]: token.refreshCount,
    [ATTR.revoked]: token.revoked,
    [ATTR.lastModifiedAt]: token.lastModifiedAt,
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
