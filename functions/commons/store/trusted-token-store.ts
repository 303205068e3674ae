/**
 * [v3] The DynamoDB adapter of `TrustedTokenStore`: what the routes that take a trusted issuer's token
 * read and write (the issuer, the revocation records and cut-offs of one token, a token's revocation
 * record). The registry and the admin routes' writes are in trusted.ts, which extends this one.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { RevocationMark } from '../domain/events.ts';
import { type Issuer, keyHash, type TrustedRevocationRecord } from '../domain/issuers.ts';
import type { TrustedKeys, TrustedState, TrustedTokenStore } from '../domain/trusted-store.ts';
import { ATTR, PARTITION_KEY } from '../schema.ts';
import { DynamoAdapter } from './adapter.ts';
import type { Item } from './items.ts';
import {
  issuerFromItem,
  issuerKey,
  revocationRecordToItem,
  trustedClientKey,
  trustedFamilyKey,
  trustedMarkFromItem,
  trustedSubjectKey,
  trustedTokenKey,
} from './trusted-items.ts';

/** The DynamoDB adapter of the trusted tokens' request path. */
export class TrustedTokenDynamoStore extends DynamoAdapter implements TrustedTokenStore {
  async readIssuer(issuerId: string): Promise<Issuer | undefined> {
    const key = issuerKey(issuerId);
    return issuerFromItem((await this.batchGet([key])).get(String(key[PARTITION_KEY])));
  }

  async readTrustedState(keys: TrustedKeys): Promise<TrustedState> {
    const wanted = {
      issuer: issuerKey(keys.issuerId),
      token: trustedTokenKey(keys.issuerId, keys.token),
      family: keys.family === undefined ? undefined : trustedFamilyKey(keys.issuerId, keys.family),
      client: keys.client === undefined ? undefined : trustedClientKey(keys.issuerId, keys.client),
      subject: keys.subject === undefined ? undefined : trustedSubjectKey(keys.issuerId, keys.subject),
    };
    const found = await this.batchGet(Object.values(wanted).filter((key): key is Item => key !== undefined));
    const at = (key: Item | undefined) =>
      key === undefined ? undefined : found.get(String(key[PARTITION_KEY]));
    return {
      issuer: issuerFromItem(at(wanted.issuer)),
      token: trustedMarkFromItem(at(wanted.token)),
      family: trustedMarkFromItem(at(wanted.family)),
      client: trustedMarkFromItem(at(wanted.client)),
      subject: trustedMarkFromItem(at(wanted.subject)),
    };
  }

  /**
   * One PutItem, conditional on no unexpired record of the same target: only the first revocation writes
   * (and so reaches the stream). A record past its `expiresAt` that TTL has not removed yet is replaced.
   */
  async putTrustedRevocation(record: TrustedRevocationRecord, mark: RevocationMark): Promise<boolean> {
    try {
      await this.call((o) =>
        this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: revocationRecordToItem(record, mark, keyHash),
            ConditionExpression: 'attribute_not_exists(#pk) OR #exp <= :now',
            ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#exp': ATTR.expiresAt },
            ExpressionAttributeValues: { ':now': Math.floor(mark.at / 1000) },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
          o,
        ),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // A retried attempt of this very write (its first answer lost) finds its own record.
      return error.Item?.[ATTR.revokedAt]?.N === String(mark.at);
    }
  }
}
