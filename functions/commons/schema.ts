/**
 * The one definition of the DynamoDB table: key, indexes and every attribute name. The CDK construct,
 * DynamoDB Local (local server and tests) and the store adapter all build from these constants, so the
 * schema cannot drift between them; only `store/items.ts` turns items into records and back.
 *
 * Items:
 * - token:   pk = SHA-256 of the raw token (base64url); never the raw token. Access tokens, and refresh
 *            tokens of the old layout (a grant now holds its refresh token; see grant).
 * - client:  pk = `client#<clientId>`.
 * - grant:   pk = `grant#<grantId>`, holding its current refresh token and the last few consumed ones.
 * - subject: pk = `subject#<subjectKey>`, a subject's cut-off. [v3] The key is the keyed hash of the
 *   subject; while tokens minted before version 3 (which name the plain hash) are stored, a cut-off is also
 *   written under the plain hash, marked `mirrorOf` (see `revokeSubjectTokens`).
 * - idempotency record of `POST /admin/clients`: pk = `idem#<SHA-256 of the Idempotency-Key>`, removed by
 *   TTL 24 hours after the create.
 * - sweep record: pk = `sweep#<id of the revocation swept>`, written by the sweeper when a sweep completes
 *   (the publisher turns it into `sweep.completed`), removed by TTL a day later.
 * - [v3] trusted issuer: pk = `issuer#<issuerId>` (the id is derived from the `iss` string, so one issuer
 *   has one item and a token's `iss` names its key); a deleted issuer is a tombstone until every token it
 *   could have signed has expired.
 * - [v3] revocations of a trusted issuer's tokens, each one item written once, removed by TTL when nothing
 *   it covers can be valid: `itoken#<issuerId>#<hash of the token id>`, `ifamily#<issuerId>#<hash of the
 *   family>`, and the cut-offs `iclient#<issuerId>#<hash of the client id>` and
 *   `isubject#<issuerId>#<hash of the subject>` (see store/trusted-items.ts).
 *
 * Sparse indexes: an item lands in an index only if it has the index's key attribute, and every index
 * write is a write unit on top of the item's own. So a token is keyed into one index at most: a grant's
 * tokens into the grant index only (`grantId`; their client and subject key are kept under names no index
 * uses), a token without a grant into the client index only (`clientId`). Grant items are keyed into the
 * client index and, with a subject, the subject index: client and subject sweeps reach a grant's tokens
 * through their grants. Items of the previous layout (every token in all three indexes, grants in none)
 * stay where they are and are swept the same way: the sweeps tell tokens from grants by their key.
 * - [v3] A client item carries `registry = "client"`, which puts it in the sparse registry index that
 *   `GET /admin/clients` pages through (see REGISTRY_INDEX).
 *
 * Revocations write who made them onto the item they change (`revokedBy`, `revokedRoute`), so the
 * table's stream carries the actor to the publisher. A revoked token and a deleted client are kept as
 * tombstones (`revokedAt`, `deletedAt`) that every read treats as absent and TTL removes.
 */

// ---------------------------------------------------------------------------------------------------
// [v3] Shared Signals (SSF transmitter). Its own block: the items below are named apart from every
// token attribute (no `clientId`, `grantId`, `subjectKey`), so none lands in a token index and no sweep
// can delete one.
// - stream:  pk = `ssfstream#<streamId>`, one receiver's stream (configuration, status, excluded subjects).
// - SET:     pk = `ssfset#<jti>`, one signed Security Event Token waiting for its stream's receiver
//            (pushed and not yet answered 202, or not yet acknowledged by a poll); TTL 7 days, a dead
//            letter's 30 days.
// Both carry the queue index's keys: a stream's SETs in delivery order, the dead letters by stream, and
// every stream (for the fan-out) by receiver.
// ---------------------------------------------------------------------------------------------------

/** The SSF items' attribute names. */
export const SSF_ATTR = {
  /**
   * Queue partition: `streams`, `set#<streamId>` (pending) or `dead` (dead letters). The registry index's
   * partition key attribute (`registry`), so the queue needs no index of its own: CloudFormation adds one
   * index per update, and a version 2 table gains only the registry index on its way to version 3.
   */
  ssfQueue: 'registry',
  /** Queue order (the registry index's sort key, `registryOrder`): `<receiver>#<streamId>` for streams, `<time>#<jti>` / `<streamId>#<time>#<jti>` for SETs. */
  ssfOrder: 'registryOrder',
  ssfStreamId: 'ssfStreamId',
  /** Streams: the receiver (client id) that owns it. */
  ssfReceiver: 'ssfReceiver',
  /** Streams: the receiver-supplied configuration as JSON text (events_requested, delivery). */
  ssfConfig: 'ssfConfig',
  ssfStatus: 'ssfStatus',
  ssfReason: 'ssfReason',
  /** Streams: the subjects `remove_subject` excluded, each in its canonical text form. */
  ssfExcluded: 'ssfExcluded',
  /** Streams: bumped when the stream is disabled; a SET of an older generation is dropped, not delivered. */
  ssfGeneration: 'ssfGeneration',
  /** Streams: optimistic version of every update. */
  ssfVersion: 'ssfVersion',
  /** Streams: epoch ms until which one deliverer holds the stream (per-stream ordering). */
  ssfLeaseUntil: 'ssfLeaseUntil',
  /** Streams: epoch ms of the next delivery attempt already scheduled (so retries do not multiply). */
  ssfWakeAt: 'ssfWakeAt',
  /** SETs: epoch ms of the revocation (the delivery order), kept for a dead letter's return to its queue. */
  ssfTime: 'ssfTime',
  /** SETs: the compact JWS. */
  ssfJwt: 'ssfJwt',
  /** SETs: the revocation event's id (the SET's `txn`), absent for verification events. */
  ssfTxn: 'ssfTxn',
  ssfAttempts: 'ssfAttempts',
  ssfFirstAttemptAt: 'ssfFirstAttemptAt',
  ssfNextAttemptAt: 'ssfNextAttemptAt',
  ssfLastError: 'ssfLastError',
  ssfDeadAt: 'ssfDeadAt',
  ssfCreatedAt: 'ssfCreatedAt',
} as const;

export const SSF_STREAM_KEY_PREFIX = 'ssfstream#';
export const SSF_SET_KEY_PREFIX = 'ssfset#';
/** [v3] SSF receiver: a SET a trusted issuer pushed, by issuer and the SHA-256 of its `jti` (replays). */
export const SSF_RECEIVED_KEY_PREFIX = 'ssfrcv#';

/** Every attribute name the table uses. */
export const ATTR = {
  /** Partition key of every item (the table has no sort key). */
  pk: 'pk',
  /** Epoch seconds; DynamoDB's TTL deletes on it (late: every read still checks it). */
  expiresAt: 'expiresAt',
  // Tokens
  kind: 'kind',
  /** Key of the client index: tokens without a grant, and grants (tokens of the old layout: all). */
  clientId: 'clientId',
  scope: 'scope',
  subject: 'subject',
  issuedAt: 'issuedAt',
  grantType: 'grantType',
  /** Key of the grant index: a grant's tokens. */
  grantId: 'grantId',
  /** Key of the subject index: grants with a subject (tokens of the old layout with a subject). */
  subjectKey: 'subjectKey',
  /** A grant token's client, or any token's subject key: named apart from the index keys. */
  tokenClientId: 'tokenClientId',
  tokenSubjectKey: 'tokenSubjectKey',
  refreshCount: 'refreshCount',
  /** Refresh token items of the old layout: when rotation consumed them. */
  consumedAt: 'consumedAt',
  lastModifiedAt: 'lastModifiedAt',
  // Grants (also `clientId`, `subject`, `subjectKey`, `scope`, `issuedAt`, `grantType`, `refreshCount`)
  currentRefreshTokenId: 'currentRefreshTokenId',
  currentRefreshIssuedAt: 'currentRefreshIssuedAt',
  rotations: 'rotations',
  /** Grants: the refresh tokens consumed most recently, a list of `{id, consumedAt, issuedAt, refreshCount}`. */
  consumedRefreshTokens: 'consumedRefreshTokens',
  refreshExpiresAt: 'refreshExpiresAt',
  /** Grants of the old layout: their client and subject, named apart so they stayed out of every index. */
  grantClientId: 'grantClientId',
  grantSubject: 'grantSubject',
  grantSubjectKey: 'grantSubjectKey',
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
   * Grants and deleted clients: epoch ms of the latest revocation (deletion) of one revoked (deleted)
   * already. It leaves the first mark as it was and asks the sweeper to sweep again (a sweep that was lost).
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
  ...SSF_ATTR,
  // [v3] Trusted issuers and the revocations of their tokens. Named apart from the tokens' attributes, so
  // none of these items lands in a token index (a client's or subject's sweep must never delete them).
  /** Every trusted item: the issuer's `iss` string exactly (events carry it). */
  issuer: 'issuer',
  /** The registry index partition a listed item is in: `client` for live clients, `issuer` for registered issuers. */
  registry: 'registry',
  /** The registry index's sort key: a client's or an issuer's own key (SSF items: their queue order). */
  registryOrder: 'registryOrder',
  jwksUri: 'jwksUri',
  /** Issuers: the JWK Set given at registration, as its JSON text. */
  jwks: 'jwks',
  audiences: 'audiences',
  clientIdClaims: 'clientIdClaims',
  subjectClaim: 'subjectClaim',
  familyClaim: 'familyClaim',
  familyLifetimeSeconds: 'familyLifetimeSeconds',
  algorithms: 'algorithms',
  maxTokenLifetimeSeconds: 'maxTokenLifetimeSeconds',
  acceptIdTokens: 'acceptIdTokens',
  /** Issuers: its Shared Signals settings as JSON text (`{"configurationUrl"}` or pasted metadata). */
  ssf: 'ssf',
  /** Token revocation records: the trusted token's id (its `jti`, or the hash of its signing input). */
  trustedTokenId: 'trustedTokenId',
  /** Family revocation records: the family claim's value. */
  trustedFamily: 'trustedFamily',
  /** Trusted revocation records and client cut-offs: the token's client, when it names one. */
  trustedClientId: 'trustedClientId',
  /** Trusted revocation records and subject cut-offs: the token's subject, when it has one. */
  trustedSubject: 'trustedSubject',
  /** Idempotency records of issuer registrations: the issuer created. */
  createdIssuerId: 'createdIssuerId',
  /**
   * [v3] Subject cut-offs under the plain-hash key of tokens minted before subject keys were keyed: the
   * keyed key of the cut-off this item mirrors. A mirror is no revocation of its own (no event, no sweep).
   */
  mirrorOf: 'mirrorOf',
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

/** [v3] Prefixes of a trusted issuer's item and of the revocations of its tokens (see the list above). */
export const ISSUER_KEY_PREFIX = 'issuer#';
export const TRUSTED_TOKEN_KEY_PREFIX = 'itoken#';
export const TRUSTED_FAMILY_KEY_PREFIX = 'ifamily#';
export const TRUSTED_CLIENT_KEY_PREFIX = 'iclient#';
export const TRUSTED_SUBJECT_KEY_PREFIX = 'isubject#';
/** The `registry` value of a live issuer item: the one partition of the registry index. */
export const ISSUER_REGISTRY = 'issuer';

export interface IndexSchema {
  readonly indexName: string;
  readonly partitionKey: string;
  /** The index's sort key (a string attribute), when it orders its partitions. */
  readonly sortKey?: string;
  /** Attributes projected besides the keys (none: keys only). */
  readonly projected: readonly string[];
}

/** Grant id -> every token of the grant, across rotations (the revocation cascade). Keys only. */
export const GRANT_INDEX: IndexSchema = { indexName: 'byGrant', partitionKey: ATTR.grantId, projected: [] };

/**
 * Client id -> the client's tokens without a grant, and its grants (whose tokens the grant index lists).
 * `issuedAt` is projected so a cut-off's sweep deletes only what was issued (or started) at or before it,
 * never a token the client got right after.
 */
export const CLIENT_INDEX: IndexSchema = {
  indexName: 'byClient',
  partitionKey: ATTR.clientId,
  projected: [ATTR.issuedAt],
};

/** Subject key -> the grants that carry the subject (sparse), for a subject's cut-off. */
export const SUBJECT_INDEX: IndexSchema = {
  indexName: 'bySubject',
  partitionKey: ATTR.subjectKey,
  projected: [ATTR.issuedAt],
};

/**
 * [v3] The registry: `registry` value -> every item listed under it: `client` for every live client,
 * `issuer` for every registered trusted issuer. Sparse (only listed items carry `registry`; a tombstone
 * does not), so `GET /admin/clients` and `GET /admin/issuers` Query one partition and their cost grows with
 * what they list, never with the tokens. Keys only: a page's items are read whole, consistently, by key
 * (the index may lag a create or a delete by a moment; the items decide). One index for every kind of
 * listed item, because CloudFormation adds at most one index to a table per deployment.
 */
export const REGISTRY_INDEX: IndexSchema = {
  indexName: 'byRegistry',
  partitionKey: ATTR.registry,
  // An item is in the index only with both keys: clients and issuers carry their own key as their order.
  sortKey: ATTR.registryOrder,
  projected: [],
};

/**
 * [v3] The SSF transmitter's queue: the registry index, under partitions of its own (`streams`,
 * `set#<streamId>`, `dead`) that no client or issuer is listed under.
 */
export const SSF_QUEUE_INDEX: IndexSchema = REGISTRY_INDEX;

/** The `registry` value of a client item. */
export const CLIENT_REGISTRY = 'client';

// [v3] One index is new since v2 (the registry, which the SSF queue shares): CloudFormation adds one index
// per update, so a v2 stack reaches v3 in one deployment.
export const INDEXES: readonly IndexSchema[] = [GRANT_INDEX, CLIENT_INDEX, SUBJECT_INDEX, REGISTRY_INDEX];

/** The indexes an item is keyed into (an index write each time it is written, on top of its own). */
export function indexesOf(item: Readonly<Record<string, unknown>>): IndexSchema[] {
  return INDEXES.filter(
    (index) =>
      item[index.partitionKey] !== undefined &&
      (index.sortKey === undefined || item[index.sortKey] !== undefined),
  );
}

/**
 * CreateTable input for DynamoDB Local (on AWS the CDK construct builds the same table from the
 * constants above). Plain data, so this module imports nothing from the AWS SDK.
 */
export function createTableInput(tableName: string) {
  const attributes = [
    PARTITION_KEY,
    ...INDEXES.flatMap((index) => [index.partitionKey, ...(index.sortKey ? [index.sortKey] : [])]),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    // The sweeper and the publisher read both images: the old one tells a new revocation from a repeat.
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' as const },
    AttributeDefinitions: attributes.map((name) => ({ AttributeName: name, AttributeType: 'S' as const })),
    KeySchema: [{ AttributeName: PARTITION_KEY, KeyType: 'HASH' as const }],
    GlobalSecondaryIndexes: INDEXES.map((index) => ({
      IndexName: index.indexName,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
        ...(index.sortKey ? [{ AttributeName: index.sortKey, KeyType: 'RANGE' as const }] : []),
      ],
      Projection:
        index.projected.length === 0
          ? { ProjectionType: 'KEYS_ONLY' as const }
          : { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...index.projected] },
    })),
  };
}
