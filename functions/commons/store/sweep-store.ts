/**
 * The DynamoDB adapter of `SweepStore`: the stream's sweeper deletes a revocation's tokens through the
 * indexes and records the finished sweep. Never on a request path. One per process.
 */
import { BatchWriteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { StoreUnavailable } from '../domain/errors.ts';
import type { SweepRecord } from '../domain/events.ts';
import type { SweepStore } from '../domain/model.ts';
import {
  ATTR,
  CLIENT_INDEX,
  GRANT_INDEX,
  GRANT_KEY_PREFIX,
  type IndexSchema,
  PARTITION_KEY,
  SUBJECT_INDEX,
} from '../schema.ts';
import { backoff, DynamoAdapter, type DynamoAdapterOptions, MAX_BATCH_ATTEMPTS, sleep } from './adapter.ts';
import { type Item, sweepToItem } from './items.ts';

export interface SweepDynamoStoreOptions extends DynamoAdapterOptions {
  /** Items per index query page; default: DynamoDB's own 1 MB pages. Small values prove paging in tests. */
  readonly indexPageSize?: number;
}

/** How long a sweep's record stays for the stream (TTL); only its INSERT matters. */
const SWEEP_RECORD_SECONDS = 24 * 3600;
/** Concurrent BatchWriteItem calls of one sweep: DynamoDB answers each in a few ms, so a sweep is latency-bound. */
const SWEEP_CONCURRENCY = 8;
const BATCH_WRITE_LIMIT = 25;

/** The DynamoDB adapter of the sweeper's port. */
export class SweepDynamoStore extends DynamoAdapter implements SweepStore {
  private readonly indexPageSize: number | undefined;

  constructor(options: SweepDynamoStoreOptions) {
    super(options);
    this.indexPageSize = options.indexPageSize;
  }

  /** A BatchWriteItem put (the sweeper may write nothing else); keyed by the revocation, so a retry overwrites. */
  async recordSweep(record: SweepRecord): Promise<void> {
    const item = sweepToItem(record, Math.floor(record.completedAt / 1000) + SWEEP_RECORD_SECONDS);
    await this.batchWrite([{ PutRequest: { Item: item } }]);
  }

  /** The grant's token items, through the grant index; the grant item stays (its mark, until TTL). */
  deleteTokensOfGrant(grantId: string): Promise<number> {
    return this.sweepIndex(GRANT_INDEX, grantId);
  }

  /**
   * The client's tokens without a grant and its grants, through the client index: each grant's tokens
   * through the grant index, then the grant item itself (it holds the grant's refresh token). With
   * `issuedUpTo`, only tokens issued and grants started at or before it (activity.ts: a cut-off takes a
   * grant whole).
   */
  deleteTokensOfClient(clientId: string, issuedUpTo?: number): Promise<number> {
    return this.sweepIndex(CLIENT_INDEX, clientId, issuedUpTo);
  }

  /** The subject's grants (and its tokens of the old layout), through the subject index, as for a client. */
  deleteTokensOfSubject(subjectKeyValue: string, issuedUpTo: number): Promise<number> {
    return this.sweepIndex(SUBJECT_INDEX, subjectKeyValue, issuedUpTo);
  }

  /**
   * Deletes what an index lists under a key, page by page: token items at once, grants after their
   * tokens (so a sweep cut short leaves every grant it has not finished reachable for the next one). With
   * `issuedUpTo` (epoch ms), only what was issued at or before it (the indexes project `issuedAt`).
   * Returns the token items deleted, counting a grant item as its refresh token.
   */
  private async sweepIndex(
    index: IndexSchema,
    value: string,
    issuedUpTo?: number,
    // A token of the old layout is listed by the client or subject index and by its grant's: once is enough.
    seen = new Set<string>(),
  ): Promise<number> {
    let deleted = 0;
    for await (const keys of this.pages(index, value, issuedUpTo)) {
      const fresh = keys.filter((key) => !seen.has(key));
      for (const key of fresh) seen.add(key);
      const grants = fresh.filter((key) => key.startsWith(GRANT_KEY_PREFIX));
      const tokens = fresh.filter((key) => !key.includes('#'));
      await mapConcurrently(grants, SWEEP_CONCURRENCY, async (key) => {
        const ofGrant = await this.sweepIndex(
          GRANT_INDEX,
          key.slice(GRANT_KEY_PREFIX.length),
          undefined,
          seen,
        );
        deleted += ofGrant;
      });
      await this.deleteItems([...tokens, ...grants]);
      deleted += tokens.length + grants.length;
    }
    return deleted;
  }

  /** The keys an index lists under a value, a page at a time; with `issuedUpTo`, those issued up to it. */
  private async *pages(index: IndexSchema, value: string, issuedUpTo?: number): AsyncGenerator<string[]> {
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
      yield (page.Items ?? []).map((item) => String(item[PARTITION_KEY]));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  /** Deletes items by key, 25 to a BatchWriteItem, a few batches at once. */
  private async deleteItems(keys: readonly string[]): Promise<void> {
    const batches: string[][] = [];
    for (let i = 0; i < keys.length; i += BATCH_WRITE_LIMIT)
      batches.push(keys.slice(i, i + BATCH_WRITE_LIMIT));
    await mapConcurrently(batches, SWEEP_CONCURRENCY, (batch) =>
      this.batchWrite(batch.map((key) => ({ DeleteRequest: { Key: { [PARTITION_KEY]: key } } }))),
    );
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
