/**
 * The DynamoDB adapter of `AdminStore`: the admin routes' clients (create, rotate, delete, list), their
 * cut-offs and subjects' cut-offs, and idempotency records. It extends the request path's adapter, since
 * admin routes also mint and revoke tokens. One per process.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { InvalidInput } from '../domain/errors.ts';
import type { RevocationMark } from '../domain/events.ts';
import type { IdempotencyRecord } from '../domain/idempotency.ts';
import type {
  AdminStore,
  Client,
  ClientPage,
  PendingCreate,
  RotationOutcome,
  SecretRotation,
  SubjectCutoff,
} from '../domain/model.ts';
import {
  ATTR,
  CLIENT_KEY_PREFIX,
  CLIENT_REGISTRY,
  PARTITION_KEY,
  REGISTRY_INDEX,
  SUBJECT_INDEX,
} from '../schema.ts';
import { conditionFailed, ITEM_IS_NEW } from './adapter.ts';
import { setClause, setNames, setValues } from './expressions.ts';
import {
  clientKey,
  clientToItem,
  type Item,
  idempotencyFromItem,
  idempotencyKey,
  idempotencyToItem,
  liveClientFromItem,
  markAttributes,
  subjectKey,
} from './items.ts';
import { RequestDynamoStore } from './request-store.ts';

/** A client that exists and is not a deleted client's tombstone. */
const CLIENT_LIVE = 'attribute_exists(#pk) AND attribute_not_exists(#deleted)';
const CLIENT_LIVE_NAMES = { '#pk': PARTITION_KEY, '#deleted': ATTR.deletedAt };
/**
 * Every attribute a client item has besides its key: a deletion removes them all, leaving the tombstone
 * (who deleted it and when), as a PutItem of the tombstone would, but in an update that can keep the first
 * deletion's mark when the client is deleted again.
 */
const CLIENT_ONLY = [
  ATTR.name,
  ATTR.public,
  ATTR.secretHash,
  ATTR.previousSecretHash,
  ATTR.previousSecretExpiresAt,
  ATTR.unconfirmedPreviousSecretHash,
  ATTR.rotationNonce,
  ATTR.createNonce,
  ATTR.grantTypes,
  ATTR.scopes,
  ATTR.accessTokenTtl,
  ATTR.refreshTokenTtl,
  ATTR.createdAt,
  ATTR.refreshTokenRotation,
  ATTR.refreshTokenReuseGraceSeconds,
  ATTR.tokensRevokedBefore,
  // [v3] Out of the registry index: a tombstone is never listed.
  ATTR.registry,
  ATTR.registryOrder,
];

/** The DynamoDB adapter of the admin routes' port (and the request path's, which it extends). */
export class AdminDynamoStore extends RequestDynamoStore implements AdminStore {
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
   * One transaction: the idempotency record, if its key is free (absent or expired), and the client.
   * A racing transaction on the same key cancels this one with a conflict rather than a failed condition;
   * both mean "the key is taken", which the caller resolves by reading the record.
   */
  async createClientOnce(client: Client, record: IdempotencyRecord, nowSeconds: number): Promise<boolean> {
    return this.createWithIdempotencyRecord(
      idempotencyToItem(record),
      { Item: clientToItem(client), ...ITEM_IS_NEW },
      nowSeconds,
    );
  }

  async getIdempotencyRecord(keyHash: string): Promise<IdempotencyRecord | undefined> {
    const Item = await this.getItem(idempotencyKey(keyHash));
    return Item && idempotencyFromItem(Item);
  }

  /**
   * Replaces the client with a tombstone (no secret, nothing a read would take for a client) recording who
   * deleted it: a DeleteItem could not carry the actor to the stream. TTL removes it at once.
   */
  async deleteClient(clientId: string, mark: RevocationMark): Promise<boolean> {
    // The first deletion's mark stays; a later one only asks for the client's tokens to be swept again.
    const before = await this.markOnceAndResweep(
      clientKey(clientId),
      ATTR.deletedAt,
      markAttributes(mark),
      mark.at,
      {
        also: { [ATTR.expiresAt]: Math.floor(mark.at / 1000) },
        remove: CLIENT_ONLY,
      },
    );
    // Deleted before this call: no client was deleted now, only the re-sweep asked for.
    return before !== undefined && before[ATTR.deletedAt] === undefined;
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

  /**
   * One page of the registry index's client partition (keys only), then the page's items read whole and
   * consistently by key: the index may lag a create or a delete by a moment; the items decide.
   */
  async listClients(limit: number, cursor?: string): Promise<ClientPage> {
    const startKey = cursor === undefined ? undefined : decodeClientCursor(cursor);
    const page = await this.call((o) =>
      this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: REGISTRY_INDEX.indexName,
          KeyConditionExpression: '#registry = :client',
          ExpressionAttributeNames: { '#registry': ATTR.registry },
          ExpressionAttributeValues: { ':client': CLIENT_REGISTRY },
          Limit: limit,
          ...(startKey !== undefined && { ExclusiveStartKey: startKey }),
        }),
        o,
      ),
    );
    const keys = (page.Items ?? []).map((item) => ({ [PARTITION_KEY]: item[PARTITION_KEY] }));
    const found = keys.length === 0 ? new Map<string, Item>() : await this.batchGet(keys);
    const clients = keys
      .map((key) => liveClientFromItem(found.get(String(key[PARTITION_KEY]))))
      .filter((client): client is Client => client !== undefined);
    const last = page.LastEvaluatedKey;
    return {
      clients,
      ...(last !== undefined && {
        cursor: encodeClientCursor(String(last[PARTITION_KEY])),
      }),
    };
  }

  async cutOffSubject(cutoff: SubjectCutoff, mark: RevocationMark, mirrorKey?: string): Promise<void> {
    const who = {
      ...markAttributes(mark),
      ...(cutoff.subject !== undefined && { [ATTR.subject]: cutoff.subject }),
    };
    // Never move a cut-off back, nor shorten how long it is kept.
    const update = (key: string, attributes: Item) => ({
      TableName: this.tableName,
      Key: subjectKey(key),
      UpdateExpression: `SET #before = :before, #exp = :exp, ${setClause(attributes)}`,
      ConditionExpression: 'attribute_not_exists(#before) OR #before <= :before',
      ExpressionAttributeNames: {
        '#before': ATTR.tokensRevokedBefore,
        '#exp': ATTR.expiresAt,
        ...setNames(attributes),
      },
      ExpressionAttributeValues: {
        ':before': cutoff.tokensRevokedBefore,
        ':exp': cutoff.expiresAt,
        ...setValues(attributes),
      },
    });
    const primary = update(cutoff.subjectKey, who);
    const single = async (params: ReturnType<typeof update>): Promise<void> => {
      await this.call((o) => this.doc.send(new UpdateCommand(params), o)).catch((error: unknown) => {
        if (!conditionFailed(error)) throw error;
      });
    };
    if (mirrorKey === undefined) return single(primary);
    // The mirror names the keyed item it copies, which keeps it out of the stream's revocations.
    const mirror = update(mirrorKey, { ...who, [ATTR.mirrorOf]: cutoff.subjectKey });
    try {
      await this.call((o) =>
        this.doc.send(
          new TransactWriteCommand({ TransactItems: [{ Update: primary }, { Update: mirror }] }),
          o,
        ),
      );
    } catch (error) {
      if (!conditionFailed(error)) throw error;
      // One of them holds a later cut-off already: each moves forward on its own, or stays.
      await single(primary);
      await single(mirror);
    }
  }

  async hasTokensOfSubject(key: string): Promise<boolean> {
    const page = await this.call((o) =>
      this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: SUBJECT_INDEX.indexName,
          KeyConditionExpression: '#k = :v',
          ExpressionAttributeNames: { '#k': SUBJECT_INDEX.partitionKey },
          ExpressionAttributeValues: { ':v': key },
          Limit: 1,
        }),
        o,
      ),
    );
    return (page.Items ?? []).length > 0;
  }
}

/**
 * A client page's position as the opaque cursor the admin API hands out: the last client id of the page,
 * base64url. The registry key it stands for is rebuilt here, so a caller cannot aim the query elsewhere.
 */
function encodeClientCursor(pk: string): string {
  return Buffer.from(pk.slice(CLIENT_KEY_PREFIX.length), 'utf8').toString('base64url');
}
const CLIENT_ID = /^[A-Za-z0-9_-]{1,128}$/;
function decodeClientCursor(cursor: string): Item {
  const clientId = /^[A-Za-z0-9_-]{1,200}$/.test(cursor)
    ? Buffer.from(cursor, 'base64url').toString('utf8')
    : '';
  if (!CLIENT_ID.test(clientId) || encodeClientCursor(`${CLIENT_KEY_PREFIX}${clientId}`) !== cursor) {
    throw new InvalidInput('cursor', 'is not a cursor this API handed out');
  }
  const pk = `${CLIENT_KEY_PREFIX}${clientId}`;
  return { [PARTITION_KEY]: pk, [ATTR.registry]: CLIENT_REGISTRY, [ATTR.registryOrder]: pk };
}
