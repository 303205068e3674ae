import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { InvalidInput, StoreUnavailable } from '../domain/errors.ts';
import type { RevocationMark, SweepRecord } from '../domain/events.ts';
import type { IdempotencyRecord } from '../domain/idempotency.ts';
import type {
  Client,
  GrantRecord,
  GrantRevocation,
  PendingCreate,
  RefreshWrite,
  RotationOutcome,
  SecretRotation,
  Store,
  SubjectCutoff,
  TokenRecord,
  TokenRefs,
  TokenState,
} from '../domain/model.ts';
import {
  ATTR,
  CLIENT_INDEX,
  GRANT_INDEX,
  type IndexSchema,
  PARTITION_KEY,
  SUBJECT_INDEX,
} from '../schema.ts';
import { DEADLINES } from './client.ts';
import {
  clientKey,
  clientToItem,
  grantFromItem,
  grantKey,
  grantToItem,
  type Item,
  idempotencyFromItem,
  idempotencyKey,
  idempotencyToItem,
  liveClientFromItem,
  liveTokenFromItem,
  markAttributes,
  subjectCutoffFromItem,
  subjectKey,
  sweepToItem,
  tokenFromItem,
  tokenKey,
  tokenToItem,
} from './items.ts';

export interface DynamoStoreOptions {
  /** The client to send through (built by `createDynamoClient`, possibly wrapped by a tracer or a test). */
  client: DynamoDBClient;
  tableName: string;
  /** Items per index query page; default: DynamoDB's own 1 MB pages. Small values prove paging in tests. */
  indexPageSize?: number;
  /** Hard deadline of one call, retries included. */
  callDeadlineMs?: number;
}

/** Conditions on the item a command targets. */
const ITEM_IS_NEW = {
  ConditionExpression: 'attribute_not_exists(#pk)',
  ExpressionAttributeNames: { '#pk': PARTITION_KEY },
};
/** A client that exists and is not a deleted client's tombstone. */
const CLIENT_LIVE = 'attribute_exists(#pk) AND attribute_not_exists(#deleted)';
const CLIENT_LIVE_NAMES = { '#pk': PARTITION_KEY, '#deleted': ATTR.deletedAt };
const CLIENT_EXISTS = { ConditionExpression: CLIENT_LIVE, ExpressionAttributeNames: CLIENT_LIVE_NAMES };
/** How long a sweep's record stays for the stream (TTL); only its INSERT matters. */
const SWEEP_RECORD_SECONDS = 24 * 3600;
/** Concurrent BatchWriteItem calls of one sweep: DynamoDB answers each in a few ms, so a sweep is latency-bound. */
const SWEEP_CONCURRENCY = 8;

/** Error names that mean "DynamoDB is unavailable or throttling": the caller should retry later. */
const UNAVAILABLE = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionConflictException',
  'TimeoutError',
  'AbortError',
]);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, $metadata } = error as { code?: string; $metadata?: { httpStatusCode?: number } };
  if (UNAVAILABLE.has(error.name) || (code !== undefined && NETWORK_CODES.has(code))) return true;
  if (($metadata?.httpStatusCode ?? 0) >= 500) return true;
  // A transaction cancelled only by throttling or conflicts is a retry-later, not a failed condition.
  if (error instanceof TransactionCanceledException) {
    const reasons = (error.CancellationReasons ?? []).map((r) => r.Code).filter((c) => c && c !== 'None');
    return reasons.length > 0 && reasons.every((c) => c === 'ThrottlingError' || c === 'TransactionConflict');
  }
  return false;
}

/**
 * DynamoDB's refusals of input it cannot hold (an item over 400 KB, a key over its size limit): the
 * caller's input was too large, which is a 400, not a fault. Other ValidationExceptions are bugs of ours.
 */
const TOO_LARGE = /Item size has exceeded|Size of hashkey has exceeded|Size of rangekey has exceeded/;
const tooLarge = (error: unknown) =>
  error instanceof Error && error.name === 'ValidationException' && TOO_LARGE.test(error.message);

const conditionFailed = (error: unknown) =>
  error instanceof ConditionalCheckFailedException ||
  (error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed'));

const BATCH_WRITE_LIMIT = 25;
const MAX_BATCH_ATTEMPTS = 8;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Options of one SDK call: its hard deadline. */
type SendOptions = { abortSignal: AbortSignal };

/** The DynamoDB adapter of the store port. Create one per process (module scope in a Lambda). */
export class DynamoStore implements Store {
  readonly tableName: string;
  private readonly doc: DynamoDBDocumentClient;
  private readonly indexPageSize: number | undefined;
  private readonly callDeadlineMs: number;

  constructor(options: DynamoStoreOptions) {
    this.tableName = options.tableName;
    this.indexPageSize = options.indexPageSize;
    this.callDeadlineMs = options.callDeadlineMs ?? DEADLINES.callMs;
    this.doc = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  /**
   * Runs one DynamoDB call under its hard deadline, turning unavailability into `StoreUnavailable` and
   * input DynamoDB cannot hold into `InvalidInput`.
   */
  private async call<T>(send: (options: SendOptions) => Promise<T>): Promise<T> {
    try {
      return await send({ abortSignal: AbortSignal.timeout(this.callDeadlineMs) });
    } catch (error) {
      if (isUnavailable(error)) throw new StoreUnavailable(error);
      if (tooLarge(error)) throw new InvalidInput('request', 'is too large to store');
      throw error;
    }
  }

  /** Like call(), but a failed condition is the outcome `false`. */
  private async conditional(send: (options: SendOptions) => Promise<unknown>): Promise<boolean> {
    try {
      await this.call(send);
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  }

  async getClient(clientId: string): Promise<Client | undefined> {
    const { Item } = await this.call((o) =>
      this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: clientKey(clientId), ConsistentRead: true }),
        o,
      ),
    );
    return liveClientFromItem(Item);
  }

  createClient(client: Client, pending?: PendingCreate): Promise<boolean> {
    const item = clientToItem(client);
    return this.putNew(
      pending ? { ...item, [ATTR.createNonce]: pending.nonce, [ATTR.expiresAt]: pending.expiresAt } : item,
      ATTR.createdAt,
    );
  }

  /** Conditional on the create's own nonce, so only the request that wrote it can confirm it. */
  confirmClient(clientId: string, nonce: string): Promise<boolean> {
    return this.conditional((o) =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: clientKey(clientId),
          UpdateExpression: 'REMOVE #nonce, #exp',
          ConditionExpression: '#nonce = :nonce',
          ExpressionAttributeNames: { '#nonce': ATTR.createNonce, '#exp': ATTR.expiresAt },
          ExpressionAttributeValues: { ':nonce': nonce },
        }),
        o,
      ),
    );
  }

  /**
   * Puts an item under a fresh random key, conditional on the key being free. The SDK retries an attempt
   * whose answer was lost (a request timeout), and the retry then fails its own condition though the first
   * attempt wrote the item; so a failed condition is ours when the item found carries what we wrote
   * (`fingerprint`: an attribute only this write set to this value). False only for a real collision.
   */
  private async putNew(item: Item, fingerprint: string): Promise<boolean> {
    try {
      await this.call((o) =>
        this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: item,
            ...ITEM_IS_NEW,
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
          o,
        ),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const found = error.Item?.[fingerprint];
      const mine = item[fingerprint];
      return found?.N !== undefined && found.N === String(mine);
    }
  }

  /**
   * One transaction: the idempotency record, if its key is free (absent or expired), and the client.
   * A racing transaction on the same key cancels this one with a conflict rather than a failed condition;
   * both mean "the key is taken", which the caller resolves by reading the record.
   */
  async createClientOnce(client: Client, record: IdempotencyRecord, nowSeconds: number): Promise<boolean> {
    try {
      await this.call((o) =>
        this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.tableName,
                  Item: idempotencyToItem(record),
                  ConditionExpression: 'attribute_not_exists(#pk) OR #exp <= :now',
                  ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#exp': ATTR.expiresAt },
                  ExpressionAttributeValues: { ':now': nowSeconds },
                },
              },
              { Put: { TableName: this.tableName, Item: clientToItem(client), ...ITEM_IS_NEW } },
            ],
          }),
          o,
        ),
      );
      return true;
    } catch (error) {
      const cause = error instanceof StoreUnavailable ? error.cause : error;
      const taken =
        cause instanceof TransactionCanceledException &&
        (cause.CancellationReasons ?? []).some(
          (r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict',
        );
      if (taken) return false;
      throw error;
    }
  }

  async getIdempotencyRecord(keyHash: string): Promise<IdempotencyRecord | undefined> {
    const { Item } = await this.call((o) =>
      this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: idempotencyKey(keyHash), ConsistentRead: true }),
        o,
      ),
    );
    return Item && idempotencyFromItem(Item);
  }

  /**
   * Replaces the client with a tombstone (no secret, nothing a read would take for a client) recording who
   * deleted it: a DeleteItem could not carry the actor to the stream. TTL removes it at once.
   */
  deleteClient(clientId: string, mark: RevocationMark): Promise<boolean> {
    return this.conditional((o) =>
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...clientKey(clientId),
            [ATTR.deletedAt]: mark.at,
            ...markAttributes(mark),
            [ATTR.expiresAt]: Math.floor(mark.at / 1000),
          },
          ...CLIENT_EXISTS,
        }),
        o,
      ),
    );
  }

  /**
   * One conditional UpdateItem: the client exists and is confidential (has a secret). The old hash is
   * copied server-side (`SET previous = current`), so no read comes first and two concurrent rotations
   * cannot lose a secret between them. A failed condition returns the item as it was, which tells a
   * missing client from a public one without another read.
   */
  async rotateClientSecret(clientId: string, rotation: SecretRotation): Promise<RotationOutcome> {
    const pending = rotation.nonce !== undefined;
    const keep = !pending && rotation.previousSecretExpiresAt !== undefined;
    // Unconfirmed: the hash current before the first unconfirmed rotation is kept (if_not_exists), so a
    // chain of rotations all answered 503 still leaves the caller's own secret working.
    const update = pending
      ? 'SET #before = if_not_exists(#before, #hash), #hash = :hash, #nonce = :nonce'
      : keep
        ? 'SET #prev = #hash, #prevExp = :prevExp, #hash = :hash REMOVE #before, #nonce'
        : 'SET #hash = :hash REMOVE #prev, #prevExp, #before, #nonce';
    try {
      await this.call((o) =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: clientKey(clientId),
            UpdateExpression: update,
            ConditionExpression: `${CLIENT_LIVE} AND #public = :false AND attribute_exists(#hash)`,
            ExpressionAttributeNames: {
              ...CLIENT_LIVE_NAMES,
              '#public': ATTR.public,
              '#hash': ATTR.secretHash,
              '#before': ATTR.unconfirmedPreviousSecretHash,
              '#nonce': ATTR.rotationNonce,
              ...(!pending && { '#prev': ATTR.previousSecretHash, '#prevExp': ATTR.previousSecretExpiresAt }),
            },
            ExpressionAttributeValues: {
              ':false': false,
              ':hash': rotation.secretHash,
              ...(pending && { ':nonce': rotation.nonce }),
              ...(keep && { ':prevExp': rotation.previousSecretExpiresAt }),
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
          o,
        ),
      );
      return 'rotated';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        return error.Item && error.Item[ATTR.deletedAt] === undefined ? 'public' : 'missing';
      }
      throw error;
    }
  }

  /**
   * The second write of a rotation: conditional on the rotation's own nonce, so it confirms nothing but
   * the rotation this request wrote (a later rotation replaced the nonce: this one lost the race).
   */
  confirmSecretRotation(clientId: string, nonce: string, previousSecretExpiresAt?: number): Promise<boolean> {
    const keep = previousSecretExpiresAt !== undefined;
    return this.conditional((o) =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: clientKey(clientId),
          UpdateExpression: keep
            ? 'SET #prev = #before, #prevExp = :prevExp REMOVE #before, #nonce'
            : 'REMOVE #prev, #prevExp, #before, #nonce',
          ConditionExpression: `${CLIENT_LIVE} AND #nonce = :nonce AND attribute_exists(#before)`,
          ExpressionAttributeNames: {
            ...CLIENT_LIVE_NAMES,
            '#prev': ATTR.previousSecretHash,
            '#prevExp': ATTR.previousSecretExpiresAt,
            '#before': ATTR.unconfirmedPreviousSecretHash,
            '#nonce': ATTR.rotationNonce,
          },
          ExpressionAttributeValues: {
            ':nonce': nonce,
            ...(keep && { ':prevExp': previousSecretExpiresAt }),
          },
        }),
        o,
      ),
    );
  }

  revokeClientTokensBefore(clientId: string, mark: RevocationMark): Promise<boolean> {
    const who = markAttributes(mark);
    return this.conditional((o) =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: clientKey(clientId),
          UpdateExpression: `SET #before = :at, ${setClause(who)}`,
          ConditionExpression: CLIENT_LIVE,
          ExpressionAttributeNames: {
            ...CLIENT_LIVE_NAMES,
            '#before': ATTR.tokensRevokedBefore,
            ...setNames(who),
          },
          ExpressionAttributeValues: { ':at': mark.at, ...setValues(who) },
        }),
        o,
      ),
    );
  }

  /** One token by id (tests and tools; the service decides activity through readTokenState). */
  async getToken(id: string): Promise<TokenRecord | undefined> {
    const { Item } = await this.call((o) =>
      this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: tokenKey(id), ConsistentRead: true }),
        o,
      ),
    );
    return liveTokenFromItem(Item);
  }

  async readTokenState(tokenId: string, refs: TokenRefs): Promise<TokenState> {
    const keys = [
      tokenKey(tokenId),
      clientKey(refs.clientId),
      ...(refs.grantId === undefined ? [] : [grantKey(refs.grantId)]),
      ...(refs.subjectKey === undefined ? [] : [subjectKey(refs.subjectKey)]),
    ];
    let pending: Item[] = keys;
    const found = new Map<string, Item>();
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= MAX_BATCH_ATTEMPTS) throw new StoreUnavailable();
      if (attempt > 0) await sleep(backoff(attempt));
      const keysNow = pending;
      const result = await this.call((o) =>
        this.doc.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: keysNow, ConsistentRead: true } },
          }),
          o,
        ),
      );
      for (const item of result.Responses?.[this.tableName] ?? [])
        found.set(String(item[PARTITION_KEY]), item);
      pending = result.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
    }
    const at = (key: Item) => found.get(String(key[PARTITION_KEY]));
    const token = at(tokenKey(tokenId));
    const client = at(clientKey(refs.clientId));
    const grant = refs.grantId === undefined ? undefined : at(grantKey(refs.grantId));
    const cutoff = refs.subjectKey === undefined ? undefined : at(subjectKey(refs.subjectKey));
    return {
      token: liveTokenFromItem(token),
      client: liveClientFromItem(client),
      grant: grant && grantFromItem(grant),
      subjectCutoff: cutoff && subjectCutoffFromItem(cutoff),
    };
  }

  /**
   * A plain conditional put, no transaction: whether the client still exists is decided when the token
   * is used (the activity rule reads the client with it), so a token minted for a client deleted a moment
   * before is born inactive, at half the write units and one round trip.
   */
  putAccessToken(token: TokenRecord): Promise<boolean> {
    return this.putNew(tokenToItem(token), ATTR.issuedAt);
  }

  putGrant(grant: GrantRecord, tokens: readonly TokenRecord[]): Promise<boolean> {
    return this.conditional((o) =>
      this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            // A grant only for a client that still exists: a refresh token lives long.
            {
              ConditionCheck: { TableName: this.tableName, Key: clientKey(grant.clientId), ...CLIENT_EXISTS },
            },
            { Put: { TableName: this.tableName, Item: grantToItem(grant), ...ITEM_IS_NEW } },
            ...tokens.map((token) => ({
              Put: { TableName: this.tableName, Item: tokenToItem(token), ...ITEM_IS_NEW },
            })),
          ],
        }),
        o,
      ),
    );
  }

  refresh(write: RefreshWrite): Promise<boolean> {
    const { parent, grant, access, newRefresh, now } = write;
    const nowSeconds = Math.floor(now / 1000);
    // Neither the client nor the subject may have cut off the presented refresh token since the read.
    const notCutOff = {
      ConditionExpression: 'attribute_not_exists(#before) OR #before < :issued',
      ExpressionAttributeNames: { '#before': ATTR.tokensRevokedBefore },
      ExpressionAttributeValues: { ':issued': parent.issuedAt },
    };
    const subjectCheck =
      parent.subjectKey === undefined
        ? []
        : [
            {
              ConditionCheck: { TableName: this.tableName, Key: subjectKey(parent.subjectKey), ...notCutOff },
            },
          ];
    return this.conditional((o) =>
      this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: tokenKey(parent.id),
                UpdateExpression: newRefresh
                  ? 'ADD #count :one SET #modified = :now, #consumed = :now'
                  : 'ADD #count :one SET #modified = :now',
                ConditionExpression:
                  'attribute_exists(#pk) AND attribute_not_exists(#consumed) AND #exp > :nowSeconds',
                ExpressionAttributeNames: {
                  '#pk': PARTITION_KEY,
                  '#count': ATTR.refreshCount,
                  '#modified': ATTR.lastModifiedAt,
                  '#consumed': ATTR.consumedAt,
                  '#exp': ATTR.expiresAt,
                },
                ExpressionAttributeValues: { ':one': 1, ':now': now, ':nowSeconds': nowSeconds },
              },
            },
            newRefresh
              ? {
                  Update: {
                    TableName: this.tableName,
                    Key: grantKey(grant.grantId),
                    UpdateExpression: 'SET #current = :new',
                    ConditionExpression:
                      'attribute_exists(#pk) AND attribute_not_exists(#revoked) AND #current = :old',
                    ExpressionAttributeNames: {
                      '#pk': PARTITION_KEY,
                      '#revoked': ATTR.revokedAt,
                      '#current': ATTR.currentRefreshTokenId,
                    },
                    ExpressionAttributeValues: { ':new': newRefresh.id, ':old': parent.id },
                  },
                }
              : {
                  ConditionCheck: {
                    TableName: this.tableName,
                    Key: grantKey(grant.grantId),
                    ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(#revoked)',
                    ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#revoked': ATTR.revokedAt },
                  },
                },
            {
              ConditionCheck: {
                TableName: this.tableName,
                Key: clientKey(parent.clientId),
                ...notCutOff,
                ConditionExpression: `${CLIENT_LIVE} AND (${notCutOff.ConditionExpression})`,
                ExpressionAttributeNames: { ...notCutOff.ExpressionAttributeNames, ...CLIENT_LIVE_NAMES },
              },
            },
            ...subjectCheck,
            ...[access, ...(newRefresh ? [newRefresh] : [])].map((token) => ({
              Put: { TableName: this.tableName, Item: tokenToItem(token), ...ITEM_IS_NEW },
            })),
          ],
        }),
        o,
      ),
    );
  }

  /**
   * One conditional UpdateItem turns the token into a tombstone: `revokedAt` and who revoked it (a
   * DeleteItem could not carry them to the stream), and `expiresAt` set to now, so TTL removes it and even
   * a reader unaware of tombstones finds it expired. DynamoDB checks the condition and writes atomically,
   * so of two concurrent revocations exactly one gets the token back. It also costs less than a delete:
   * no projected attribute changes, so no index is written.
   */
  async revokeToken(id: string, mark: RevocationMark): Promise<TokenRecord | undefined> {
    const who = markAttributes(mark);
    const nowSeconds = Math.floor(mark.at / 1000);
    try {
      const { Attributes } = await this.call((o) =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: tokenKey(id),
            UpdateExpression: `SET #revoked = :at, #exp = :nowSeconds, ${setClause(who)}`,
            ConditionExpression:
              'attribute_exists(#pk) AND attribute_not_exists(#revoked) AND #exp > :nowSeconds',
            ExpressionAttributeNames: {
              '#pk': PARTITION_KEY,
              '#revoked': ATTR.revokedAt,
              '#exp': ATTR.expiresAt,
              ...setNames(who),
            },
            ExpressionAttributeValues: { ':at': mark.at, ':nowSeconds': nowSeconds, ...setValues(who) },
            ReturnValues: 'ALL_OLD',
          }),
          o,
        ),
      );
      return Attributes && tokenFromItem(Attributes);
    } catch (error) {
      if (conditionFailed(error)) return undefined;
      throw error;
    }
  }

  /** Only the first revocation writes (and so reaches the stream); a later one changes nothing. */
  async revokeGrant(grantId: string, mark: GrantRevocation): Promise<GrantRecord | undefined> {
    const who = {
      ...markAttributes(mark),
      [ATTR.revokedReason]: mark.reason,
      ...(mark.tokenId !== undefined && { [ATTR.revokedTokenId]: mark.tokenId }),
    };
    // One write either way: the first revocation sets the mark; a later one keeps that mark (if_not_exists)
    // and only stamps sweepRequestedAt, which the sweeper reads as "sweep this grant again". A grant's
    // tokens outlive a lost sweep (a crash, an outage past every retry) only until someone revokes again.
    const keep = Object.keys(who)
      .map((_, i) => `#s${i} = if_not_exists(#s${i}, :s${i})`)
      .join(', ');
    try {
      const { Attributes } = await this.call((o) =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: grantKey(grantId),
            UpdateExpression: `SET #revoked = if_not_exists(#revoked, :at), #resweep = :at, ${keep}`,
            ConditionExpression: 'attribute_exists(#pk)',
            ExpressionAttributeNames: {
              '#pk': PARTITION_KEY,
              '#revoked': ATTR.revokedAt,
              '#resweep': ATTR.sweepRequestedAt,
              ...setNames(who),
            },
            ExpressionAttributeValues: { ':at': mark.at, ...setValues(who) },
            ReturnValues: 'ALL_OLD',
          }),
          o,
        ),
      );
      // Revoked before this call: no new revocation (the caller reports none), only the re-sweep.
      if (!Attributes || Attributes[ATTR.revokedAt] !== undefined) return undefined;
      return grantFromItem(Attributes);
    } catch (error) {
      if (conditionFailed(error)) return undefined;
      throw error;
    }
  }

  async cutOffSubject(cutoff: SubjectCutoff, mark: RevocationMark): Promise<void> {
    const who = {
      ...markAttributes(mark),
      ...(cutoff.subject !== undefined && { [ATTR.subject]: cutoff.subject }),
    };
    await this.call((o) =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: subjectKey(cutoff.subjectKey),
          // Never move a cut-off back, nor shorten how long it is kept.
          UpdateExpression: `SET #before = :before, #exp = :exp, ${setClause(who)}`,
          ConditionExpression: 'attribute_not_exists(#before) OR #before <= :before',
          ExpressionAttributeNames: {
            '#before': ATTR.tokensRevokedBefore,
            '#exp': ATTR.expiresAt,
            ...setNames(who),
          },
          ExpressionAttributeValues: {
            ':before': cutoff.tokensRevokedBefore,
            ':exp': cutoff.expiresAt,
            ...setValues(who),
          },
        }),
        o,
      ),
    ).catch((error: unknown) => {
      if (!conditionFailed(error)) throw error;
    });
  }

  /** A BatchWriteItem put (the sweeper may write nothing else); keyed by the revocation, so a retry overwrites. */
  async recordSweep(record: SweepRecord): Promise<void> {
    const item = sweepToItem(record, Math.floor(record.completedAt / 1000) + SWEEP_RECORD_SECONDS);
    await this.batchWrite([{ PutRequest: { Item: item } }]);
  }

  deleteTokensOfGrant(grantId: string): Promise<number> {
    return this.deleteByIndex(GRANT_INDEX, grantId);
  }

  deleteTokensOfClient(clientId: string, issuedUpTo?: number): Promise<number> {
    return this.deleteByIndex(CLIENT_INDEX, clientId, issuedUpTo);
  }

  deleteTokensOfSubject(subjectKeyValue: string, issuedUpTo: number): Promise<number> {
    return this.deleteByIndex(SUBJECT_INDEX, subjectKeyValue, issuedUpTo);
  }

  /**
   * Deletes every item the index lists under a key, page by page; with `issuedUpTo` (epoch ms), only
   * those issued at or before it (the index projects `issuedAt`). Returns how many.
   */
  private async deleteByIndex(index: IndexSchema, value: string, issuedUpTo?: number): Promise<number> {
    let deleted = 0;
    let startKey: Item | undefined;
    do {
      const page = await this.call((o) =>
        this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: index.indexName,
            KeyConditionExpression: '#k = :v',
            ...(issuedUpTo !== undefined && { FilterExpression: '#issued <= :upTo' }),
            ExpressionAttributeNames: {
              '#k': index.partitionKey,
              '#pk': PARTITION_KEY,
              ...(issuedUpTo !== undefined && { '#issued': ATTR.issuedAt }),
            },
            ExpressionAttributeValues: {
              ':v': value,
              ...(issuedUpTo !== undefined && { ':upTo': issuedUpTo }),
            },
            ProjectionExpression: '#pk',
            ExclusiveStartKey: startKey,
            Limit: this.indexPageSize,
          }),
          o,
        ),
      );
      const keys = (page.Items ?? []).map((item) => tokenKey(String(item[PARTITION_KEY])));
      const batches: Item[][] = [];
      for (let i = 0; i < keys.length; i += BATCH_WRITE_LIMIT)
        batches.push(keys.slice(i, i + BATCH_WRITE_LIMIT));
      await mapConcurrently(batches, SWEEP_CONCURRENCY, (batch) =>
        this.batchWrite(batch.map((Key) => ({ DeleteRequest: { Key } }))),
      );
      deleted += keys.length;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return deleted;
  }

  /** One BatchWriteItem, retrying UnprocessedItems with exponential backoff, then StoreUnavailable. */
  private async batchWrite(
    writes: ({ DeleteRequest: { Key: Item } } | { PutRequest: { Item: Item } })[],
  ): Promise<void> {
    let requests = writes;
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt >= MAX_BATCH_ATTEMPTS) throw new StoreUnavailable();
      if (attempt > 0) await sleep(backoff(attempt));
      const batch = requests;
      const result = await this.call((o) =>
        this.doc.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: batch } }), o),
      );
      requests = (result.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
    }
  }
}

/** Runs `work` on every item, at most `limit` at a time; rejects with the first failure. */
async function mapConcurrently<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** `SET` clause parts for a map of attributes (names `#s0..`, values `:s0..`). */
function setClause(attributes: Item): string {
  return Object.keys(attributes)
    .map((_, i) => `#s${i} = :s${i}`)
    .join(', ');
}
function setNames(attributes: Item): Record<string, string> {
  return Object.fromEntries(Object.keys(attributes).map((name, i) => [`#s${i}`, name]));
}
function setValues(attributes: Item): Item {
  return Object.fromEntries(Object.values(attributes).map((value, i) => [`:s${i}`, value]));
}

/** Full-jitter exponential backoff: up to 25 ms, 50 ms, 100 ms, ... capped at 1 s. */
function backoff(attempt: number): number {
  return Math.random() * Math.min(1000, 25 * 2 ** (attempt - 1));
}
