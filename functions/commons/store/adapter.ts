/**
 * What every DynamoDB adapter of the service shares (the store, the trusted issuers' and the Shared
 * Signals' adapters): one document client, a hard deadline on every call, and one reading of DynamoDB's
 * errors (unavailable or throttling is `StoreUnavailable`, a 503 on a route; input too large to hold is
 * `InvalidInput`; a failed condition is an answer, not an error).
 */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { InvalidInput, StoreUnavailable } from '../domain/errors.ts';
import { ATTR, PARTITION_KEY } from '../schema.ts';
import { DEADLINES } from './client.ts';
import { keepFirst, setNames, setValues } from './expressions.ts';

/** A DynamoDB item as the document client reads and writes it. */
type Item = Record<string, unknown>;

/** Options of one SDK call: its hard deadline. */
export type SendOptions = { abortSignal: AbortSignal };

export interface DynamoAdapterOptions {
  /** The client to send through (built by `createDynamoClient`, possibly wrapped by a tracer or a test). */
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Hard deadline of one call, retries included. */
  readonly callDeadlineMs?: number;
}

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

export function isUnavailable(error: unknown): boolean {
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
export const tooLarge = (error: unknown) =>
  error instanceof Error && error.name === 'ValidationException' && TOO_LARGE.test(error.message);

/**
 * Whether a transaction failed because a condition did not hold or another write got there first: the
 * caller lost a race (e.g. for an idempotency key), which is an answer, not an outage.
 */
export function transactionLost(error: unknown): boolean {
  const cause = error instanceof StoreUnavailable ? error.cause : error;
  return (
    cause instanceof TransactionCanceledException &&
    (cause.CancellationReasons ?? []).some(
      (r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict',
    )
  );
}

export const conditionFailed = (error: unknown) =>
  error instanceof ConditionalCheckFailedException ||
  (error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed'));

/** Attempts of one batch call before its unprocessed items make it `StoreUnavailable`. */
export const MAX_BATCH_ATTEMPTS = 8;
/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Full-jitter exponential backoff for unprocessed keys: up to 25 ms, 50 ms, ... capped at 1 s. */
export const backoff = (attempt: number) => Math.random() * Math.min(1000, 25 * 2 ** (attempt - 1));

/** The condition of a put that creates an item: its key is free. */
export const ITEM_IS_NEW = {
  ConditionExpression: 'attribute_not_exists(#pk)',
  ExpressionAttributeNames: { '#pk': PARTITION_KEY },
};

/** The base of the service's DynamoDB adapters. */
export class DynamoAdapter {
  readonly tableName: string;
  protected readonly doc: DynamoDBDocumentClient;
  private readonly callDeadlineMs: number;

  constructor(options: DynamoAdapterOptions) {
    this.tableName = options.tableName;
    this.callDeadlineMs = options.callDeadlineMs ?? DEADLINES.callMs;
    this.doc = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  /**
   * Runs one DynamoDB call under its hard deadline, turning unavailability into `StoreUnavailable` and
   * input DynamoDB cannot hold into `InvalidInput`.
   */
  protected async call<T>(send: (options: SendOptions) => Promise<T>): Promise<T> {
    try {
      return await send({ abortSignal: AbortSignal.timeout(this.callDeadlineMs) });
    } catch (error) {
      if (isUnavailable(error)) throw new StoreUnavailable(error);
      if (tooLarge(error)) throw new InvalidInput('request', 'is too large to store');
      throw error;
    }
  }

  /** Like call(), but a failed condition is the outcome `false`. */
  protected async conditional(send: (options: SendOptions) => Promise<unknown>): Promise<boolean> {
    try {
      await this.call(send);
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  }

  /** One item by key, read consistently, whatever it holds (tombstones included). */
  protected async getItem(key: Item): Promise<Item | undefined> {
    const { Item: item } = await this.call((o) =>
      this.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }), o),
    );
    return item;
  }

  /** Consistent BatchGetItem of at most 100 keys, retrying unprocessed keys; the items found, by key. */
  protected async batchGet(keys: readonly Item[]): Promise<Map<string, Item>> {
    let pending: Item[] = [...keys];
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
    return found;
  }

  /**
   * Puts an item under a fresh random key, conditional on the key being free. The SDK retries an attempt
   * whose answer was lost (a request timeout), and the retry then fails its own condition though the first
   * attempt wrote the item; so a failed condition is ours when the item found carries what we wrote
   * (`fingerprint`: an attribute only this write set to this value). False only for a real collision.
   */
  protected async putNew(item: Item, fingerprint: string): Promise<boolean> {
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
   * The one write of a revocation on an existing item (a grant, a deleted client): `marked` (its
   * `revokedAt` or `deletedAt`) and `who` only where not set yet, so the first revocation's mark stays, and
   * `sweepRequestedAt` every time, which the sweeper reads as "sweep again" (store/changes.ts resweepOf).
   * `also` is set every time and `remove` removed. Returns the item as it was before, or undefined when
   * there was none.
   */
  protected async markOnceAndResweep(
    key: Item,
    marked: string,
    who: Item,
    at: number,
    changes: { also?: Item; remove?: readonly string[] } = {},
  ): Promise<Item | undefined> {
    const also = Object.entries(changes.also ?? {});
    const remove = changes.remove ?? [];
    const setAlso = also.map((_, i) => `, #a${i} = :a${i}`).join('');
    const removeClause = remove.length > 0 ? ` REMOVE ${remove.map((_, i) => `#r${i}`).join(', ')}` : '';
    try {
      const { Attributes } = await this.call((o) =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression:
              `SET #marked = if_not_exists(#marked, :at)${setAlso}, #resweep = :at, ${keepFirst(who)}` +
              removeClause,
            ConditionExpression: 'attribute_exists(#pk)',
            ExpressionAttributeNames: {
              '#pk': PARTITION_KEY,
              '#marked': marked,
              '#resweep': ATTR.sweepRequestedAt,
              ...setNames(who),
              ...Object.fromEntries(also.map(([name], i) => [`#a${i}`, name])),
              ...Object.fromEntries(remove.map((name, i) => [`#r${i}`, name])),
            },
            ExpressionAttributeValues: {
              ':at': at,
              ...setValues(who),
              ...Object.fromEntries(also.map(([, value], i) => [`:a${i}`, value])),
            },
            ReturnValues: 'ALL_OLD',
          }),
          o,
        ),
      );
      return Attributes;
    } catch (error) {
      if (conditionFailed(error)) return undefined;
      throw error;
    }
  }

  /**
   * One transaction: an idempotency record (new, or replacing an expired one) and the item it created
   * under `put`'s condition. False when either is taken: a failed condition or a racing transaction
   * (both mean "the key is taken", which the caller resolves by reading the record).
   */
  protected async createWithIdempotencyRecord(
    record: Item,
    put: {
      Item: Item;
      ConditionExpression: string;
      ExpressionAttributeNames?: Record<string, string>;
      ExpressionAttributeValues?: Record<string, unknown>;
    },
    nowSeconds: number,
  ): Promise<boolean> {
    try {
      await this.call((o) =>
        this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.tableName,
                  Item: record,
                  ConditionExpression: 'attribute_not_exists(#pk) OR #exp <= :now',
                  ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#exp': ATTR.expiresAt },
                  ExpressionAttributeValues: { ':now': nowSeconds },
                },
              },
              { Put: { TableName: this.tableName, ...put } },
            ],
          }),
          o,
        ),
      );
      return true;
    } catch (error) {
      if (transactionLost(error)) return false;
      throw error;
    }
  }
}
