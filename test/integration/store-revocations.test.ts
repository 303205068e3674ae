import { randomUUID } from 'node:crypto';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { findActiveToken } from '#commons/domain/activity.ts';
import type { ClientRegistration } from '#commons/domain/clients.ts';
import type { RevocationMark } from '#commons/domain/events.ts';
import type { Client, TokenRecord } from '#commons/domain/model.ts';
import { hashSecret, mintSecret } from '#commons/domain/secrets.ts';
import { presentToken } from '#commons/domain/token-format.ts';
import { issueTokens, refreshTokenGrant } from '#commons/domain/tokens.ts';
import { ATTR, CLIENT_INDEX, GRANT_INDEX, PARTITION_KEY, SUBJECT_INDEX } from '#commons/schema.ts';
import { createDynamoClient } from '#commons/store/client.ts';
import { issueGrant, storedClient, tokenRecord } from '#test/support/grants.ts';
import { dynamoEndpoint, recordSecrets, tableName, testStore } from '#test/support/helpers.ts';
import { subjectKeyOf } from '#test/support/subject-keys.ts';

/** Each revoking write of the store, read back from the table as stored and through the store's reads. */
const store = testStore();
const doc = DynamoDBDocumentClient.from(createDynamoClient({ endpoint: dynamoEndpoint }));
const clock = () => Date.now();
const OPERATOR = { type: 'iam', id: 'arn:aws:iam::000000000000:user/store-revocations' } as const;
const mark = (at = Date.now(), route = 'DELETE /admin/test'): RevocationMark => ({
  actor: OPERATOR,
  route,
  at,
});

async function itemOf(key: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await doc.send(
    new GetCommand({ TableName: tableName, Key: { [PARTITION_KEY]: key }, ConsistentRead: true }),
  );
  return Item;
}

async function aClient(registration: Partial<ClientRegistration> = {}): Promise<Client> {
  return storedClient(store, clock, 'store revocations', registration);
}

async function aGrant(client: Client) {
  const grant = await issueGrant(store, clock, client);
  recordSecrets({ access_token: grant.accessRaw, refresh_token: grant.refreshRaw });
  return grant;
}

function accessToken(client: Client, extra: Partial<TokenRecord> = {}): TokenRecord {
  return tokenRecord(client, clock, 'access', extra);
}

const noReuse = {
  onReuse: () => {
    throw new Error('no reuse expected');
  },
};

describe("an access token's tombstone (revokeToken)", () => {
  it('returns the token once; a second revocation gets nothing and changes nothing', async () => {
    const client = await aClient();
    const grant = await aGrant(client);
    const first = mark(Date.now(), 'POST /oauth2/revoke');
    const revoked = await store.revokeToken(grant.access.id, first);
    expect(revoked).toMatchObject({ id: grant.access.id, clientId: client.clientId, grantId: grant.grantId });
    const stored = await itemOf(grant.access.id);

    expect(
      await store.revokeToken(grant.access.id, mark(first.at + 5, 'DELETE /oauth/token')),
    ).toBeUndefined();
    expect(await itemOf(grant.access.id)).toEqual(stored);
  });

  it('gives the token to exactly one of many concurrent revocations', async () => {
    const client = await aClient();
    const token = accessToken(client);
    expect(await store.putAccessToken(token)).toBe(true);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => store.revokeToken(token.id, mark(Date.now() + i))),
    );
    expect(results.filter((r) => r !== undefined)).toEqual([token]);
  });

  it('leaves an expired token to the TTL: nothing revoked, the item untouched', async () => {
    const client = await aClient();
    const token = accessToken(client, { expiresAt: Math.floor(Date.now() / 1000) - 5 });
    expect(await store.putAccessToken(token)).toBe(true);
    const before = await itemOf(token.id);
    expect(await store.revokeToken(token.id, mark())).toBeUndefined();
    expect(await itemOf(token.id)).toEqual(before);
    expect(await store.revokeToken(hashSecret(mintSecret()), mark())).toBeUndefined();
  });

  it('is absent to every read, records who revoked it and through which route, expires now, holds no raw token', async () => {
    const client = await aClient();
    const grant = await aGrant(client);
    const at = Date.now();
    await store.revokeToken(grant.access.id, mark(at, 'POST /oauth2/revoke'));

    expect(await store.getToken(grant.access.id)).toBeUndefined();
    const refs = grant.access.refs;
    if (!refs) throw new Error('unparsed');
    const state = await store.readTokenState(grant.access.id, refs);
    expect(state.token).toBeUndefined();
    // Only the token: its client and grant are as they were.
    expect(state.client?.clientId).toBe(client.clientId);
    expect(state.grant?.revokedAt).toBeUndefined();
    const item = await itemOf(grant.access.id);
    expect(item).toMatchObject({
      [ATTR.revokedAt]: at,
      [ATTR.revokedBy]: OPERATOR,
      [ATTR.revokedRoute]: 'POST /oauth2/revoke',
      [ATTR.expiresAt]: Math.floor(at / 1000),
    });
    expect(JSON.stringify(item)).not.toContain(grant.accessRaw);
  });
});

describe("a deleted client's tombstone (deleteClient)", () => {
  it('is absent to every read and refuses every write a live client allows', async () => {
    const client = await aClient();
    const grant = await aGrant(client);
    const at = Date.now();
    expect(await store.deleteClient(client.clientId, mark(at, 'DELETE /admin/clients/{clientId}'))).toBe(
      true,
    );

    expect(await store.getClient(client.clientId)).toBeUndefined();
    const refs = grant.access.refs;
    if (!refs) throw new Error('unparsed');
    expect((await store.readTokenState(grant.access.id, refs)).client).toBeUndefined();
    expect(await store.rotateClientSecret(client.clientId, { secretHash: hashSecret('new') })).toBe(
      'missing',
    );
    expect(await store.revokeClientTokensBefore(client.clientId, mark())).toBe(false);
    expect(await store.deleteClient(client.clientId, mark())).toBe(false);
    // A grant minted for it is born dead, and no refresh works.
    const minted = await issueTokens(store, clock, client, {
      scope: undefined,
      withRefreshToken: true,
      grantType: 'external',
    });
    for (const raw of [minted?.response.access_token, minted?.response.refresh_token]) {
      expect(await findActiveToken(store, clock, presentToken(raw ?? ''))).toBeUndefined();
    }
    await expect(refreshTokenGrant(store, clock, client, grant.refresh, undefined, noReuse)).rejects.toThrow(
      /invalid/,
    );
    // Its id is not free again while the tombstone lasts: no client can take over its tokens.
    expect(await store.createClient({ ...client, createdAt: client.createdAt + 1 })).toBe(false);

    const item = await itemOf(`client#${client.clientId}`);
    expect(item).toEqual({
      [PARTITION_KEY]: `client#${client.clientId}`,
      [ATTR.deletedAt]: at,
      [ATTR.revokedBy]: OPERATOR,
      [ATTR.revokedRoute]: 'DELETE /admin/clients/{clientId}',
      [ATTR.expiresAt]: expect.any(Number),
      // Stamped by the second delete above: it asks the sweeper to sweep again, and changes nothing else.
      [ATTR.sweepRequestedAt]: expect.any(Number),
    });
    expect(item?.[ATTR.expiresAt]).toBeGreaterThanOrEqual(Math.floor(at / 1000));
  });
});

describe("a grant's revocation mark (revokeGrant)", () => {
  it('is written once: a second revocation gets nothing, does not change who revoked it, and asks for a re-sweep', async () => {
    const client = await aClient();
    const grant = await aGrant(client);
    const at = Date.now();
    const first = {
      ...mark(at, 'POST /oauth2/revoke'),
      reason: 'revoked',
      tokenId: grant.refresh.id,
    } as const;
    expect(await store.revokeGrant(grant.grantId, first)).toMatchObject({ grantId: grant.grantId });
    const stored = await itemOf(`grant#${grant.grantId}`);
    expect(stored).toMatchObject({
      [ATTR.revokedAt]: at,
      [ATTR.revokedBy]: OPERATOR,
      [ATTR.revokedRoute]: 'POST /oauth2/revoke',
      [ATTR.revokedReason]: 'revoked',
      [ATTR.revokedTokenId]: grant.refresh.id,
    });

    const second = {
      actor: { type: 'service', id: 'reuse-detection' },
      at: at + 10,
      reason: 'reuse_detected',
    } as const;
    expect(await store.revokeGrant(grant.grantId, second)).toBeUndefined();
    expect(await itemOf(`grant#${grant.grantId}`)).toEqual({ ...stored, [ATTR.sweepRequestedAt]: at + 10 });
    expect(await store.revokeGrant(`no-such-grant-${randomUUID()}`, second)).toBeUndefined();
  });
});

describe("a subject's cut-off (cutOffSubject)", () => {
  it('records the subject and who cut it off, and never moves back', async () => {
    const subject = `subject-${randomUUID()}`;
    const key = subjectKeyOf(subject);
    const at = Date.now();
    const cutoff = {
      subjectKey: key,
      subject,
      tokensRevokedBefore: at,
      expiresAt: Math.floor(at / 1000) + 60,
    };
    await store.cutOffSubject(cutoff, mark(at, 'DELETE /admin/subjects/{subject}/tokens'));
    const stored = await itemOf(`subject#${key}`);
    expect(stored).toMatchObject({
      [ATTR.subject]: subject,
      [ATTR.tokensRevokedBefore]: at,
      [ATTR.revokedBy]: OPERATOR,
      [ATTR.revokedRoute]: 'DELETE /admin/subjects/{subject}/tokens',
    });

    await store.cutOffSubject({ ...cutoff, tokensRevokedBefore: at - 1000 }, mark(at - 1000, 'POST /x'));
    expect(await itemOf(`subject#${key}`)).toEqual(stored);
  });
});

describe("a sweep's record (recordSweep)", () => {
  it('lies outside every index, so no sweep can ever list it', async () => {
    const client = await aClient();
    const grantId = `grant-${randomUUID()}`;
    const subject = `subject-${randomUUID()}`;
    const revocationId = randomUUID();
    await store.recordSweep({
      revocationId,
      clientId: client.clientId,
      grantId,
      subject,
      count: 7,
      completedAt: Date.now(),
    });

    expect(await itemOf(`sweep#${revocationId}`)).toMatchObject({
      [ATTR.sweepClientId]: client.clientId,
      [ATTR.sweepGrantId]: grantId,
      [ATTR.subject]: subject,
      [ATTR.sweepCount]: 7,
    });
    const item = await itemOf(`sweep#${revocationId}`);
    for (const index of [GRANT_INDEX, CLIENT_INDEX, SUBJECT_INDEX])
      expect(item).not.toHaveProperty(index.partitionKey);
    for (const [index, value] of [
      [GRANT_INDEX, grantId],
      [CLIENT_INDEX, client.clientId],
      [SUBJECT_INDEX, subjectKeyOf(subject)],
    ] as const) {
      const { Items } = await doc.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: index.indexName,
          KeyConditionExpression: '#k = :v',
          ExpressionAttributeNames: { '#k': index.partitionKey },
          ExpressionAttributeValues: { ':v': value },
        }),
      );
      expect((Items ?? []).map((item) => item[PARTITION_KEY])).not.toContain(`sweep#${revocationId}`);
    }
    expect(await store.deleteTokensOfClient(client.clientId)).toBe(0);
    expect(await itemOf(`sweep#${revocationId}`)).toBeDefined();
  });
});
