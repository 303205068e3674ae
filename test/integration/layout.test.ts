import { randomUUID } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findActiveToken } from '#commons/domain/activity.ts';
import { revokeClientTokens, revokeSubjectTokens } from '#commons/domain/admin.ts';
import { InvalidGrant } from '#commons/domain/errors.ts';
import { REUSE_DETECTION, type RevocationEvent } from '#commons/domain/events.ts';
import type { Client, GrantRecord, PresentedToken, TokenKind, TokenRecord } from '#commons/domain/model.ts';
import { revokeAccessToken, revokeForClient } from '#commons/domain/revocation.ts';
import { hashSecret } from '#commons/domain/secrets.ts';
import { sweep } from '#commons/domain/sweep.ts';
import { formatToken, presentToken } from '#commons/domain/token-format.ts';
import { clientCredentialsGrant, issueTokens, refreshTokenGrant } from '#commons/domain/tokens.ts';
import { ATTR, GRANT_KEY_PREFIX, indexesOf, PARTITION_KEY } from '#commons/schema.ts';
import { createDynamoClient } from '#commons/store/client.ts';
import { DynamoStore } from '#commons/store/dynamodb.ts';
import { grantToItem, tokenToItem } from '#commons/store/items.ts';
import { storedClient } from '#test/support/grants.ts';
import { dynamoEndpoint, recordSecrets } from '#test/support/helpers.ts';
import { subjectKeyOf } from '#test/support/subject-keys.ts';
import { ensureTable } from '#tools/local/dynamodb-local.ts';
import { type CommandCapacity, recordCapacity } from '../../bench/capacity.ts';

/**
 * The table layout (schema.ts): a token item keyed into one index at most, proved from the units DynamoDB
 * Local reports for every write; and items written by the previous layout (every token in all three
 * indexes, grants in none, refresh tokens as items) still working and swept. On a table of this file's
 * own, which no stream reader sweeps behind the test's back.
 */
const tableName = `layout-${randomUUID().slice(0, 8)}`;
const dynamo = createDynamoClient({ endpoint: dynamoEndpoint });
const capacity = recordCapacity(dynamo);
const store = new DynamoStore({ tableName, client: dynamo });
const doc = DynamoDBDocumentClient.from(createDynamoClient({ endpoint: dynamoEndpoint }));
const clock = () => Date.now();
const OPERATOR = { actor: { type: 'iam' as const, id: 'arn:aws:iam::000000000000:user/layout-test' } };
const noReuse = {
  onReuse: () => {
    throw new Error('no reuse expected');
  },
};

beforeAll(() => ensureTable(dynamoEndpoint, tableName));
afterAll(async () => {
  await dynamo.send(new DeleteTableCommand({ TableName: tableName }));
  dynamo.destroy();
});

const aClient = (rotation = false, grace = 10) =>
  storedClient(store, clock, 'layout test', {
    refreshTokenRotation: rotation,
    refreshTokenReuseGraceSeconds: grace,
  });
const itemOf = async (key: string) =>
  (
    await doc.send(
      new GetCommand({ TableName: tableName, Key: { [PARTITION_KEY]: key }, ConsistentRead: true }),
    )
  ).Item;
const active = async (token: PresentedToken) => (await findActiveToken(store, clock, token)) !== undefined;

/** What the writes of `run` consumed, one entry per command. */
async function consumed(run: () => Promise<unknown>): Promise<CommandCapacity[]> {
  capacity.take();
  await run();
  return capacity.take();
}

describe('sparse indexes: a token item is keyed into one index at most', () => {
  it('keys every token shape into one index, from the schema: a grant token the grant index, others the client index', () => {
    const base: TokenRecord = {
      id: 'x',
      kind: 'access',
      clientId: 'c',
      scope: 'read',
      issuedAt: 1,
      expiresAt: 2,
      grantType: 'external',
      refreshCount: 0,
      lastModifiedAt: 1,
    };
    const withSubject = { subject: 'alice', subjectKey: subjectKeyOf('alice') };
    const names = (token: TokenRecord) => indexesOf(tokenToItem(token)).map((index) => index.indexName);
    expect(names(base)).toEqual(['byClient']);
    expect(names({ ...base, ...withSubject })).toEqual(['byClient']);
    expect(names({ ...base, grantId: 'g' })).toEqual(['byGrant']);
    expect(names({ ...base, kind: 'refresh', grantId: 'g', ...withSubject })).toEqual(['byGrant']);
    // Grants are what the client and subject sweeps find.
    const grant: GrantRecord = {
      grantId: 'g',
      clientId: 'c',
      scope: 'read',
      issuedAt: 1,
      currentRefreshTokenId: 'r',
      refreshExpiresAt: 2,
      expiresAt: 3,
    };
    expect(indexesOf(grantToItem(grant)).map((i) => i.indexName)).toEqual(['byClient']);
    expect(
      indexesOf(grantToItem({ ...grant, ...withSubject }))
        .map((i) => i.indexName)
        .sort(),
    ).toEqual(['byClient', 'bySubject']);
  });

  it('writes every token item for at most 2 write units, as DynamoDB Local reports them (ReturnConsumedCapacity INDEXES)', async () => {
    const client = await aClient();
    const rotating = await aClient(true);
    const writes: CommandCapacity[] = [];
    const track = async <T>(run: () => Promise<T>): Promise<T> => {
      let result: T | undefined;
      writes.push(
        ...(await consumed(async () => {
          result = await run();
        })),
      );
      return result as T;
    };
    const cc = await track(() => clientCredentialsGrant(store, clock, client));
    // An admin mint without a refresh token, with a subject: still one index.
    await track(() =>
      issueTokens(store, clock, client, {
        scope: undefined,
        withRefreshToken: false,
        grantType: 'external',
        subject: 'alice',
        subjectKey: subjectKeyOf('alice'),
      }),
    );
    const grantStart = await consumed(() =>
      issueTokens(store, clock, rotating, {
        scope: undefined,
        withRefreshToken: true,
        grantType: 'external',
        subject: 'bob',
        subjectKey: subjectKeyOf('bob'),
      }),
    );
    // The grant start: the grant item (client and subject index) and the access token (grant index).
    expect(grantStart.map((c) => c.command)).toEqual(['PutItemCommand', 'PutItemCommand']);
    expect(grantStart.map((c) => c.writeUnits).sort()).toEqual([2, 3]);
    const issued = await issueTokens(store, clock, rotating, {
      scope: undefined,
      withRefreshToken: true,
      grantType: 'external',
      subject: 'carol',
      subjectKey: subjectKeyOf('carol'),
    });
    recordSecrets(issued?.response);
    const refreshed = await consumed(() =>
      refreshTokenGrant(
        store,
        clock,
        rotating,
        presentToken(issued?.response.refresh_token ?? ''),
        undefined,
        noReuse,
      ),
    );
    // A rotation: one consistent read, the access token's put, the grant's move (one unit: no key changes).
    expect(refreshed.map((c) => [c.command, c.writeUnits])).toEqual([
      ['BatchGetItemCommand', 0],
      ['PutItemCommand', 2],
      ['UpdateItemCommand', 1],
    ]);
    writes.push(...refreshed.filter((c) => c.command === 'PutItemCommand'));
    await track(() =>
      revokeAccessToken(store, clock, { actor: { type: 'client', id: client.clientId } }, cc.accessTokenId),
    );
    expect(writes.length).toBeGreaterThanOrEqual(4);
    for (const write of writes) {
      expect(write.writeUnits).toBeLessThanOrEqual(2);
      expect(Object.keys(write.indexes).length).toBeLessThanOrEqual(1);
    }
    // The sweep's deletions: two units per token item (the item and its one index).
    const event = await revokeForClient(
      store,
      clock,
      rotating,
      presentToken(issued?.response.refresh_token ?? ''),
    );
    if (!event) throw new Error('not revoked');
    const swept = await consumed(() => sweep(store, clock, event.event));
    const deletions = swept.filter((c) => c.command === 'BatchWriteItemCommand');
    // The two access tokens of the grant, then the sweep's record.
    expect(deletions.map((c) => c.writeUnits)).toEqual([4, 1]);
  });
});

/** The raw token and the item the previous layout wrote for it. */
function oldToken(
  kind: TokenKind,
  client: Client,
  options: { grantId?: string; subject?: string; issuedAt?: number; consumedAt?: number } = {},
) {
  const subjectKey = options.subject === undefined ? undefined : subjectKeyOf(options.subject);
  const raw = formatToken({
    kind,
    clientId: client.clientId,
    ...(options.grantId !== undefined && { grantId: options.grantId }),
    ...(subjectKey !== undefined && { subjectKey }),
  });
  recordSecrets({ [kind === 'access' ? 'access_token' : 'refresh_token']: raw });
  const issuedAt = options.issuedAt ?? clock() - 60_000;
  const item = {
    [PARTITION_KEY]: hashSecret(raw),
    kind,
    // Every token carried its client, grant and subject key under the index keys: all three indexes.
    clientId: client.clientId,
    ...(options.grantId !== undefined && { grantId: options.grantId }),
    scope: 'read',
    ...(options.subject !== undefined && { subject: options.subject, subjectKey }),
    issuedAt,
    expiresAt: Math.floor(clock() / 1000) + 3600,
    grantType: 'external',
    refreshCount: 0,
    ...(options.consumedAt !== undefined && { consumedAt: options.consumedAt }),
    lastModifiedAt: issuedAt,
  };
  return { raw, presented: presentToken(raw), item };
}

/** A grant as the previous layout wrote it: named apart from every index, its refresh token an item. */
async function oldGrant(client: Client, subject?: string) {
  const grantId = randomUUID().replaceAll('-', '').slice(0, 22);
  const issuedAt = clock() - 60_000;
  const refresh = oldToken('refresh', client, {
    grantId,
    ...(subject !== undefined && { subject }),
    issuedAt,
  });
  const access = oldToken('access', client, { grantId, ...(subject !== undefined && { subject }), issuedAt });
  const grantItem = {
    [PARTITION_KEY]: `${GRANT_KEY_PREFIX}${grantId}`,
    grantClientId: client.clientId,
    ...(subject !== undefined && { grantSubject: subject, grantSubjectKey: subjectKeyOf(subject) }),
    scope: 'read',
    issuedAt,
    currentRefreshTokenId: refresh.presented.id,
    refreshExpiresAt: Math.floor(clock() / 1000) + 3600,
    expiresAt: Math.floor(clock() / 1000) + 7200,
  };
  for (const item of [grantItem, refresh.item, access.item]) {
    await doc.send(new PutCommand({ TableName: tableName, Item: item }));
  }
  return { grantId, refresh, access };
}

describe('items of the previous layout', () => {
  it('keep working: their tokens are active, refresh, and count the refreshes', async () => {
    const client = await aClient();
    const grant = await oldGrant(client, 'old-alice');
    expect(await active(grant.access.presented)).toBe(true);
    expect(await active(grant.refresh.presented)).toBe(true);
    const issued = await refreshTokenGrant(store, clock, client, grant.refresh.presented, undefined, noReuse);
    recordSecrets(issued.response);
    expect(await active(presentToken(issued.response.access_token))).toBe(true);
    expect(await active(grant.refresh.presented)).toBe(true);
    const refs = grant.refresh.presented.refs;
    if (!refs) throw new Error('unparsed');
    expect((await store.readTokenState(grant.refresh.presented.id, refs)).token?.refreshCount).toBe(1);
    // The grant joined the client and subject indexes on that first refresh.
    expect(await itemOf(`${GRANT_KEY_PREFIX}${grant.grantId}`)).toMatchObject({
      [ATTR.clientId]: client.clientId,
      [ATTR.subjectKey]: subjectKeyOf('old-alice'),
    });
  });

  it('rotate: the old refresh token item is consumed by the move, a retry within grace is refused, a later reuse revokes the grant', async () => {
    const client = await aClient(true, 0);
    const grant = await oldGrant(client);
    const issued = await refreshTokenGrant(store, clock, client, grant.refresh.presented, undefined, noReuse);
    recordSecrets(issued.response);
    const next = presentToken(issued.response.refresh_token ?? '');
    expect(await active(next)).toBe(true);
    expect(await active(grant.refresh.presented)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const reused: RevocationEvent[] = [];
    await expect(
      refreshTokenGrant(store, clock, client, grant.refresh.presented, undefined, {
        onReuse: (event) => reused.push(event),
      }),
    ).rejects.toBeInstanceOf(InvalidGrant);
    expect(reused.map((e) => [e.type, e.actor])).toEqual([['refresh_token.reuse_detected', REUSE_DETECTION]]);
    expect(await active(next)).toBe(false);
  });

  it("are swept: a revoked grant's, a client cut-off's and a subject cut-off's, also of a grant refreshed since", async () => {
    const client = await aClient();
    const revoked = await oldGrant(client);
    const byClient = await oldGrant(client);
    const standalone = oldToken('access', client);
    await doc.send(new PutCommand({ TableName: tableName, Item: standalone.item }));
    // A grant of the subject's, refreshed since the new layout: its new access token is in no subject index.
    const other = await aClient();
    const ofSubject = await oldGrant(other, `old-${randomUUID()}`);
    const later = await refreshTokenGrant(
      store,
      clock,
      other,
      ofSubject.refresh.presented,
      undefined,
      noReuse,
    );
    recordSecrets(later.response);

    const grantRevocation = await revokeForClient(store, clock, client, revoked.refresh.presented);
    if (!grantRevocation) throw new Error('not revoked');
    expect(await sweep(store, clock, grantRevocation.event)).toBe(2);
    for (const t of [revoked.refresh, revoked.access]) expect(await itemOf(t.presented.id)).toBeUndefined();

    const cutOff = await revokeClientTokens(store, clock, OPERATOR, client.clientId);
    if (!cutOff) throw new Error('no cut-off');
    // The old grant's two token items and the standalone token, found in the client index directly.
    expect(await sweep(store, clock, cutOff)).toBe(3);
    for (const t of [byClient.refresh, byClient.access, standalone]) {
      expect(await itemOf(t.presented.id)).toBeUndefined();
    }

    const subjectCut = await revokeSubjectTokens(
      store,
      clock,
      OPERATOR,
      String((await itemOf(`${GRANT_KEY_PREFIX}${ofSubject.grantId}`))?.[ATTR.subject]),
      subjectKeyOf,
    );
    // Its two old token items (subject index), and through the grant (which joined the subject index on
    // its refresh) the new access token and the grant item itself.
    expect(await sweep(store, clock, subjectCut)).toBe(4);
    for (const id of [
      ofSubject.refresh.presented.id,
      ofSubject.access.presented.id,
      hashSecret(later.response.access_token),
    ]) {
      expect(await itemOf(id)).toBeUndefined();
    }
    expect(await itemOf(`${GRANT_KEY_PREFIX}${ofSubject.grantId}`)).toBeUndefined();
  });
});
