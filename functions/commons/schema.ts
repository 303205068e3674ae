/**
 * The one definition of the DynamoDB table: key, indexes and every attribute name. The CDK construct,
 * DynamoDB Local (local server and tests) and the store adapter all build from these constants, so the
 * schema cannot drift between them; only `store/items.ts` turns items into records and back.
 *
 * Items:
 * - token:  pk = SHA-256 of the raw token (base64url); never the raw token.
 * - client: pk = `client#<clientId>`.
 * - idempotency record of `POST /admin/clients`: pk = `idem#<SHA-256 of the Idempotency-Key>`, removed by
 *   TTL 24 hours after the create.
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
  refreshTokenId: 'refreshTokenId',
  refreshExpiresAt: 'refreshExpiresAt',
  refreshCount: 'refreshCount',
  revoked: 'revoked',
  lastModifiedAt: 'lastModifiedAt',
  // Clients (their id lives in the key only, so client items stay out of the client index)
  name: 'name',
  public: 'public',
  secretHash: 'secretHash',
  previousSecretHash: 'previousSecretHash',
  previousSecretExpiresAt: 'previousSecretExpiresAt',
  grantTypes: 'grantTypes',
  scopes: 'scopes',
  accessTokenTtl: 'accessTokenTtl',
  refreshTokenTtl: 'refreshTokenTtl',
  createdAt: 'createdAt',
  tokensRevokedBefore: 'tokensRevokedBefore',
  // Idempotency records. The created client's id has its own attribute, not `clientId`, so these items
  // stay out of the client index (a sweep of the client's tokens must not delete them).
  requestHash: 'requestHash',
  createdClientId: 'createdClientId',
} as const;

/** Partition key of every item (the table has no sort key). */
export const PARTITION_KEY = ATTR.pk;

/** Epoch-seconds attribute that DynamoDB's TTL deletes on (late: every read still checks it). */
export const TTL_ATTRIBUTE = ATTR.expiresAt;

/** Prefix of client item keys; `#` never occurs in a base64url token hash, so keys cannot collide. */
export const CLIENT_KEY_PREFIX = 'client#';

/** Prefix of idempotency record keys (`POST /admin/clients` with an `Idempotency-Key`). */
export const IDEMPOTENCY_KEY_PREFIX = 'idem#';

export interface IndexSchema {
  readonly indexName: string;
  readonly partitionKey: string;
}

/** Refresh token id -> access tokens issued with it (the revocation cascade). Keys only. */
export const REFRESH_TOKEN_INDEX: IndexSchema = {
  indexName: 'byRefreshToken',
  partitionKey: ATTR.refreshTokenId,
};

/** Client id -> every token of that client (revoke everything of a client). Keys only. */
export const CLIENT_INDEX: IndexSchema = { indexName: 'byClient', partitionKey: ATTR.clientId };

export const INDEXES: readonly IndexSchema[] = [REFRESH_TOKEN_INDEX, CLIENT_INDEX];

/**
 * CreateTable input for DynamoDB Local (on AWS the CDK construct builds the same table from the
 * constants above). Plain data, so this module imports nothing from the AWS SDK.
 */
export function createTableInput(tableName: string) {
  const attributes = [PARTITION_KEY, ...INDEXES.map((index) => index.partitionKey)];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: attributes.map((name) => ({ AttributeName: name, AttributeType: 'S' as const })),
    KeySchema: [{ AttributeName: PARTITION_KEY, KeyType: 'HASH' as const }],
    GlobalSecondaryIndexes: INDEXES.map((index) => ({
      IndexName: index.indexName,
      KeySchema: [{ AttributeName: index.partitionKey, KeyType: 'HASH' as const }],
      Projection: { ProjectionType: 'KEYS_ONLY' as const },
    })),
  };
}
