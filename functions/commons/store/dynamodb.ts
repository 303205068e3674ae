import {
  ConditionalCheckFailedException,
  DynamoDBClient,
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
import type { Client, Store, TokenContext, TokenRecord } from '../domain/model.ts';
import { DependencyUnavailableError } from '../errors.ts';
import { traceDynamoClient } from '../observability.ts';
import {
  CLIENT_INDEX,
  CLIENT_KEY_PREFIX,
  type IndexSchema,
  PARTITION_KEY,
  REFRESH_TOKEN_INDEX,
  TTL_ATTRIBUTE,
} from '../schema.ts';

export interface DynamoStoreOptions {
  tableName: string;
  /** DynamoDB Local; static dummy credentials are used with it. */
  endpoint?: string | undefined;
  /** Seconds for the 503 Retry-After header. */
  retryAfterSeconds?: number;
  /** Items per index query page; default: DynamoDB's own 1 MB pages. Small values prove paging in tests. */
  indexPageSize?: number;
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

const clientKey = (clientId: string) => ({ [PARTITION_KEY]: `${CLIENT_KEY_PREFIX}${clientId}` });
const tokenKey = (id: string) => ({ [PARTITION_KEY]: id });

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

const conditionFailed = (error: unknown) =>
  error instanceof ConditionalCheckFailedException ||
  (error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed'));

function toClient(item: Record<string, unknown>): Client {
  const { [PARTITION_KEY]: key, ...rest } = item;
  return { ...(rest as Omit<Client, 'clientId'>), clientId: String(key).slice(CLIENT_KEY_PREFIX.length) };
}

function toToken(item: Record<string, unknown>): TokenRecord {
  const { [PARTITION_KEY]: key, ...rest } = item;
  return { ...(rest as Omit<TokenRecord, 'id'>), id: String(key) };
}

function tokenItem(token: TokenRecord): Record<string, unknown> {
  const { id, ...rest } = token;
  return { ...tokenKey(id), ...rest };
}

const BATCH_WRITE_LIMIT = 25;
const MAX_BATCH_ATTEMPTS = 8;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The DynamoDB adapter of the store port. Create one per process (module scope in a Lambda). */
export class DynamoStore implements Store {
  readonly tableName: string;
  private readonly doc: DynamoDBDocumentClient;
  private readonly retryAfterSeconds: number;
  private readonly indexPageSize: number | undefined;

  constructor(options: DynamoStoreOptions) {
    this.tableName = options.tableName;
    this.retryAfterSeconds = options.retryAfterSeconds ?? 1;
    this.indexPageSize = options.indexPageSize;
    const local = options.endpoint !== undefined;
    const client = new DynamoDBClient({
      ...(local && {
        endpoint: options.endpoint,
        region: process.env.AWS_REGION ?? 'us-east-1',
        // DynamoDB Local accepts any alphanumeric key; never reach for a developer's real credentials.
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
      maxAttempts: 3,
      // Fail fast enough for a 503 to reach the caller well inside the Lambda timeout.
      requestHandler: { connectionTimeout: 1000, requestTimeout: 3000 },
    });
    this.doc = DynamoDBDocumentClient.from(traceDynamoClient(client), {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  /** Runs a DynamoDB call, turning unavailability into a 503 error and nothing else. */
  private async call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (isUnavailable(error)) throw new DependencyUnavailableError(this.retryAfterSeconds, error);
      throw error;
    }
  }

  /** Like call(), but a failed condition is the outcome `false`. */
  private async conditional(send: () => Promise<unknown>): Promise<boolean> {
    try {
      await this.call(send);
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  }

  async getClient(clientId: string): Promise<Client | undefined> {
    const { Item } = await this.call(() =>
      this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: clientKey(clientId), ConsistentRead: true }),
      ),
    );
    return Item && toClient(Item);
  }

  createClient(client: Client): Promise<boolean> {
    const { clientId, ...rest } = client;
    return this.conditional(() =>
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...clientKey(clientId), ...rest },
          ...ITEM_IS_NEW,
        }),
      ),
    );
  }

  deleteClient(clientId: string): Promise<boolean> {
    return this.conditional(() =>
      this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: clientKey(clientId),
          ...ITEM_EXISTS,
        }),
      ),
    );
  }

  revokeClientTokensBefore(clientId: string, at: number): Promise<boolean> {
    return this.conditional(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: clientKey(clientId),
          UpdateExpression: 'SET #before = :at',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#before': 'tokensRevokedBefore' },
          ExpressionAttributeValues: { ':at': at },
        }),
      ),
    );
  }

  async getToken(id: string): Promise<TokenRecord | undefined> {
    const { Item } = await this.call(() =>
      this.doc.send(new GetCommand({ TableName: this.tableName, Key: tokenKey(id), ConsistentRead: true })),
    );
    return Item && toToken(Item);
  }

  async getTokenContext(token: TokenRecord, knownClient?: Client): Promise<TokenContext> {
    const parentId = token.refreshTokenId;
    const clientKnown = knownClient?.clientId === token.clientId;
    const keys = [
      ...(clientKnown ? [] : [clientKey(token.clientId)]),
      ...(parentId === undefined ? [] : [tokenKey(parentId)]),
    ];
    if (keys.length === 0) return { client: knownClient, parent: undefined };
    let pending: Record<string, unknown>[] = keys;
    const found: Record<string, unknown>[] = [];
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= MAX_BATCH_ATTEMPTS) throw new DependencyUnavailableError(this.retryAfterSeconds);
      if (attempt > 0) await sleep(backoff(attempt));
      const keysNow = pending;
      const result = await this.call(() =>
        this.doc.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: keysNow, ConsistentRead: true } },
          }),
        ),
      );
      found.push(...(result.Responses?.[this.tableName] ?? []));
      pending = result.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
    }
    const byKey = new Map(found.map((item) => [String(item[PARTITION_KEY]), item]));
    const clientItem = byKey.get(`${CLIENT_KEY_PREFIX}${token.clientId}`);
    const parentItem = parentId === undefined ? undefined : byKey.get(parentId);
    const client = clientKnown ? knownClient : clientItem && toClient(clientItem);
    return { client, parent: parentItem && toToken(parentItem) };
  }

  putTokens(tokens: readonly TokenRecord[]): Promise<boolean> {
    const [first] = tokens;
    if (!first) return Promise.resolve(true);
    return this.conditional(() =>
      this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            // Tokens are only minted for a client that still exists.
            {
              ConditionCheck: {
                TableName: this.tableName,
                Key: clientKey(first.clientId),
                ...ITEM_EXISTS,
              },
            },
            ...tokens.map((token) => ({
              Put: {
                TableName: this.tableName,
                Item: tokenItem(token),
                ...ITEM_IS_NEW,
              },
            })),
          ],
        }),
      ),
    );
  }

  putRefreshedAccessToken(access: TokenRecord, parent: TokenRecord, now: number): Promise<boolean> {
    return this.conditional(() =>
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
                  '#count': 'refreshCount',
                  '#modified': 'lastModifiedAt',
                  '#revoked': 'revoked',
                  '#exp': TTL_ATTRIBUTE,
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
                ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#before': 'tokensRevokedBefore' },
                ExpressionAttributeValues: { ':issued': parent.issuedAt },
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: tokenItem(access),
                ...ITEM_IS_NEW,
              },
            },
          ],
        }),
      ),
    );
  }

  async deleteToken(id: string): Promise<TokenRecord | undefined> {
    const { Attributes } = await this.call(() =>
      this.doc.send(
        new DeleteCommand({ TableName: this.tableName, Key: tokenKey(id), ReturnValues: 'ALL_OLD' }),
      ),
    );
    return Attributes && toToken(Attributes);
  }

  markRevoked(id: string): Promise<boolean> {
    return this.conditional(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: tokenKey(id),
          UpdateExpression: 'SET #revoked = :true',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#revoked': 'revoked' },
          ExpressionAttributeValues: { ':true': true },
        }),
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
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.call(() =>
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

  /** BatchWriteItem deletes, retrying UnprocessedItems with exponential backoff, then a 503. */
  private async batchDelete(keys: Record<string, unknown>[]): Promise<void> {
    let requests = keys.map((Key) => ({ DeleteRequest: { Key } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt >= MAX_BATCH_ATTEMPTS) throw new DependencyUnavailableError(this.retryAfterSeconds);
      if (attempt > 0) await sleep(backoff(attempt));
      const batch = requests;
      const result = await this.call(() =>
        this.doc.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: batch } })),
      );
      requests = (result.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
    }
  }
}

/** Full-jitter exponential backoff: up to 25 ms, 50 ms, 100 ms, ... capped at 1 s. */
function backoff(attempt: number): number {
  return Math.random() * Math.min(1000, 25 * 2 ** (attempt - 1));
}
