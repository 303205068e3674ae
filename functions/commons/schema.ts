/**
 * The one definition of the DynamoDB table: key, indexes and every attribute name. The CDK construct,
 * DynamoDB Local (local server and tests) and the store adapter all build from these constants, so the
 * schema cannot drift between them; only `store/items.ts` turns items into records and back.
 *
 * Items:
 * - token:   pk = SHA-256 of the raw token (base64url); never the raw token.
 * - client:  pk = `client#<clientId>`.
 * - grant:   pk = `grant#<grantId>` (its attributes are named apart from the tokens', so no grant item
 *            lands in a token index).
 * - subject: pk = `subject#<subjectKey>`, a subject's cut-off.
 * - idempotency record of `POST /admin/clients`: pk = `idem#<SHA-256 of the Idempotency-Key>`, removed by
 *   TTL 24 hours after the create.
 * - sweep record: pk = `sweep#<id of the revocation swept>`, written by the sweeper when a sweep completes
 *   (the publisher turns it into `sweep.completed`), removed by TTL a day later.
 *
 * Revocations write who made them onto the item they change (`revokedBy`, `revokedRoute`), so the
 * table's stream carries the actor to the publisher. A revoked token and a deleted client are kept as
 * tombstones (`revokedAt`, `deletedAt`) that every read treats as absent and TTL removes.
 */

/** Every attribute name the table uses. */
export const ATTR = {
  /** Partition key of every item (the table has no sort key). */
  pk: 'pk',
  /** Epoch seconds; DynamoDB's TTL deletes on it (late: every read still checks it). */
  expiresAt: 'expiresAt',
  // Tokens
  kind: 'kind',
  clientId: 'clientId',
  scope: 'scope',
  subject: 'subject',
  issuedAt: 'issuedAt',
  grantType: 'grantType',
  grantId: 'grantId',
  subjectKey: 'subjectKey',
  refreshCount: 'refreshCount',
  consumedAt: 'consumedAt',
  lastModifiedAt: 'lastModifiedAt',
  // Grants
  grantClientId: 'grantClientId',
  grantSubject: 'grantSubject',
  grantSubjectKey: 'grantSubjectKey',
  currentRefreshTokenId: 'currentRefreshTokenId',
  refreshExpiresAt: 'refreshExpiresAt',
  /** Grants and tokens: epoch ms of the revocation (a token with it is a tombstone: absent to reads). */
  revokedAt: 'revokedAt',
  /** Grants: `revoked`, or `reuse_detected` when a consumed refresh token came back. */
  revokedReason: 'revokedReason',
  /** Grants: the refresh token (its id) whose revocation or reuse revoked the grant. */
  revokedTokenId: 'revokedTokenId',
  /** Every revoking write: `{type, id}` of who made it. */
  revokedBy: 'revokedBy',
  /** Every revoking write: the route key it came through. */
  revokedRoute: 'revokedRoute',
  /**
   * Grants: epoch ms of the latest revocation of a grant that was revoked already. It leaves the first
   * revocation's mark as it was and asks the sweeper to sweep the grant again (a sweep that was lost).
   */
  sweepRequestedAt: 'sweepRequestedAt',
  // Clients (their id lives in the key only, so client items stay out of the client index)
  name: 'name',
  public: 'public',
  secretHash: 'secretHash',
  previousSecretHash: 'previousSecretHash',
  previousSecretExpiresAt: 'previousSecretExpiresAt',
  /** Clients: while a rotation is unconfirmed, the secret hash current before it (still accepted). */
  unconfirmedPreviousSecretHash: 'unconfirmedPreviousSecretHash',
  /** Clients: the nonce of the rotation written but not yet confirmed by the request that made it. */
  rotationNonce: 'rotationNonce',
  /** Clients: the nonce of a create not yet confirmed; such a client is absent to every read. */
  createNonce: 'createNonce',
  grantTypes: 'grantTypes',
  scopes: 'scopes',
  accessTokenTtl: 'accessTokenTtl',
  refreshTokenTtl: 'refreshTokenTtl',
  createdAt: 'createdAt',
  refreshTokenRotation: 'refreshTokenRotation',
  refreshTokenReuseGraceSeconds: 'refreshTokenReuseGraceSeconds',
  /** Clients and subjects: every token issued at or before it is revoked. */
  tokensRevokedBefore: 'tokensRevokedBefore',
  /** Clients: epoch ms of the deletion (a tombstone: absent to every read, removed by TTL). */
  deletedAt: 'deletedAt',
  // Idempotency records. The created client's id has its own attribute, not `clientId`, so these items
  // stay out of the client index (a sweep of the client's tokens must not delete them).
  requestHash: 'requestHash',
  createdClientId: 'createdClientId',
  // Sweep records: named apart from the tokens' attributes, so they stay out of every index.
  sweepClientId: 'sweepClientId',
  sweepGrantId: 'sweepGrantId',
  sweepCount: 'sweepCount',
  sweptAt: 'sweptAt',
} as const;

/** Partition key of every item (the table has no sort key). */
export const PARTITION_KEY = ATTR.pk;

/** Epoch-seconds attribute that DynamoDB's TTL deletes on (late: every read still checks it). */
export const TTL_ATTRIBUTE = ATTR.expiresAt;

/** Prefix of client item keys; `#` never occurs in a base64url token hash, so keys cannot collide. */
export const CLIENT_KEY_PREFIX = 'client#';
export const GRANT_KEY_PREFIX = 'grant#';
export const SUBJECT_KEY_PREFIX = 'subject#';

/** Prefix of sweep record keys. */
export const SWEEP_KEY_PREFIX = 'sweep#';

/** Prefix of idempotency record keys (`POST /admin/clients` with an `Idempotency-Key`). */
export const IDEMPOTENCY_KEY_PREFIX = 'idem#';

export interface IndexSchema {
  readonly indexName: string;
  readonly partitionKey: string;
  /** Attributes projected besides the keys (none: keys only). */
  readonly projected: readonly string[];
}

/** Grant id -> every token of the grant, across rotations (the revocation cascade). Keys only. */
export const GRANT_INDEX: IndexSchema = { indexName: 'byGrant', partitionKey: ATTR.grantId, projected: [] };

/**
 * Client id -> every token of that client. `issuedAt` is projected so a cut-off's sweep deletes only the
 * tokens issued at or before it, never one the client got right after.
 */
export const CLIENT_INDEX: IndexSchema = {
  indexName: 'byClient',
  partitionKey: ATTR.clientId,
  projected: [ATTR.issuedAt],
};

/** Subject key -> every token that carries a subject (sparse), for a subject's cut-off. */
export const SUBJECT_INDEX: IndexSchema = {
  indexName: 'bySubject',
  partitionKey: ATTR.subjectKey,
  projected: [ATTR.issuedAt],
};

export const INDEXES: readonly IndexSchema[] = [GRANT_INDEX, CLIENT_INDEX, SUBJECT_INDEX];

/**
 * CreateTable input for DynamoDB Local (on AWS the CDK construct builds the same table from the
 * constants above). Plain data, so this module imports nothing from the AWS SDK.
 */
export function createTableInput(tableName: string) {
  const attributes = [PARTITION_KEY, ...INDEXES.map((index) => index.partitionKey)];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    // The sweeper and the publisher read both images: the old one tells a new revocation from a repeat.
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' as const },
    AttributeDefinitions: attributes.map((name) => ({ AttributeName: name, AttributeType: 'S' as const })),
    KeySchema: [{ AttributeName: PARTITION_KEY, KeyType: 'HASH' as const }],
    GlobalSecondaryIndexes: INDEXES.map((index) => ({
      IndexName: index.indexName,
      KeySchema: [{ AttributeName: index.partitionKey, KeyType: 'HASH' as const }],
      Projection:
        index.projected.length === 0
          ? { ProjectionType: 'KEYS_ONLY' as const }
          : { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...index.projected] },
    })),
  };
}
