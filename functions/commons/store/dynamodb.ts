import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { InvalidInput, StoreUnavailable } from '../domain/errors.ts';
import type { IdempotencyRecord } from '../domain/idempotency.ts';
import type {
  Client,
  RotationOutcome,
  SecretRotation,
  Store,
  TokenContext,
  TokenRecord,
} from '../domain/model.ts';
import { ATTR, CLIENT_INDEX, type IndexSchema, PARTITION_KEY, REFRESH_TOKEN_INDEX } from '../schema.ts';
import { DEADLINES } from './client.ts';
import {
  clientFromItem,
  clientKey,
  clientToItem,
  type Item,
  idempotencyFromItem,
  idempotencyKey,
  idempotencyToItem,
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
const ITEM_EXISTS = {
  ConditionExpression: 'attribute_exists(#pk)',
  ExpressionAttributeNames: { '#pk': PARTITION_KEY },
};
const ITEM_IS_NEW = {
  ConditionExpression: 'attribute_not_exists(#pk)',
  ExpressionAttributeNames: { '#pk': PARTITION_KEY },
};

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
    return Item && clientFromItem(Item);
  }

  createClient(client: Client): Promise<boolean> {
    return this.conditional((o) =>
      this.doc.send(
        new PutCommand({ TableName: this.tableName, Item: clientToItem(client), ...ITEM_IS_NEW }),
        o,
      ),
    );
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

  deleteClient(clientId: string): Promise<boolean> {
    return this.conditional((o) =>
      this.doc.send(
        new DeleteCommand({ TableName: this.tableName, Key: clientKey(clientId), ...ITEM_EXISTS }),
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
    const keep = rotation.previousSecretExpiresAt !== undefined;
    try {
      await this.call((o) =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: clientKey(clientId),
            UpdateExpression: keep
              ? 'SET #prev = #hash, #prevExp = :prevExp, #hash = :hash'
              : 'SET #hash = :hash REMOVE #prev, #prevExp',
            ConditionExpression: 'attribute_exists(#pk) AND #public = :false AND attribute_exists(#hash)',
            ExpressionAttributeNames: {
              '#pk': PARTITION_KEY,
              '#public': ATTR.public,
              '#hash': ATTR.secretHash,
              '#prev': ATTR.previousSecretHash,
              '#prevExp': ATTR.previousSecretExpiresAt,
            },
            ExpressionAttributeValues: {
              ':false': false,
              ':hash': rotation.secretHash,
              ...(keep && { ':prevExp': rotation.previousSecretExpiresAt }),
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
          o,
        ),
      );
      return 'rotated';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return error.Item ? 'public' : 'missing';
      throw error;
    }
  }

  revokeClientTokensBefore(clientId: string, at: number): Promise<boolean> {
    return this.conditional((o) =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: clientKey(clientId),
          UpdateExpression: 'SET #before = :at',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#before': ATTR.tokensRevokedBefore },
          ExpressionAttributeValues: { ':at': at },
        }),
        o,
      ),
    );
  }

  async getToken(id: string): Promise<TokenRecord | undefined> {
    const { Item } = await this.call((o) =>
      this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: tokenKey(id), ConsistentRead: true }),
        o,
      ),
    );
    return Item && tokenFromItem(Item);
  }

  async getTokenContext(token: TokenRecord, knownClient?: Client): Promise<TokenContext> {
    const parentId = token.refreshTokenId;
    const clientKnown = knownClient?.clientId === token.clientId;
    const keys = [
      ...(clientKnown ? [] : [clientKey(token.clientId)]),
      ...(parentId === undefined ? [] : [tokenKey(parentId)]),
    ];
    if (keys.length === 0) return { client: knownClient, parent: undefined };
    let pending: Item[] = keys;
    const found: Item[] = [];
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
      found.push(...(result.Responses?.[this.tableName] ?? []));
      pending = result.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
    }
    const byKey = new Map(found.map((item) => [String(item[PARTITION_KEY]), item]));
    const clientItem = byKey.get(String(clientKey(token.clientId)[PARTITION_KEY]));
    const parentItem = parentId === undefined ? undefined : byKey.get(parentId);
    const client = clientKnown ? knownClient : clientItem && clientFromItem(clientItem);
    return { client, parent: parentItem && tokenFromItem(parentItem) };
  }

  putTokens(tokens: readonly TokenRecord[]): Promise<boolean> {
    const [first] = tokens;
    if (!first) return Promise.resolve(true);
    return this.conditional((o) =>
      this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            // Tokens are only minted for a client that still exists.
            { ConditionCheck: { TableName: this.tableName, Key: clientKey(first.clientId), ...ITEM_EXISTS } },
            ...tokens.map((token) => ({
              Put: { TableName: this.tableName, Item: tokenToItem(token), ...ITEM_IS_NEW },
            })),
          ],
        }),
        o,
      ),
    );
  }

  putRefreshedAccessToken(access: TokenRecord, parent: TokenRecord, now: number): Promise<boolean> {
    return this.conditional((o) =>
      this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: tokenKey(parent.id),
                UpdateExpression: 'ADD #count :one SET #modified = :now',
                ConditionExpression:
                  'attribute_exists(#pk) AND attribute_not_exists(#revoked) AND #exp > :nowSeconds',
                ExpressionAttributeNames: {
                  '#pk': PARTITION_KEY,
                  '#count': ATTR.refreshCount,
                  '#modified': ATTR.lastModifiedAt,
                  '#revoked': ATTR.revoked,
                  '#exp': ATTR.expiresAt,
                },
                ExpressionAttributeValues: { ':one': 1, ':now': now, ':nowSeconds': Math.floor(now / 1000) },
              },
            },
            {
              // The client must still exist and not have revoked everything since the parent was issued.
              ConditionCheck: {
                TableName: this.tableName,
                Key: clientKey(parent.clientId),
                ConditionExpression:
                  'attribute_exists(#pk) AND (attribute_not_exists(#before) OR #before < :issued)',
                ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#before': ATTR.tokensRevokedBefore },
                ExpressionAttributeValues: { ':issued': parent.issuedAt },
              },
            },
            { Put: { TableName: this.tableName, Item: tokenToItem(access), ...ITEM_IS_NEW } },
          ],
        }),
        o,
      ),
    );
  }

  /**
   * Conditional on the item existing, so of two concurrent deletes of one token exactly one gets the
   * deleted record: DynamoDB checks the condition and deletes atomically.
   */
  async deleteToken(id: string): Promise<TokenRecord | undefined> {
    try {
      const { Attributes } = await this.call((o) =>
        this.doc.send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: tokenKey(id),
            ...ITEM_EXISTS,
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

  markRevoked(id: string): Promise<boolean> {
    return this.conditional((o) =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: tokenKey(id),
          UpdateExpression: 'SET #revoked = :true',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#revoked': ATTR.revoked },
          ExpressionAttributeValues: { ':true': true },
        }),
        o,
      ),
    );
  }

  deleteAccessTokensOf(refreshTokenId: string): Promise<number> {
    return this.deleteByIndex(REFRESH_TOKEN_INDEX, refreshTokenId);
  }

  deleteTokensOfClient(clientId: string): Promise<number> {
    return this.deleteByIndex(CLIENT_INDEX, clientId);
  }

  /** Deletes every item the index lists under a key, page by page; returns how many. */
  private async deleteByIndex(index: IndexSchema, value: string): Promise<number> {
    let deleted = 0;
    let startKey: Item | undefined;
    do {
      const page = await this.call((o) =>
        this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: index.indexName,
            KeyConditionExpression: '#k = :v',
            ExpressionAttributeNames: { '#k': index.partitionKey, '#pk': PARTITION_KEY },
            ExpressionAttributeValues: { ':v': value },
            ProjectionExpression: '#pk',
            ExclusiveStartKey: startKey,
            Limit: this.indexPageSize,
          }),
          o,
        ),
      );
      const keys = (page.Items ?? []).map((item) => tokenKey(String(item[PARTITION_KEY])));
      for (let i = 0; i < keys.length; i += BATCH_WRITE_LIMIT) {
        await this.batchDelete(keys.slice(i, i + BATCH_WRITE_LIMIT));
      }
      deleted += keys.length;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return deleted;
  }

  /** BatchWriteItem deletes, retrying UnprocessedItems with exponential backoff, then StoreUnavailable. */
  private async batchDelete(keys: Item[]): Promise<void> {
    let requests = keys.map((Key) => ({ DeleteRequest: { Key } }));
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

/** Full-jitter exponential backoff: up to 25 ms, 50 ms, 100 ms, ... capped at 1 s. */
function backoff(attempt: number): number {
  return Math.random() * Math.min(1000, 25 * 2 ** (attempt - 1));
}
