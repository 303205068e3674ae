import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { InvalidInput, StoreUnavailable } from '../domain/errors.ts';
import type { RevocationMark, SweepRecord } from '../domain/events.ts';
import { consumedAfter, refreshTokenAsOfGrant, refreshTokenOfGrant } from '../domain/grants.ts';
import type { IdempotencyRecord } from '../domain/idempotency.ts';
import type {
  Client,
  ClientPage,
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
  CLIENT_KEY_PREFIX,
  CLIENT_REGISTRY,
  GRANT_INDEX,
  GRANT_KEY_PREFIX,
  type IndexSchema,
  PARTITION_KEY,
  REGISTRY_INDEX,
  SUBJECT_INDEX,
} from '../schema.ts';
import { DynamoAdapter, type DynamoAdapterOptions, type SendOptions } from './adapter.ts';
import {
  clientKey,
  clientToItem,
  consumedToItem,
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

export interface DynamoStoreOptions extends DynamoAdapterOptions {
  /** Items per index query page; default: DynamoDB's own 1 MB pages. Small values prove paging in tests. */
  readonly indexPageSize?: number;
}

/** Conditions on the item a command targets. */
const ITEM_IS_NEW = {
  ConditionExpression: 'attribute_not_exists(#pk)',
  ExpressionAttributeNames: { '#pk': PARTITION_KEY },
};
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
/** How long a sweep's record stays for the stream (TTL); only its INSERT matters. */
const SWEEP_RECORD_SECONDS = 24 * 3600;
/** Concurrent BatchWriteItem calls of one sweep: DynamoDB answers each in a few ms, so a sweep is latency-bound. */
const SWEEP_CONCURRENCY = 8;

import { conditionFailed, isUnavailable, tooLarge, transactionLost } from './adapter.ts';

export type { SendOptions };
export { conditionFailed, isUnavailable, tooLarge, transactionLost };

const BATCH_WRITE_LIMIT = 25;
const MAX_BATCH_ATTEMPTS = 8;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The DynamoDB adapter of the store port. Create one per process (module scope in a Lambda). */
export class DynamoStore extends DynamoAdapter implements Store {
  private readonly indexPageSize: number | undefined;

  constructor(options: DynamoStoreOptions) {
    super(options);
    this.indexPageSize = options.indexPageSize;
  }

  async getClient(clientId: string): Promise<Client | undefined> {
    const Item = await this.getItem(clientKey(clientId));
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
    return this.createWithIdempotencyRecord(
      idempotencyToItem(record),
      { Item: clientToItem(client), ...ITEM_IS_NEW },
      nowSeconds,
    );
  }

  /**
   * One transaction: an idempotency record (new, or replacing an expired one) and the item it created
   * under `put`'s condition. False when either is taken: a failed condition or a racing transaction.
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

  async getIdempotencyRecord(keyHash: string): Promise<IdempotencyRecord | undefined> {
    const Item = await this.getItem(idempotencyKey(keyHash));
    return Item && idempotencyFromItem(Item);
  }

  /**
   * Replaces the client with a tombstone (no secret, nothing a read would take for a client) recording who
   * deleted it: a DeleteItem could not carry the actor to the stream. TTL removes it at once.
   */
  async deleteClient(clientId: string, mark: RevocationMark): Promise<boolean> {
    const who = markAttributes(mark);
    // The first deletion's mark stays (if_not_exists); a later one only stamps sweepRequestedAt, which the
    // sweeper reads as "sweep this client's tokens again" (store/changes.ts resweepOf).
    const keep = keepFirst(who);
    try {
      const { Attributes } = await this.call((o) =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: clientKey(clientId),
            UpdateExpression:
              `SET #deleted = if_not_exists(#deleted, :at), #exp = :exp, ` +
              `#resweep = :at, ${keep} REMOVE ${CLIENT_ONLY.map((_, i) => `#c${i}`).join(', ')}`,
            ConditionExpression: 'attribute_exists(#pk)',
            ExpressionAttributeNames: {
              '#pk': PARTITION_KEY,
              '#deleted': ATTR.deletedAt,
              '#exp': ATTR.expiresAt,
              '#resweep': ATTR.sweepRequestedAt,
              ...setNames(who),
              ...Object.fromEntries(CLIENT_ONLY.map((name, i) => [`#c${i}`, name])),
            },
            ExpressionAttributeValues: {
              ':at': mark.at,
              ':exp': Math.floor(mark.at / 1000),
              ...setValues(who),
            },
            ReturnValues: 'ALL_OLD',
          }),
          o,
        ),
      );
      // Deleted before this call: no client was deleted now, only the re-sweep asked for.
      return Attributes !== undefined && Attributes[ATTR.deletedAt] === undefined;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
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

  /** One token by id (tests and tools; the service decides activity through readTokenState). */
  async getToken(id: string): Promise<TokenRecord | undefined> {
    const Item = await this.getItem(tokenKey(id));
    return liveTokenFromItem(Item);
  }

  async readTokenState(tokenId: string, refs: TokenRefs): Promise<TokenState> {
    const keys = [
      tokenKey(tokenId),
      clientKey(refs.clientId),
      ...(refs.grantId === undefined ? [] : [grantKey(refs.grantId)]),
      ...(refs.subjectKey === undefined ? [] : [subjectKey(refs.subjectKey)]),
    ];
    const found = await this.batchGet(keys);
    const at = (key: Item) => found.get(String(key[PARTITION_KEY]));
    const tokenItem = at(tokenKey(tokenId));
    const client = at(clientKey(refs.clientId));
    const grantItem = refs.grantId === undefined ? undefined : at(grantKey(refs.grantId));
    const cutoff = refs.subjectKey === undefined ? undefined : at(subjectKey(refs.subjectKey));
    const grant = grantItem && grantFromItem(grantItem);
    return {
      token: tokenOf(tokenId, refs, liveTokenFromItem(tokenItem), grant),
      client: liveClientFromItem(client),
      grant,
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

  /**
   * Two plain conditional puts at once, no transaction and no check of the client: every use of a token
   * reads its client and its grant, so a grant of a client deleted meanwhile is born inactive, and an
   * access token whose grant item is not (yet) written is inactive too. A grant written without its
   * access token (a 503 between them) is a refresh token nobody holds.
   */
  async putGrant(grant: GrantRecord, access: TokenRecord): Promise<boolean> {
    const written = await Promise.all([
      this.putNew(grantToItem(grant), ATTR.issuedAt),
      this.putNew(tokenToItem(access), ATTR.issuedAt),
    ]);
    return written.every(Boolean);
  }

  /**
   * The access token first (a plain conditional put: see putAccessToken), then one UpdateItem of the
   * grant, conditional on the grant being live and, with rotation, on its current refresh token still
   * being the one presented: that condition is where two racing rotations are decided, exactly one
   * winning. Without rotation the grant write only counts the refresh, so it runs alongside the put.
   */
  async refresh(write: RefreshWrite): Promise<boolean> {
    const { parent, grant, access, newRefresh, now } = write;
    const live = 'attribute_exists(#pk) AND attribute_not_exists(#revoked)';
    // Grants of the old layout join the client and subject indexes on their first refresh (one index
    // write, once: a key attribute set to the value it has costs nothing more).
    const indexed = {
      [ATTR.clientId]: grant.clientId,
      ...(grant.subjectKey !== undefined && { [ATTR.subjectKey]: grant.subjectKey }),
      ...(grant.subject !== undefined && { [ATTR.subject]: grant.subject }),
    };
    if (!newRefresh) {
      const count = this.conditional((o) =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: grantKey(grant.grantId),
            UpdateExpression: `ADD #count :one SET #modified = :now, ${setClause(indexed)}`,
            ConditionExpression: live,
            ExpressionAttributeNames: {
              '#pk': PARTITION_KEY,
              '#revoked': ATTR.revokedAt,
              '#count': ATTR.refreshCount,
              '#modified': ATTR.lastModifiedAt,
              ...setNames(indexed),
            },
            ExpressionAttributeValues: { ':one': 1, ':now': now, ...setValues(indexed) },
          }),
          o,
        ),
      );
      const [put, counted] = await Promise.all([this.putNew(tokenToItem(access), ATTR.issuedAt), count]);
      return put && counted;
    }
    if (!(await this.putNew(tokenToItem(access), ATTR.issuedAt))) return false;
    const consumed = consumedAfter(grant, {
      id: parent.id,
      consumedAt: now,
      issuedAt: parent.issuedAt,
      refreshCount: parent.refreshCount + 1,
    });
    return this.conditional((o) =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: grantKey(grant.grantId),
          UpdateExpression:
            'SET #current = :new, #currentIssued = :issued, #count = :zero, #rotations = :rotations, ' +
            `#consumed = :consumed, #modified = :now, ${setClause(indexed)}`,
          ConditionExpression: `${live} AND #current = :old`,
          ExpressionAttributeNames: {
            '#pk': PARTITION_KEY,
            '#revoked': ATTR.revokedAt,
            '#current': ATTR.currentRefreshTokenId,
            '#currentIssued': ATTR.currentRefreshIssuedAt,
            '#count': ATTR.refreshCount,
            '#rotations': ATTR.rotations,
            '#consumed': ATTR.consumedRefreshTokens,
            '#modified': ATTR.lastModifiedAt,
            ...setNames(indexed),
          },
          ExpressionAttributeValues: {
            ':new': newRefresh.id,
            ':old': parent.id,
            ':issued': newRefresh.issuedAt,
            ':zero': 0,
            ':rotations': (grant.rotations ?? 0) + 1,
            ':consumed': consumedToItem(consumed),
            ':now': now,
            ...setValues(indexed),
          },
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
    const keep = keepFirst(who);
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

/**
 * The presented token's record: its item (access tokens; refresh tokens of the old layout, seen through
 * their grant, which now records their consumption), else the refresh token its grant holds.
 */
function tokenOf(
  id: string,
  refs: TokenRefs,
  item: TokenRecord | undefined,
  grant: GrantRecord | undefined,
): TokenRecord | undefined {
  if (item) return refreshTokenAsOfGrant(item, grant);
  if (refs.kind !== 'refresh' || !grant || grant.grantId !== refs.grantId) return undefined;
  return refreshTokenOfGrant(grant, id);
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
/** `SET` clauses that write `attributes` only where the item has none yet: the first revocation's mark stays. */
function keepFirst(attributes: Item): string {
  return Object.keys(attributes)
    .map((_, i) => `#s${i} = if_not_exists(#s${i}, :s${i})`)
    .join(', ');
}

function setValues(attributes: Item): Item {
  return Object.fromEntries(Object.values(attributes).map((value, i) => [`:s${i}`, value]));
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

/** Full-jitter exponential backoff: up to 25 ms, 50 ms, 100 ms, ... capped at 1 s. */
function backoff(attempt: number): number {
  return Math.random() * Math.min(1000, 25 * 2 ** (attempt - 1));
}
