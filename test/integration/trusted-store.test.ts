/**
 * The trusted issuers' store adapter against DynamoDB Local: the activity state in one consistent
 * BatchGetItem, each revocation one write with its TTL, records written once (and again once expired),
 * cut-offs that never move back, the issuer's tombstone, and what the stream makes of each write.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { type Issuer, issuerIdOf, keyHash, newIssuer } from '#commons/domain/issuers.ts';
import { createDynamoClient } from '#commons/store/client.ts';
import { DynamoTrustStore } from '#commons/store/trusted.ts';
import { trustedRevocationOf } from '#commons/store/trusted-changes.ts';
import {
  issuerKey,
  trustedClientKey,
  trustedFamilyKey,
  trustedTokenKey,
} from '#commons/store/trusted-items.ts';
import { dynamoEndpoint, tableName } from '#test/support/helpers.ts';

/** Every command the adapter sends, with whether its reads were consistent. */
const sent: { command: string; consistent?: boolean }[] = [];
const client = createDynamoClient({ endpoint: dynamoEndpoint });
client.middlewareStack.add(
  (next, context) => async (args) => {
    const input = args.input as {
      RequestItems?: Record<string, { ConsistentRead?: boolean }>;
      ConsistentRead?: boolean;
    };
    const batch = input.RequestItems && Object.values(input.RequestItems)[0];
    sent.push({
      command: context.commandName ?? '',
      consistent: batch?.ConsistentRead ?? input.ConsistentRead,
    });
    return next(args);
  },
  { step: 'initialize', name: 'recordCommands' },
);
const store = new DynamoTrustStore({ client, tableName });
const doc = DynamoDBDocumentClient.from(createDynamoClient({ endpoint: dynamoEndpoint }));
const item = async (key: Record<string, unknown>) =>
  (await doc.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;

const mark = (at: number) =>
  ({
    at,
    actor: { type: 'iam', id: 'arn:aws:iam::000000000000:user/test' },
    route: 'POST /admin/issuers/{issuerId}/revocations',
  }) as const;

async function registered(overrides: Partial<Issuer> = {}): Promise<Issuer> {
  const issuer = {
    ...newIssuer(
      { issuer: `https://${randomUUID()}.example.test`, jwksUri: 'https://x.example.test/jwks' },
      Date.now(),
    ),
    ...overrides,
  };
  expect(await store.createIssuer(issuer)).toBe(true);
  return issuer;
}

describe('DynamoTrustStore', () => {
  it('reads the issuer, the token and family records and both cut-offs in one consistent BatchGetItem', async () => {
    const issuer = await registered();
    const now = Date.now();
    await store.putTrustedRevocation(
      {
        issuerId: issuer.issuerId,
        issuer: issuer.issuer,
        target: { of: 'family', family: 'f1' },
        expiresAt: Math.floor(now / 1000) + 60,
      },
      mark(now),
    );
    await store.putTrustedCutoff(
      {
        issuerId: issuer.issuerId,
        issuer: issuer.issuer,
        scope: { of: 'client', clientId: 'c1' },
        tokensRevokedBefore: now,
        expiresAt: Math.floor(now / 1000) + 60,
      },
      mark(now),
    );
    sent.length = 0;
    const state = await store.readTrustedState({
      issuerId: issuer.issuerId,
      token: keyHash('t1'),
      family: keyHash('f1'),
      client: keyHash('c1'),
      subject: keyHash('s1'),
    });
    expect(sent).toEqual([{ command: 'BatchGetItemCommand', consistent: true }]);
    expect(state).toEqual({
      issuer,
      token: undefined,
      family: { expiresAt: Math.floor(now / 1000) + 60 },
      client: { expiresAt: Math.floor(now / 1000) + 60, tokensRevokedBefore: now },
      subject: undefined,
    });
  });

  it('writes a revocation record once; a repeat writes nothing; an expired record is replaced', async () => {
    const issuer = await registered();
    const now = Date.now();
    const record = {
      issuerId: issuer.issuerId,
      issuer: issuer.issuer,
      target: { of: 'token', tokenId: 'j1' },
      clientId: 'c',
      expiresAt: Math.floor(now / 1000) + 600,
    } as const;
    sent.length = 0;
    expect(await store.putTrustedRevocation(record, mark(now))).toBe(true);
    expect(sent.map((s) => s.command)).toEqual(['PutItemCommand']);
    expect(await store.putTrustedRevocation(record, mark(now + 1))).toBe(false);
    const key = trustedTokenKey(issuer.issuerId, keyHash('j1'));
    expect(await item(key)).toMatchObject({
      revokedAt: now,
      trustedTokenId: 'j1',
      issuer: issuer.issuer,
      expiresAt: record.expiresAt,
    });
    // Past its expiresAt (TTL not run yet): a new revocation writes again.
    const expired = {
      ...record,
      target: { of: 'token', tokenId: 'j2' },
      expiresAt: Math.floor(now / 1000) - 1,
    } as const;
    expect(await store.putTrustedRevocation(expired, mark(now))).toBe(true);
    expect(
      await store.putTrustedRevocation(
        { ...expired, expiresAt: Math.floor(now / 1000) + 600 },
        mark(now + 5),
      ),
    ).toBe(true);
  });

  it('never moves a cut-off back, nor shortens how long it is kept', async () => {
    const issuer = await registered();
    const now = Date.now();
    const cutoff = (at: number, expiresAt: number) =>
      ({
        issuerId: issuer.issuerId,
        issuer: issuer.issuer,
        scope: { of: 'client', clientId: 'c' },
        tokensRevokedBefore: at,
        expiresAt,
      }) as const;
    await store.putTrustedCutoff(cutoff(now, 2000), mark(now));
    await store.putTrustedCutoff(cutoff(now - 1000, 1000), mark(now - 1000));
    expect(await item(trustedClientKey(issuer.issuerId, keyHash('c')))).toMatchObject({
      tokensRevokedBefore: now,
      expiresAt: 2000,
      trustedClientId: 'c',
    });
  });

  it('cuts an issuer off only while it is registered, and never back', async () => {
    const issuer = await registered();
    const now = Date.now();
    expect(await store.cutOffIssuer(issuer.issuerId, mark(now))).toBe(true);
    expect(await store.cutOffIssuer(issuer.issuerId, mark(now - 5))).toBe(true);
    expect((await store.readIssuer(issuer.issuerId))?.tokensRevokedBefore).toBe(now);
    expect(await store.cutOffIssuer(issuerIdOf(`https://${randomUUID()}`), mark(now))).toBe(false);
  });

  it("leaves a tombstone kept as long as the issuer's tokens can live, out of the registry", async () => {
    const issuer = await registered({ maxTokenLifetimeSeconds: 3600 });
    const now = Date.now();
    const deleted = await store.deleteIssuer(issuer.issuerId, mark(now));
    expect(deleted).toEqual(issuer);
    expect(await store.deleteIssuer(issuer.issuerId, mark(now))).toBeUndefined();
    const tombstone = await item(issuerKey(issuer.issuerId));
    expect(tombstone).toMatchObject({ deletedAt: now, expiresAt: Math.floor(now / 1000) + 60 + 3600 + 300 });
    expect(tombstone).not.toHaveProperty('registry');
    expect(await store.readIssuer(issuer.issuerId)).toBeUndefined();
    expect(await store.getIssuerItem(issuer.issuerId)).toEqual({ deletedAt: now });
    // Registering again takes exactly that tombstone's place.
    expect(await store.createIssuer({ ...issuer, createdAt: now + 1 }, now - 1)).toBe(false);
    expect(await store.createIssuer({ ...issuer, createdAt: now + 1, tokensRevokedBefore: now }, now)).toBe(
      true,
    );
  });

  it('makes one event of each revocation write, none of a registration', async () => {
    const issuer = await registered();
    const now = Date.now();
    const who = { revokedBy: { type: 'iam', id: 'arn' }, revokedRoute: 'POST /test' };
    const live = { pk: `issuer#${issuer.issuerId}`, issuer: issuer.issuer };
    expect(trustedRevocationOf({ eventName: 'INSERT', newImage: live })).toBeUndefined();
    expect(
      trustedRevocationOf({
        eventName: 'MODIFY',
        oldImage: { ...live, deletedAt: 1 },
        newImage: { ...live, tokensRevokedBefore: 1 },
      }),
    ).toBeUndefined();
    expect(
      trustedRevocationOf({
        eventName: 'MODIFY',
        oldImage: live,
        newImage: { ...live, ...who, deletedAt: now },
      }),
    ).toMatchObject({ type: 'issuer.deleted', issuer: issuer.issuer, time: now });
    expect(
      trustedRevocationOf({
        eventName: 'MODIFY',
        oldImage: live,
        newImage: { ...live, ...who, tokensRevokedBefore: now },
      }),
    ).toMatchObject({ type: 'issuer.tokens_revoked', tokensRevokedBefore: now });
    const family = {
      pk: trustedFamilyKey(issuer.issuerId, keyHash('f')).pk,
      issuer: issuer.issuer,
      trustedFamily: 'f',
      revokedAt: now,
      expiresAt: 1,
      ...who,
    };
    expect(trustedRevocationOf({ eventName: 'INSERT', newImage: family })).toMatchObject({
      type: 'family.revoked',
      family: 'f',
    });
    expect(trustedRevocationOf({ eventName: 'MODIFY', oldImage: family, newImage: family })).toBeUndefined();
    expect(trustedRevocationOf({ eventName: 'REMOVE', oldImage: family })).toBeUndefined();
  });
});
