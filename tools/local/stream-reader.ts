/**
 * The local stand-in for Lambda's DynamoDB stream event source mappings: one reader per stream function
 * of the manifest (the sweeper, the publisher) reads DynamoDB Local's stream of the table, shard by shard,
 * applies the entry's event filters, batches the records, invokes the function's real handler in-process
 * and honours its partial batch response (retry from the first failed record, bounded, then an
 * on-failure log line where AWS would send the batch's metadata to the SQS on-failure queue).
 *
 * With a checkpoint directory (`npm start --data-dir`), each reader records per shard the last record it
 * handled, as the event source mapping keeps its position: after a crash, a restart resumes right after
 * it, so a record whose batch was cut short (a sweep half done) is delivered again and none written while
 * the server was down is missed. Without one, a start takes the shards from their latest position.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeTableCommand, type DynamoDBClient, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type AttributeValue as SdkAttributeValue,
  type _Record as SdkRecord,
  type Shard,
  type ShardIteratorType,
} from '@aws-sdk/client-dynamodb-streams';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { Dependencies } from '#commons/dependencies.ts';
import { logger } from '#commons/log.ts';
import { type FunctionEntry, STREAM_FUNCTIONS, type StreamTrigger } from '#commons/manifest.ts';
import { createTableInput } from '#commons/schema.ts';
import { localDynamoClient, localStreamsClient } from './dynamodb-local.ts';
import { buildHandler } from './factories.ts';
import { invocations } from './invocations.ts';
import { lambdaContext } from './server.ts';
import { passesFilters } from './stream-filter.ts';

/** A stream function's handler, as `functions/<name>/index.ts` exports it. */
export type StreamHandler = (
  event: DynamoDBStreamEvent,
  context: Context,
) => Promise<DynamoDBBatchResponse | undefined>;

export interface StreamReaderOptions {
  /** DynamoDB Local's endpoint. */
  readonly endpoint: string;
  /** DynamoDB Local's access key, when `npm start` launched it with one (see `localAccessKey`). */
  readonly accessKeyId?: string | undefined;
  readonly tableName: string;
  /** How long a shard that returned nothing waits before its next GetRecords. */
  readonly idlePollMs?: number;
  /** How often the shards are listed again, to find the children of a closed shard. */
  readonly relistMs?: number;
  /** Retries of a failed batch before it is given up (the event source mapping's `retryAttempts`). */
  readonly retryAttempts?: number;
  /** First retry's delay; doubled per retry. */
  readonly retryBackoffMs?: number;
  /** Where each reader keeps its per-shard positions across restarts; absent: none are kept. */
  readonly checkpointDir?: string;
}

/** Where one reader is in one shard. */
interface ShardPosition {
  /** Sequence number of the last record handled (delivered, or given up on). */
  after?: string;
  /** Epoch ms the shard was taken up at its latest position, before any record was handled. */
  takenAt?: number;
  /** Read to its end. */
  done?: true;
}

interface CheckpointFile {
  readonly streamArn: string;
  readonly shards: Record<string, ShardPosition>;
}

/**
 * One reader's positions in one file, rewritten whole (write, then rename: a crash mid-write leaves the
 * previous file) after every page of records handled. Synchronous, so positions of concurrent shard
 * loops never interleave in one file.
 */
class Checkpoints {
  private readonly file: string;
  private shards: Record<string, ShardPosition> = {};

  constructor(
    dir: string,
    tableName: string,
    functionName: string,
    private readonly streamArn: string,
  ) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, `${encodeURIComponent(tableName)}.${functionName}.json`);
  }

  /** The positions saved for this stream; undefined when there are none (a first start, a new stream). */
  load(): Record<string, ShardPosition> | undefined {
    let saved: CheckpointFile;
    try {
      saved = JSON.parse(readFileSync(this.file, 'utf8')) as CheckpointFile;
    } catch {
      return undefined;
    }
    if (saved.streamArn !== this.streamArn || typeof saved.shards !== 'object') return undefined;
    this.shards = { ...saved.shards };
    return saved.shards;
  }

  set(shardId: string, position: ShardPosition): void {
    this.shards[shardId] = position;
    const file: CheckpointFile = { streamArn: this.streamArn, shards: this.shards };
    writeFileSync(`${this.file}.tmp`, JSON.stringify(file));
    renameSync(`${this.file}.tmp`, this.file);
  }
}

/** Where a shard loop starts: an iterator type, and for a resumed shard the record to start after. */
interface ShardStart {
  readonly type: ShardIteratorType;
  readonly after?: string;
  /** Records created before this (epoch ms) were seen before the restart's shard position was saved. */
  readonly skipBefore?: number;
}

/** What a stream reader runs: the manifest entries and their handlers (the real ones, unless a test says). */
export interface StreamConsumer {
  readonly entry: FunctionEntry<StreamTrigger>;
  readonly handler: StreamHandler;
}

export interface StreamReaders {
  readonly streamArn: string;
  /** Stops polling, lets the batches in hand finish, and resolves when every reader has stopped. */
  stop(): Promise<void>;
}

/** Local defaults: polls often, so that a revocation's event reaches its webhook well under 2 s. */
const DEFAULTS = { idlePollMs: 100, relistMs: 1000, retryAttempts: 3, retryBackoffMs: 100 } as const;
/** DynamoDB Streams' own maximum of records per GetRecords. */
const GET_RECORDS_LIMIT = 1000;
/** The first wait after a failed stream call (doubled up to the cap): DynamoDB Local may be restarting. */
const ERROR_BACKOFF_MS = 200;
const ERROR_BACKOFF_MAX_MS = 5000;

/** The real handler of every stream function of the manifest, built from `deps` as the server's routes. */
export function streamConsumers(deps: Dependencies): StreamConsumer[] {
  return STREAM_FUNCTIONS.map((entry) => ({ entry, handler: buildHandler<StreamHandler>(entry.name, deps) }));
}

/**
 * The table's latest stream ARN. A table made before the table had a stream (a `--data-dir` from an
 * older version) gets one, as the schema now declares.
 */
export async function tableStreamArn(client: DynamoDBClient, tableName: string): Promise<string> {
  const describe = () => client.send(new DescribeTableCommand({ TableName: tableName }));
  let table = (await describe()).Table;
  if (!table?.StreamSpecification?.StreamEnabled) {
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        StreamSpecification: createTableInput(tableName).StreamSpecification,
      }),
    );
    table = (await describe()).Table;
  }
  const arn = table?.LatestStreamArn;
  if (!arn) throw new Error(`table ${tableName} has no stream`);
  return arn;
}

/** Every shard of a stream, following DescribeStream's pages. */
async function listShards(streams: DynamoDBStreamsClient, streamArn: string): Promise<Shard[]> {
  const shards: Shard[] = [];
  let start: string | undefined;
  do {
    const page = await streams.send(
      new DescribeStreamCommand({
        StreamArn: streamArn,
        ...(start !== undefined && { ExclusiveStartShardId: start }),
      }),
    );
    shards.push(...(page.StreamDescription?.Shards ?? []));
    start = page.StreamDescription?.LastEvaluatedShardId;
  } while (start !== undefined);
  return shards;
}

/** Binary attributes as Lambda's JSON event carries them: base64 strings. */
function lambdaAttribute(value: SdkAttributeValue): unknown {
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.BS !== undefined) return { BS: value.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (value.L !== undefined) return { L: value.L.map(lambdaAttribute) };
  if (value.M !== undefined) return { M: lambdaImage(value.M) };
  return value;
}

function lambdaImage(image: Record<string, SdkAttributeValue>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, lambdaAttribute(value)]));
}

/**
 * A stream record in the shape Lambda hands a function (`DynamoDBRecord`): creation time in epoch
 * seconds, binary values base64, `eventSourceARN` the stream's ARN.
 */
export function lambdaRecord(record: SdkRecord, streamArn: string): DynamoDBRecord {
  const change = record.dynamodb ?? {};
  const image = (value: Record<string, SdkAttributeValue> | undefined) =>
    value && (lambdaImage(value) as NonNullable<DynamoDBRecord['dynamodb']>['NewImage']);
  return {
    eventID: record.eventID ?? '',
    eventName: record.eventName as DynamoDBRecord['eventName'],
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: process.env.AWS_REGION ?? 'us-east-1',
    dynamodb: {
      ...(change.ApproximateCreationDateTime !== undefined && {
        ApproximateCreationDateTime: Math.floor(change.ApproximateCreationDateTime.getTime() / 1000),
      }),
      ...(change.Keys && { Keys: image(change.Keys) }),
      ...(change.NewImage && { NewImage: image(change.NewImage) }),
      ...(change.OldImage && { OldImage: image(change.OldImage) }),
      ...(change.SequenceNumber !== undefined && { SequenceNumber: change.SequenceNumber }),
      ...(change.SizeBytes !== undefined && { SizeBytes: change.SizeBytes }),
      ...(change.StreamViewType !== undefined && { StreamViewType: change.StreamViewType }),
    },
    eventSourceARN: streamArn,
  };
}

/** An abortable pause: resolves early (never rejects) when the reader stops. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

const errorName = (error: unknown) => (error instanceof Error ? error.name : typeof error);

/**
 * One event source mapping: a stream function, its filters and batch size, and a loop per shard. Records
 * of a shard go to the function one batch at a time, in stream order; a parent shard is read to its end
 * before its children start, so the changes of one item stay in order across a shard split.
 */
class Mapping {
  private readonly shardLoops = new Map<string, Promise<void>>();
  private readonly finished = new Set<string>();
  private relistNow: (() => void) | undefined;

  constructor(
    private readonly consumer: StreamConsumer,
    private readonly streams: DynamoDBStreamsClient,
    private readonly streamArn: string,
    private readonly options: Required<
      Omit<StreamReaderOptions, 'endpoint' | 'accessKeyId' | 'tableName' | 'checkpointDir'>
    >,
    private readonly signal: AbortSignal,
    private readonly checkpoints: Checkpoints | undefined,
  ) {}

  private get name() {
    return this.consumer.entry.name;
  }

  /**
   * Takes the shards there are now from their latest position (a restart on a kept `--data-dir` does not
   * replay history), then keeps listing: shards found later are read from their start. Resolves once the
   * first iterators are in hand, so a write made after it is seen, with `running`, which settles once the
   * mapping has stopped.
   */
  async start(): Promise<{ running: Promise<void> }> {
    const shards = await listShards(this.streams, this.streamArn);
    const saved = this.checkpoints?.load();
    if (saved) return this.resume(shards, saved);
    const open = shards.filter((shard) => shard.SequenceNumberRange?.EndingSequenceNumber === undefined);
    // Closed shards hold history only: nothing after LATEST can come in them.
    for (const shard of shards) {
      if (open.includes(shard) || !shard.ShardId) continue;
      this.finished.add(shard.ShardId);
      this.checkpoints?.set(shard.ShardId, { done: true });
    }
    const takenAt = Date.now();
    const iterators = await Promise.all(
      open.map(async (shard) => [shard, await this.iterator(shard.ShardId ?? '', 'LATEST')] as const),
    );
    for (const [shard, iterator] of iterators) {
      this.checkpoints?.set(shard.ShardId ?? '', { takenAt });
      this.readShard(shard, { type: 'LATEST' }, iterator);
    }
    return { running: this.keepListing() };
  }

  /**
   * A restart: each shard saved resumes after its last record handled; one taken up at LATEST that had
   * no record yet is read from its start, skipping what was written before it was taken up (a second of
   * slack: creation times are approximate, and a record seen twice is a duplicate its consumer drops,
   * where one missed is lost). Shards not saved appeared since and are found by the listing, from their
   * start, after their parents.
   */
  private resume(shards: readonly Shard[], saved: Record<string, ShardPosition>): { running: Promise<void> } {
    for (const shard of shards) {
      const id = shard.ShardId;
      const position = id === undefined ? undefined : saved[id];
      if (!id || !position) continue;
      if (position.done) this.finished.add(id);
      else if (position.after !== undefined) {
        this.readShard(shard, { type: 'AFTER_SEQUENCE_NUMBER', after: position.after });
      } else {
        this.readShard(shard, { type: 'TRIM_HORIZON', skipBefore: (position.takenAt ?? 0) - 1000 });
      }
    }
    return { running: this.keepListing() };
  }

  private async keepListing(): Promise<void> {
    let failures = 0;
    while (!this.signal.aborted) {
      await new Promise<void>((resolve) => {
        this.relistNow = resolve;
        void pause(this.options.relistMs, this.signal).then(resolve);
      });
      if (this.signal.aborted) break;
      try {
        const shards = await listShards(this.streams, this.streamArn);
        failures = 0;
        const known = new Set(shards.map((shard) => shard.ShardId));
        for (const shard of shards) {
          const id = shard.ShardId;
          if (!id || this.shardLoops.has(id) || this.finished.has(id)) continue;
          // A child waits for its parent to be read to its end, unless the parent has been trimmed away.
          const parent = shard.ParentShardId;
          if (parent !== undefined && known.has(parent) && !this.finished.has(parent)) continue;
          this.readShard(shard, { type: 'TRIM_HORIZON' });
        }
      } catch (error) {
        failures++;
        if (this.signal.aborted) break;
        logger.warn('stream listing failed', { stream: { function: this.name, error: errorName(error) } });
        await pause(Math.min(ERROR_BACKOFF_MS * 2 ** failures, ERROR_BACKOFF_MAX_MS), this.signal);
      }
    }
    await Promise.all(this.shardLoops.values());
  }

  private async iterator(shardId: string, type: ShardIteratorType, sequenceNumber?: string) {
    const result = await this.streams.send(
      new GetShardIteratorCommand({
        StreamArn: this.streamArn,
        ShardId: shardId,
        ShardIteratorType: type,
        ...(sequenceNumber !== undefined && { SequenceNumber: sequenceNumber }),
      }),
      { abortSignal: this.signal },
    );
    return result.ShardIterator;
  }

  private readShard(shard: Shard, start: ShardStart, first?: string): void {
    const id = shard.ShardId ?? '';
    const loop = this.shardLoop(id, start, first).finally(() => {
      // Stopped is not finished: a restart resumes the shard.
      if (this.signal.aborted) return;
      this.finished.add(id);
      this.shardLoops.delete(id);
      // Its children can start now rather than at the next listing.
      this.relistNow?.();
    });
    this.shardLoops.set(id, loop);
  }

  private async shardLoop(shardId: string, start: ShardStart, first?: string): Promise<void> {
    let iterator = first;
    // The last record handled (delivered, or given up on): where to resume after an error.
    let handled = start.after;
    const startAt = start.type === 'AFTER_SEQUENCE_NUMBER' ? 'TRIM_HORIZON' : start.type;
    let failures = 0;
    while (!this.signal.aborted) {
      try {
        // After an error or an expired iterator: resume right after the last record handled; before any
        // record, from where the shard was taken up.
        iterator ??= await (handled === undefined
          ? this.iterator(shardId, startAt)
          : this.iterator(shardId, 'AFTER_SEQUENCE_NUMBER', handled));
        if (iterator === undefined) return;
        const page = await this.streams.send(
          new GetRecordsCommand({ ShardIterator: iterator, Limit: GET_RECORDS_LIMIT }),
          { abortSignal: this.signal },
        );
        failures = 0;
        const records = page.Records ?? [];
        if (records.length > 0) {
          const skip = start.skipBefore;
          const fresh =
            skip === undefined || handled !== undefined
              ? records
              : records.filter((r) => (r.dynamodb?.ApproximateCreationDateTime?.getTime() ?? skip) >= skip);
          await this.deliver(shardId, fresh);
          handled = records.at(-1)?.dynamodb?.SequenceNumber ?? handled;
          if (handled !== undefined) this.checkpoints?.set(shardId, { after: handled });
        }
        // No next iterator: the shard is closed and read to its end.
        if (page.NextShardIterator === undefined) {
          this.checkpoints?.set(shardId, { done: true });
          return;
        }
        iterator = page.NextShardIterator;
        if (records.length === 0) await pause(this.options.idlePollMs, this.signal);
      } catch (error) {
        if (this.signal.aborted) return;
        failures++;
        iterator = undefined;
        logger.warn('stream read failed', {
          stream: { function: this.name, shardId, error: errorName(error), resumeAfter: handled ?? startAt },
        });
        await pause(Math.min(ERROR_BACKOFF_MS * 2 ** failures, ERROR_BACKOFF_MAX_MS), this.signal);
      }
    }
  }

  /** The records of one GetRecords, filtered, in batches of the entry's size, one after the other. */
  private async deliver(shardId: string, records: readonly SdkRecord[]): Promise<void> {
    const { filters, batchSize } = this.consumer.entry.trigger;
    const passing = records
      .map((record) => lambdaRecord(record, this.streamArn))
      .filter((record) => passesFilters(filters, record));
    for (let i = 0; i < passing.length; i += batchSize) {
      await this.invokeWithRetries(shardId, passing.slice(i, i + batchSize));
    }
  }

  /**
   * Invokes the function with a batch; on a partial failure, again from the first failed record (a thrown
   * error or an unknown item identifier fails the whole batch), `retryAttempts` times with a growing
   * pause; then gives the rest up with one on-failure line, as the mapping's on-failure destination does.
   * Stopping does not cut a retry short: the batch in hand is finished first.
   */
  private async invokeWithRetries(shardId: string, batch: DynamoDBRecord[]): Promise<void> {
    let pending = batch;
    for (let attempt = 0; ; attempt++) {
      const failedFrom = await this.invoke(pending);
      if (failedFrom === undefined) return;
      pending = pending.slice(failedFrom);
      if (attempt >= this.options.retryAttempts) {
        this.onFailure(shardId, pending, attempt);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, this.options.retryBackoffMs * 2 ** attempt));
    }
  }

  /** One invocation; the index of the first record to retry from, undefined when the batch succeeded. */
  private async invoke(batch: DynamoDBRecord[]): Promise<number | undefined> {
    const requestId = randomUUID();
    let response: DynamoDBBatchResponse | undefined;
    try {
      response = await invocations.run({ functionName: this.name, requestId }, () =>
        this.consumer.handler({ Records: batch }, lambdaContext(this.consumer.entry, requestId)),
      );
    } catch (error) {
      logger.warn('stream invocation failed', { stream: { function: this.name, error: errorName(error) } });
      return 0;
    }
    const failures = response?.batchItemFailures ?? [];
    if (failures.length === 0) return undefined;
    const positions = failures.map((failure) =>
      batch.findIndex((record) => record.dynamodb?.SequenceNumber === failure.itemIdentifier),
    );
    // Lambda treats a missing or unknown identifier as the whole batch failing.
    return positions.some((position) => position < 0) ? 0 : Math.min(...positions);
  }

  /**
   * The local on-failure queue: one log line with what Lambda's on-failure destination receives for a
   * stream batch (its position in the stream, never the records themselves: they hold token ids and
   * subjects).
   */
  private onFailure(shardId: string, records: DynamoDBRecord[], retries: number): void {
    const created = (record: DynamoDBRecord | undefined) => record?.dynamodb?.ApproximateCreationDateTime;
    const firstCreated = created(records[0]);
    const lastCreated = created(records.at(-1));
    logger.error('on-failure', {
      onFailure: {
        function: this.name,
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: retries + 1,
        DDBStreamBatchInfo: {
          shardId,
          startSequenceNumber: records[0]?.dynamodb?.SequenceNumber,
          endSequenceNumber: records.at(-1)?.dynamodb?.SequenceNumber,
          ...(firstCreated !== undefined && {
            approximateArrivalOfFirstRecord: new Date(firstCreated * 1000).toISOString(),
          }),
          ...(lastCreated !== undefined && {
            approximateArrivalOfLastRecord: new Date(lastCreated * 1000).toISOString(),
          }),
          batchSize: records.length,
          streamArn: this.streamArn,
        },
      },
    });
  }
}

/**
 * Starts one reader per consumer given (`streamConsumers`: every stream function of the manifest) on the
 * table's stream. Resolves once each holds its first shard iterators, so every write made after that
 * reaches them.
 */
export async function startStreamReaders(
  options: StreamReaderOptions,
  consumers: readonly StreamConsumer[],
): Promise<StreamReaders> {
  const settings = {
    idlePollMs: options.idlePollMs ?? DEFAULTS.idlePollMs,
    relistMs: options.relistMs ?? DEFAULTS.relistMs,
    retryAttempts: options.retryAttempts ?? DEFAULTS.retryAttempts,
    retryBackoffMs: options.retryBackoffMs ?? DEFAULTS.retryBackoffMs,
  };
  const dynamo = localDynamoClient(options.endpoint, options.accessKeyId);
  // The reader retries on its own, resuming after the last record handled.
  const streams = localStreamsClient(options.endpoint, 1, options.accessKeyId);
  const controller = new AbortController();
  try {
    const streamArn = await tableStreamArn(dynamo, options.tableName);
    const mappings = consumers.map(
      (consumer) =>
        new Mapping(
          consumer,
          streams,
          streamArn,
          settings,
          controller.signal,
          options.checkpointDir === undefined
            ? undefined
            : new Checkpoints(options.checkpointDir, options.tableName, consumer.entry.name, streamArn),
        ),
    );
    const running = await Promise.all(mappings.map((mapping) => mapping.start()));
    return {
      streamArn,
      stop: async () => {
        controller.abort();
        await Promise.all(running.map((mapping) => mapping.running));
        streams.destroy();
        dynamo.destroy();
      },
    };
  } catch (error) {
    controller.abort();
    streams.destroy();
    dynamo.destroy();
    throw error;
  }
}
