/**
 * The DynamoDB adapter of `RequestStore`: what the request path (token, introspection, revocation,
 * invalidation, the authorizer, the SSF receiver's bearer check) reads and writes. One per process.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RevocationMark } from '../domain/events.ts';
import { consumedAfter, refreshTokenAsOfGrant, refreshTokenOfGrant } from '../domain/grants.ts';
import type {
  Client,
  GrantRecord,
  GrantRevocation,
  RefreshWrite,
  RequestStore,
  TokenRecord,
  TokenRefs,
  TokenState,
} from '../domain/model.ts';
import { ATTR, PARTITION_KEY } from '../schema.ts';
import { conditionFailed, DynamoAdapter } from './adapter.ts';
import { setClause, setNames, setValues } from './expressions.ts';
import {
  clientKey,
  consumedToItem,
  grantFromItem,
  grantKey,
  grantToItem,
  type Item,
  liveClientFromItem,
  liveTokenFromItem,
  markAttributes,
  subjectCutoffFromItem,
  subjectKey,
  tokenFromItem,
  tokenKey,
  tokenToItem,
} from './items.ts';

/** The DynamoDB adapter of the request path's port. Create one per process (module scope in a Lambda). */
export class RequestDynamoStore extends DynamoAdapter implements RequestStore {
  async getClient(clientId: string): Promise<Client | undefined> {
    const Item = await this.getItem(clientKey(clientId));
    return liveClientFromItem(Item);
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
    // One write either way: the first revocation sets the mark; a later one keeps it and only asks for
    // the grant to be swept again. A grant's tokens outlive a lost sweep (a crash, an outage past every
    // retry) only until someone revokes again.
    const before = await this.markOnceAndResweep(grantKey(grantId), ATTR.revokedAt, who, mark.at);
    // Revoked before this call: no new revocation (the caller reports none), only the re-sweep.
    if (!before || before[ATTR.revokedAt] !== undefined) return undefined;
    return grantFromItem(before);
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
