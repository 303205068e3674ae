import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { InvalidInput } from '../domain/errors.ts';
import type { Delivery, Stream, StreamStatus } from '../domain/ssf.ts';
import type { AttemptUpdate, SetPage, SsfStore, StoredSet } from '../domain/ssf-delivery.ts';
import {
  SSF_ATTR as A,
  PARTITION_KEY,
  SSF_QUEUE_INDEX,
  SSF_RECEIVED_KEY_PREFIX,
  SSF_SET_KEY_PREFIX,
  SSF_STREAM_KEY_PREFIX,
  TTL_ATTRIBUTE,
} from '../schema.ts';
import { DynamoAdapter, type DynamoAdapterOptions } from './adapter.ts';

type Item = Record<string, unknown>;

/** The queue index partition of every stream. */
const STREAMS = 'streams';
/** The queue index partition of the dead letters. */
const DEAD = 'dead';
const pendingQueue = (streamId: string) => `set#${streamId}`;
/** Fixed width, so the index's string order is time order. */
const pad = (ms: number) => Math.max(0, Math.floor(ms)).toString().padStart(15, '0');
const streamKey = (streamId: string) => ({ [PARTITION_KEY]: `${SSF_STREAM_KEY_PREFIX}${streamId}` });
const setKey = (jti: string) => ({ [PARTITION_KEY]: `${SSF_SET_KEY_PREFIX}${jti}` });
const receivedKey = (issuerId: string, jtiHash: string) => ({
  [PARTITION_KEY]: `${SSF_RECEIVED_KEY_PREFIX}${issuerId}#${jtiHash}`,
});
const BATCH_GET_LIMIT = 100;

interface StoredConfig {
  readonly delivery: Delivery;
  readonly events_requested?: readonly string[];
}

function streamToItem(stream: Stream): Item {
  const config: StoredConfig = {
    delivery: stream.delivery,
    ...(stream.eventsRequested !== undefined && { events_requested: stream.eventsRequested }),
  };
  return {
    ...streamKey(stream.streamId),
    [A.ssfQueue]: STREAMS,
    [A.ssfOrder]: `${stream.receiver}#${stream.streamId}`,
    [A.ssfStreamId]: stream.streamId,
    [A.ssfReceiver]: stream.receiver,
    [A.ssfConfig]: JSON.stringify(config),
    [A.ssfStatus]: stream.status,
    [A.ssfReason]: stream.reason,
    [A.ssfExcluded]: JSON.stringify(stream.excluded),
    [A.ssfGeneration]: stream.generation,
    [A.ssfVersion]: stream.version,
    [A.ssfCreatedAt]: stream.createdAt,
  };
}

function streamFromItem(item: Item | undefined): Stream | undefined {
  if (!item || typeof item[A.ssfConfig] !== 'string') return undefined;
  const config = JSON.parse(item[A.ssfConfig] as string) as StoredConfig;
  return {
    streamId: item[A.ssfStreamId] as string,
    receiver: item[A.ssfReceiver] as string,
    delivery: config.delivery,
    ...(config.events_requested !== undefined && { eventsRequested: config.events_requested }),
    status: item[A.ssfStatus] as StreamStatus,
    ...(typeof item[A.ssfReason] === 'string' && { reason: item[A.ssfReason] as string }),
    excluded: JSON.parse((item[A.ssfExcluded] as string | undefined) ?? '[]') as string[],
    generation: Number(item[A.ssfGeneration] ?? 0),
    version: Number(item[A.ssfVersion] ?? 0),
    createdAt: Number(item[A.ssfCreatedAt] ?? 0),
  };
}

function setToItem(set: StoredSet): Item {
  return {
    ...setKey(set.jti),
    [A.ssfQueue]: pendingQueue(set.streamId),
    [A.ssfOrder]: `${pad(set.time)}#${set.jti}`,
    [A.ssfStreamId]: set.streamId,
    [A.ssfJwt]: set.jwt,
    [A.ssfTxn]: set.txn,
    [A.ssfTime]: set.time,
    [A.ssfGeneration]: set.generation,
    [A.ssfCreatedAt]: set.createdAt,
    [TTL_ATTRIBUTE]: set.expiresAt,
    [A.ssfAttempts]: set.attempts,
  };
}

function setFromItem(item: Item): StoredSet {
  const pk = item[PARTITION_KEY] as string;
  const optional = (name: string) => (typeof item[name] === 'number' ? (item[name] as number) : undefined);
  const first = optional(A.ssfFirstAttemptAt);
  const next = optional(A.ssfNextAttemptAt);
  const dead = optional(A.ssfDeadAt);
  return {
    jti: pk.slice(SSF_SET_KEY_PREFIX.length),
    streamId: item[A.ssfStreamId] as string,
    jwt: item[A.ssfJwt] as string,
    ...(typeof item[A.ssfTxn] === 'string' && { txn: item[A.ssfTxn] as string }),
    time: Number(item[A.ssfTime] ?? 0),
    generation: Number(item[A.ssfGeneration] ?? 0),
    createdAt: Number(item[A.ssfCreatedAt] ?? 0),
    expiresAt: Number(item[TTL_ATTRIBUTE] ?? 0),
    attempts: Number(item[A.ssfAttempts] ?? 0),
    ...(first !== undefined && { firstAttemptAt: first }),
    ...(next !== undefined && { nextAttemptAt: next }),
    ...(typeof item[A.ssfLastError] === 'string' && { lastError: item[A.ssfLastError] as string }),
    ...(dead !== undefined && { deadAt: dead }),
  };
}

/** An opaque page cursor: the index's LastEvaluatedKey, base64url JSON. */
function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key && Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeCursor(cursor: string | undefined): Record<string, unknown> | undefined {
  if (cursor === undefined) return undefined;
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown;
    if (typeof key === 'object' && key !== null && !Array.isArray(key)) {
      const values = Object.values(key);
      if (values.length === 3 && values.every((v) => typeof v === 'string'))
        return key as Record<string, unknown>;
    }
  } catch {}
  throw new InvalidInput('cursor', 'is not a cursor this service gave');
}

export type SsfDynamoStoreOptions = DynamoAdapterOptions;

/** The SSF store on DynamoDB. One per process. */
export class SsfDynamoStore extends DynamoAdapter implements SsfStore {
  /** Items by key, consistently, in the order of `keys`; absent ones left out. */
  private async getMany(keys: Record<string, unknown>[]): Promise<Item[]> {
    const found = new Map<string, Item>();
    for (let i = 0; i < keys.length; i += BATCH_GET_LIMIT) {
      for (const [key, item] of await this.batchGet(keys.slice(i, i + BATCH_GET_LIMIT))) found.set(key, item);
    }
    return keys.map((key) => found.get(key[PARTITION_KEY] as string)).filter((item): item is Item => !!item);
  }

  /** One page of the queue index. */
  private async queryIndex(
    queue: string,
    prefix: string | undefined,
    limit: number | undefined,
    start: Record<string, unknown> | undefined,
  ) {
    return this.call((o) =>
      this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: SSF_QUEUE_INDEX.indexName,
          KeyConditionExpression: prefix === undefined ? '#q = :q' : '#q = :q AND begins_with(#o, :p)',
          ExpressionAttributeNames: { '#q': A.ssfQueue, ...(prefix !== undefined && { '#o': A.ssfOrder }) },
          ExpressionAttributeValues: { ':q': queue, ...(prefix !== undefined && { ':p': prefix }) },
          ...(limit !== undefined && { Limit: limit }),
          ...(start !== undefined && { ExclusiveStartKey: start }),
        }),
        o,
      ),
    );
  }

  createStream(stream: Stream): Promise<boolean> {
    return this.conditional((o) =>
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: streamToItem(stream),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY },
        }),
        o,
      ),
    );
  }

  async getStream(streamId: string): Promise<Stream | undefined> {
    const { Item } = await this.call((o) =>
      this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: streamKey(streamId), ConsistentRead: true }),
        o,
      ),
    );
    return streamFromItem(Item);
  }

  async listStreams(receiver?: string): Promise<Stream[]> {
    const keys: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.queryIndex(
        STREAMS,
        receiver === undefined ? undefined : `${receiver}#`,
        undefined,
        start,
      );
      for (const item of page.Items ?? []) keys.push({ [PARTITION_KEY]: item[PARTITION_KEY] });
      start = page.LastEvaluatedKey;
    } while (start);
    return (await this.getMany(keys))
      .map(streamFromItem)
      .filter(
        (stream): stream is Stream => !!stream && (receiver === undefined || stream.receiver === receiver),
      );
  }

  updateStream(stream: Stream): Promise<boolean> {
    const item = streamToItem(stream);
    const names: Record<string, string> = { '#v': A.ssfVersion };
    const values: Record<string, unknown> = { ':old': stream.version - 1 };
    const sets: string[] = [];
    const removes: string[] = [];
    for (const name of [
      A.ssfConfig,
      A.ssfStatus,
      A.ssfReason,
      A.ssfExcluded,
      A.ssfGeneration,
      A.ssfVersion,
    ]) {
      const alias = `#${name}`;
      names[alias] = name;
      if (item[name] === undefined) removes.push(alias);
      else {
        sets.push(`${alias} = :${name}`);
        values[`:${name}`] = item[name];
      }
    }
    return this.conditional((o) =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: streamKey(stream.streamId),
          UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: '#v = :old',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
        o,
      ),
    );
  }

  deleteStream(streamId: string, receiver: string): Promise<boolean> {
    return this.conditional((o) =>
      this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: streamKey(streamId),
          ConditionExpression: '#r = :r',
          ExpressionAttributeNames: { '#r': A.ssfReceiver },
          ExpressionAttributeValues: { ':r': receiver },
        }),
        o,
      ),
    );
  }

  putSet(set: StoredSet): Promise<boolean> {
    return this.conditional((o) =>
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: setToItem(set),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY },
        }),
        o,
      ),
    );
  }

  async pendingSets(streamId: string, limit: number): Promise<{ sets: StoredSet[]; more: boolean }> {
    const queue = pendingQueue(streamId);
    const page = await this.queryIndex(queue, undefined, limit, undefined);
    const keys = (page.Items ?? []).map((item) => ({ [PARTITION_KEY]: item[PARTITION_KEY] }));
    const sets = (await this.getMany(keys))
      .filter((item) => item[A.ssfQueue] === queue && (item[TTL_ATTRIBUTE] as number) * 1000 > Date.now())
      .map(setFromItem);
    return { sets, more: page.LastEvaluatedKey !== undefined };
  }

  deleteSet(jti: string, streamId: string): Promise<boolean> {
    return this.conditional((o) =>
      this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: setKey(jti),
          ConditionExpression: '#s = :s',
          ExpressionAttributeNames: { '#s': A.ssfStreamId },
          ExpressionAttributeValues: { ':s': streamId },
        }),
        o,
      ),
    );
  }

  async recordAttempt(set: StoredSet, update: AttemptUpdate): Promise<void> {
    const names = {
      '#pk': PARTITION_KEY,
      '#a': A.ssfAttempts,
      '#f': A.ssfFirstAttemptAt,
      '#n': A.ssfNextAttemptAt,
      '#e': A.ssfLastError,
    };
    // A SET acknowledged or delivered meanwhile stays gone: the condition keeps the update from re-creating it.
    await this.conditional((o) =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: setKey(set.jti),
          UpdateExpression:
            update.lastError === undefined
              ? 'SET #a = :a, #f = :f, #n = :n REMOVE #e'
              : 'SET #a = :a, #f = :f, #n = :n, #e = :e',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: {
            ':a': update.attempts,
            ':f': update.firstAttemptAt,
            ':n': update.nextAttemptAt,
            ...(update.lastError !== undefined && { ':e': update.lastError.slice(0, 200) }),
          },
        }),
        o,
      ),
    );
  }

  async killSet(set: StoredSet, at: number, expiresAt: number): Promise<void> {
    await this.conditional((o) =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: setKey(set.jti),
          UpdateExpression: 'SET #q = :dead, #o = :order, #d = :at, #x = :x',
          ConditionExpression: '#q = :pending',
          ExpressionAttributeNames: {
            '#q': A.ssfQueue,
            '#o': A.ssfOrder,
            '#d': A.ssfDeadAt,
            '#x': TTL_ATTRIBUTE,
          },
          ExpressionAttributeValues: {
            ':dead': DEAD,
            ':pending': pendingQueue(set.streamId),
            ':order': `${set.streamId}#${pad(at)}#${set.jti}`,
            ':at': at,
            ':x': expiresAt,
          },
        }),
        o,
      ),
    );
  }

  async deadLetters(streamId: string | undefined, limit: number, cursor?: string): Promise<SetPage> {
    const page = await this.queryIndex(
      DEAD,
      streamId === undefined ? undefined : `${streamId}#`,
      limit,
      decodeCursor(cursor),
    );
    const keys = (page.Items ?? []).map((item) => ({ [PARTITION_KEY]: item[PARTITION_KEY] }));
    const sets = (await this.getMany(keys)).filter((item) => item[A.ssfQueue] === DEAD).map(setFromItem);
    const next = encodeCursor(page.LastEvaluatedKey);
    return { sets, ...(next !== undefined && { cursor: next }) };
  }

  async reviveSet(jti: string, expiresAt: number): Promise<StoredSet | undefined> {
    const { Item } = await this.call((o) =>
      this.doc.send(new GetCommand({ TableName: this.tableName, Key: setKey(jti), ConsistentRead: true }), o),
    );
    if (!Item || Item[A.ssfQueue] !== DEAD) return undefined;
    const set = setFromItem(Item);
    const revived = await this.conditional((o) =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: setKey(jti),
          UpdateExpression: 'SET #q = :q, #o = :o, #a = :zero, #x = :x REMOVE #f, #n, #e, #d',
          ConditionExpression: '#q = :dead',
          ExpressionAttributeNames: {
            '#q': A.ssfQueue,
            '#o': A.ssfOrder,
            '#a': A.ssfAttempts,
            '#x': TTL_ATTRIBUTE,
            '#f': A.ssfFirstAttemptAt,
            '#n': A.ssfNextAttemptAt,
            '#e': A.ssfLastError,
            '#d': A.ssfDeadAt,
          },
          ExpressionAttributeValues: {
            ':q': pendingQueue(set.streamId),
            ':o': `${pad(set.time)}#${jti}`,
            ':zero': 0,
            ':x': expiresAt,
            ':dead': DEAD,
          },
        }),
        o,
      ),
    );
    return revived ? { ...set, attempts: 0, expiresAt } : undefined;
  }

  acquireLease(streamId: string, now: number, until: number): Promise<boolean> {
    return this.conditional((o) =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: streamKey(streamId),
          UpdateExpression: 'SET #l = :until',
          ConditionExpression: 'attribute_exists(#pk) AND (attribute_not_exists(#l) OR #l < :now)',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#l': A.ssfLeaseUntil },
          ExpressionAttributeValues: { ':until': until, ':now': now },
        }),
        o,
      ),
    );
  }

  async releaseLease(streamId: string, until: number): Promise<void> {
    await this.conditional((o) =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: streamKey(streamId),
          UpdateExpression: 'REMOVE #l',
          ConditionExpression: '#l = :until',
          ExpressionAttributeNames: { '#l': A.ssfLeaseUntil },
          ExpressionAttributeValues: { ':until': until },
        }),
        o,
      ),
    );
  }

  /** [v3] The receiver's record of a SET it processed (`ReceivedSets`). */
  async received(issuerId: string, jtiHash: string): Promise<boolean> {
    const { Item } = await this.call((o) =>
      this.doc.send(
        new GetCommand({
          TableName: this.tableName,
          Key: receivedKey(issuerId, jtiHash),
          ConsistentRead: true,
        }),
        o,
      ),
    );
    return Item !== undefined && Number(Item[TTL_ATTRIBUTE]) > Date.now() / 1000;
  }

  async remember(issuerId: string, jtiHash: string, expiresAt: number): Promise<void> {
    await this.call((o) =>
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...receivedKey(issuerId, jtiHash), [TTL_ATTRIBUTE]: expiresAt },
        }),
        o,
      ),
    );
  }

  scheduleWake(streamId: string, at: number, now: number): Promise<boolean> {
    return this.conditional((o) =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: streamKey(streamId),
          UpdateExpression: 'SET #w = :at',
          ConditionExpression:
            'attribute_exists(#pk) AND (attribute_not_exists(#w) OR #w <= :now OR #w > :at)',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#w': A.ssfWakeAt },
          ExpressionAttributeValues: { ':at': at, ':now': now },
        }),
        o,
      ),
    );
  }
}
