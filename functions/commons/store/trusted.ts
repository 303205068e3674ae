/**
 * [v3] The DynamoDB adapter of the trusted issuers' port: the same table, client, deadlines and error
 * mapping as the service's own store (both extend `DynamoAdapter`), for the issuer items and the revocation records
 * and cut-offs of their tokens.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { InvalidInput } from '../domain/errors.ts';
import type { RevocationMark } from '../domain/events.ts';
import {
  CLOCK_SKEW_SECONDS,
  type Issuer,
  keyHash,
  RECORD_AFTER_EXPIRY_SECONDS,
  type TrustedCutoff,
} from '../domain/issuers.ts';
import type { IssuerIdempotencyRecord, IssuerPage, TrustStore } from '../domain/trusted-store.ts';
import { ATTR, ISSUER_KEY_PREFIX, ISSUER_REGISTRY, PARTITION_KEY, REGISTRY_INDEX } from '../schema.ts';
import { type Item, markAttributes } from './items.ts';
import {
  issuerFromItem,
  issuerIdempotencyFromItem,
  issuerIdempotencyKey,
  issuerIdempotencyToItem,
  issuerKey,
  issuerToItem,
  trustedClientKey,
  trustedSubjectKey,
} from './trusted-items.ts';
import { TrustedTokenDynamoStore } from './trusted-token-store.ts';

/** A live issuer: an item that is not a deleted issuer's tombstone. */
const ISSUER_LIVE = 'attribute_exists(#pk) AND attribute_not_exists(#deleted)';
const ISSUER_LIVE_NAMES = { '#pk': PARTITION_KEY, '#deleted': ATTR.deletedAt };

/** `SET` clause parts for a map of attributes (names `#s0..`, values `:s0..`). */
function setParts(attributes: Item) {
  const entries = Object.entries(attributes).filter(([, value]) => value !== undefined);
  return {
    clause: entries.map((_, i) => `#s${i} = :s${i}`).join(', '),
    names: Object.fromEntries(entries.map(([name], i) => [`#s${i}`, name])),
    values: Object.fromEntries(entries.map(([, value], i) => [`:s${i}`, value])),
  };
}

/** A registry page's position, as the opaque cursor the admin API hands out. */
function encodeCursor(key: Item): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}
function decodeCursor(cursor: string): Item {
  const invalid = () => new InvalidInput('cursor', 'is not a cursor this API handed out');
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const {
    [PARTITION_KEY]: pk,
    [ATTR.registry]: registry,
    [ATTR.registryOrder]: order,
    ...rest
  } = (key ?? {}) as Record<string, unknown>;
  if (
    typeof pk !== 'string' ||
    !pk.startsWith(ISSUER_KEY_PREFIX) ||
    pk.length > 64 ||
    registry !== ISSUER_REGISTRY ||
    (order !== undefined && order !== pk) ||
    Object.keys(rest).length > 0
  ) {
    throw invalid();
  }
  return { [PARTITION_KEY]: pk, [ATTR.registry]: registry, [ATTR.registryOrder]: pk };
}

/**
 * The DynamoDB adapter of `TrustStore` (the issuer registry and the admin routes' revocations), on top of
 * the request path's (trusted-token-store.ts); one per process, like the store's.
 */
export class DynamoTrustStore extends TrustedTokenDynamoStore implements TrustStore {
  async getIssuerItem(issuerId: string) {
    const Item = await this.getItem(issuerKey(issuerId));
    const issuer = issuerFromItem(Item);
    if (issuer) return { issuer };
    const deletedAt = Item?.[ATTR.deletedAt];
    const before = Item?.[ATTR.tokensRevokedBefore];
    return {
      ...(typeof deletedAt === 'number' && { deletedAt }),
      ...(typeof before === 'number' && { tokensRevokedBefore: before }),
    };
  }

  /** Free: no item, or exactly the tombstone that was read (a racing registration makes this fail). */
  private static freeCondition(replacing: number | undefined): {
    ConditionExpression: string;
    ExpressionAttributeNames: Record<string, string>;
    ExpressionAttributeValues?: Record<string, unknown>;
  } {
    return replacing === undefined
      ? {
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY },
        }
      : {
          ConditionExpression: '#deleted = :seen',
          ExpressionAttributeNames: { '#deleted': ATTR.deletedAt },
          ExpressionAttributeValues: { ':seen': replacing },
        };
  }

  async createIssuer(issuer: Issuer, replacing?: number): Promise<boolean> {
    try {
      await this.call((o) =>
        this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: issuerToItem(issuer),
            ...DynamoTrustStore.freeCondition(replacing),
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
          o,
        ),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // The SDK retried a write whose answer was lost: the item found is this very registration.
      return error.Item?.[ATTR.createdAt]?.N === String(issuer.createdAt);
    }
  }

  async createIssuerOnce(
    issuer: Issuer,
    record: IssuerIdempotencyRecord,
    nowSeconds: number,
    replacing?: number,
  ): Promise<boolean> {
    return this.createWithIdempotencyRecord(
      issuerIdempotencyToItem(record),
      { Item: issuerToItem(issuer), ...DynamoTrustStore.freeCondition(replacing) },
      nowSeconds,
    );
  }

  async getIssuerIdempotencyRecord(keyHashValue: string): Promise<IssuerIdempotencyRecord | undefined> {
    const Item = await this.getItem(issuerIdempotencyKey(keyHashValue));
    return Item && issuerIdempotencyFromItem(Item);
  }

  /**
   * One page of the registry index (keys only), then the page's items read whole and consistently by
   * key: the index may lag a registration or deletion by a moment; the items decide.
   */
  async listIssuers(limit: number, cursor?: string): Promise<IssuerPage> {
    const startKey = cursor === undefined ? undefined : decodeCursor(cursor);
    const page = await this.call((o) =>
      this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: REGISTRY_INDEX.indexName,
          KeyConditionExpression: '#registry = :issuer',
          ExpressionAttributeNames: { '#registry': ATTR.registry },
          ExpressionAttributeValues: { ':issuer': ISSUER_REGISTRY },
          Limit: limit,
          ...(startKey !== undefined && { ExclusiveStartKey: startKey }),
        }),
        o,
      ),
    );
    const keys = (page.Items ?? []).map((item) => ({ [PARTITION_KEY]: item[PARTITION_KEY] }));
    const found = keys.length === 0 ? new Map<string, Item>() : await this.batchGet(keys);
    const issuers = keys
      .map((key) => issuerFromItem(found.get(String(key[PARTITION_KEY]))))
      .filter((issuer): issuer is Issuer => issuer !== undefined);
    const last = page.LastEvaluatedKey;
    return {
      issuers,
      ...(last !== undefined && {
        cursor: encodeCursor({ [PARTITION_KEY]: last[PARTITION_KEY], [ATTR.registry]: last[ATTR.registry] }),
      }),
    };
  }

  /**
   * The tombstone keeps the issuer's settings and records who deleted it; it leaves the registry index
   * (`registry` removed) and stays until every token the issuer could have signed has expired (`expiresAt`
   * computed by DynamoDB from the item's own `maxTokenLifetimeSeconds`), so a registration made again
   * later keeps the earlier tokens revoked.
   */
  async deleteIssuer(issuerId: string, mark: RevocationMark): Promise<Issuer | undefined> {
    const who = setParts(markAttributes(mark));
    try {
      const { Attributes } = await this.call((o) =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: issuerKey(issuerId),
            UpdateExpression: `SET #deleted = :at, #exp = #max + :after, ${who.clause} REMOVE #registry, #order`,
            ConditionExpression: ISSUER_LIVE,
            ExpressionAttributeNames: {
              ...ISSUER_LIVE_NAMES,
              '#exp': ATTR.expiresAt,
              '#max': ATTR.maxTokenLifetimeSeconds,
              '#registry': ATTR.registry,
              '#order': ATTR.registryOrder,
              ...who.names,
            },
            ExpressionAttributeValues: {
              ':at': mark.at,
              ':after': Math.floor(mark.at / 1000) + CLOCK_SKEW_SECONDS + RECORD_AFTER_EXPIRY_SECONDS,
              ...who.values,
            },
            ReturnValues: 'ALL_OLD',
          }),
          o,
        ),
      );
      return issuerFromItem(Attributes);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async cutOffIssuer(issuerId: string, mark: RevocationMark): Promise<boolean> {
    const who = setParts(markAttributes(mark));
    try {
      await this.call((o) =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: issuerKey(issuerId),
            UpdateExpression: `SET #before = :at, ${who.clause}`,
            // Never moved back: of two racing cut-offs the later instant stays.
            ConditionExpression: `${ISSUER_LIVE} AND (attribute_not_exists(#before) OR #before < :at)`,
            ExpressionAttributeNames: {
              ...ISSUER_LIVE_NAMES,
              '#before': ATTR.tokensRevokedBefore,
              ...who.names,
            },
            ExpressionAttributeValues: { ':at': mark.at, ...who.values },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
          o,
        ),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Failed only because a later cut-off is there: the issuer is registered and cut off already.
      return error.Item !== undefined && error.Item[ATTR.deletedAt] === undefined;
    }
  }

  async putTrustedCutoff(cutoff: TrustedCutoff, mark: RevocationMark): Promise<void> {
    const key =
      cutoff.scope.of === 'client'
        ? trustedClientKey(cutoff.issuerId, keyHash(cutoff.scope.clientId))
        : trustedSubjectKey(cutoff.issuerId, keyHash(cutoff.scope.subject));
    const set = setParts({
      [ATTR.tokensRevokedBefore]: cutoff.tokensRevokedBefore,
      [ATTR.expiresAt]: cutoff.expiresAt,
      [ATTR.issuer]: cutoff.issuer,
      ...(cutoff.scope.of === 'client'
        ? { [ATTR.trustedClientId]: cutoff.scope.clientId }
        : { [ATTR.trustedSubject]: cutoff.scope.subject }),
      ...markAttributes(mark),
    });
    try {
      await this.call((o) =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: `SET ${set.clause}`,
            // Never move a cut-off back, nor shorten how long it is kept.
            ConditionExpression: 'attribute_not_exists(#before) OR #before <= :before',
            ExpressionAttributeNames: { ...set.names, '#before': ATTR.tokensRevokedBefore },
            ExpressionAttributeValues: { ...set.values, ':before': cutoff.tokensRevokedBefore },
          }),
          o,
        ),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
