/**
 * A table of its own for a test file, with its DynamoDB Local stream read back as Lambda delivers it.
 * The suite's shared table is written by every test at once; a test that checks what each write put on
 * the stream needs a table whose stream carries its own writes only.
 */
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { createTableInput, PARTITION_KEY } from '#commons/schema.ts';
import { createDynamoClient } from '#commons/store/client.ts';
import { DynamoStore } from '#commons/store/dynamodb.ts';
import { localStreamsClient } from '#tools/local/dynamodb-local.ts';
import { lambdaRecord } from '#tools/local/stream-reader.ts';
import { dynamoEndpoint } from './helpers.ts';

/** A Lambda stream event of these records. */
export const streamEvent = (records: readonly DynamoDBRecord[]): DynamoDBStreamEvent => ({
  Records: [...records],
});

/**
 * Reads a table's stream from its start, shard by shard, keeping its place: each `next` returns the
 * records written since the last one. DynamoDB Local delivers a record a few ms after its write, so
 * callers poll until the records they expect are there (`until`), never for a fixed time.
 */
export class TableStream {
  private readonly client: DynamoDBStreamsClient;
  private readonly iterators = new Map<string, string | undefined>();

  constructor(
    readonly streamArn: string,
    endpoint: string,
  ) {
    this.client = localStreamsClient(endpoint);
  }

  /** Every record written since the last call (possibly none), in stream order per shard. */
  async next(): Promise<DynamoDBRecord[]> {
    const { StreamDescription } = await this.client.send(
      new DescribeStreamCommand({ StreamArn: this.streamArn }),
    );
    for (const shard of StreamDescription?.Shards ?? []) {
      const id = shard.ShardId;
      if (id === undefined || this.iterators.has(id)) continue;
      const { ShardIterator } = await this.client.send(
        new GetShardIteratorCommand({
          StreamArn: this.streamArn,
          ShardId: id,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      this.iterators.set(id, ShardIterator);
    }
    const records: DynamoDBRecord[] = [];
    for (const [id, iterator] of this.iterators) {
      if (iterator === undefined) continue;
      const result = await this.client.send(new GetRecordsCommand({ ShardIterator: iterator }));
      this.iterators.set(id, result.NextShardIterator);
      records.push(...(result.Records ?? []).map((record) => lambdaRecord(record, this.streamArn)));
    }
    return records;
  }

  /**
   * Reads on until `done` holds for the records read so far by this call, then returns them; throws after
   * `timeoutMs`.
   */
  async until(
    done: (records: readonly DynamoDBRecord[]) => boolean,
    timeoutMs = 10_000,
  ): Promise<DynamoDBRecord[]> {
    const deadline = Date.now() + timeoutMs;
    const records: DynamoDBRecord[] = [];
    for (;;) {
      records.push(...(await this.next()));
      if (done(records)) return records;
      if (Date.now() > deadline) {
        throw new Error(`the stream did not deliver the records expected; got ${records.length}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  close(): void {
    this.client.destroy();
  }
}

/** The partition key a stream record is about. */
export const keyOf = (record: DynamoDBRecord): string | undefined => record.dynamodb?.Keys?.pk?.S;

export interface StreamTable {
  readonly tableName: string;
  readonly store: DynamoStore;
  readonly stream: TableStream;
  /** An item as stored, whatever it holds (tombstones included); undefined when there is none. */
  item(key: string): Promise<Record<string, unknown> | undefined>;
  /** Puts an item as given, bypassing the store (markers, items the service would never write). */
  put(item: Record<string, unknown>): Promise<void>;
  /**
   * The stream records `write` made: the stream is read up to a first marker item, `write` runs, then
   * a second marker is put and the stream is read up to its record. Nothing else writes to the table, so what lies before the marker is the
   * write's, and a write that changed nothing shows as no record, without waiting for one that never
   * comes.
   */
  recordsOf(write: () => Promise<unknown>): Promise<DynamoDBRecord[]>;
  /** Deletes the table and closes its clients. */
  drop(): Promise<void>;
}

/** Creates a table of the service's schema (stream included) under a fresh name, on the suite's DynamoDB Local. */
export async function streamTable(prefix: string): Promise<StreamTable> {
  const tableName = `${prefix}-${randomUUID().slice(0, 8)}`;
  const dynamo = createDynamoClient({ endpoint: dynamoEndpoint });
  await dynamo.send(new CreateTableCommand(createTableInput(tableName)));
  const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
  const streamArn = Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${tableName} has no stream`);
  const stream = new TableStream(streamArn, dynamoEndpoint);
  const doc = DynamoDBDocumentClient.from(dynamo);
  const put = async (item: Record<string, unknown>) => {
    await doc.send(new PutCommand({ TableName: tableName, Item: item }));
  };
  return {
    tableName,
    store: new DynamoStore({ tableName, client: dynamo }),
    stream,
    async item(key) {
      const { Item } = await doc.send(
        new GetCommand({ TableName: tableName, Key: { [PARTITION_KEY]: key }, ConsistentRead: true }),
      );
      return Item;
    },
    put,
    async recordsOf(write) {
      const upToMarker = async () => {
        const marker = `marker#${randomUUID()}`;
        await put({ [PARTITION_KEY]: marker });
        const records = await stream.until((read) => read.some((r) => keyOf(r) === marker));
        return records.slice(
          0,
          records.findIndex((r) => keyOf(r) === marker),
        );
      };
      // Whatever was written before is not the write's.
      await upToMarker();
      await write();
      return upToMarker();
    },
    async drop() {
      stream.close();
      await dynamo.send(new DeleteTableCommand({ TableName: tableName }));
      dynamo.destroy();
    },
  };
}
