import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { newClient } from '../../functions/commons/domain/clients.ts';
import type { Client, Store, TokenRecord } from '../../functions/commons/domain/model.ts';
import { findRevocable, revokeRefreshToken } from '../../functions/commons/domain/revocation.ts';
import { hashSecret, mintSecret } from '../../functions/commons/domain/secrets.ts';
import { isActive } from '../../functions/commons/domain/tokens.ts';
import { DependencyUnavailableError } from '../../functions/commons/errors.ts';
import { DynamoStore } from '../../functions/commons/store/dynamodb.ts';
import { dynamoEndpoint, tableName, testStore } from '../support/helpers.ts';

const store = testStore();
const clock = () => Date.now();

async function aClient(): Promise<Client> {
  const { client } = newClient(
    { name: 'store test', grantTypes: ['client_credentials', 'refresh_token'] },
    clock(),
  );
  expect(await store.createClient(client)).toBe(true);
  return client;
}

function token(client: Client, kind: TokenRecord['kind'], extra: Partial<TokenRecord> = {}): TokenRecord {
  const now = clock();
  return {
    id: hashSecret(mintSecret()),
    kind,
    clientId: client.clientId,
    scope: 'read',
    issuedAt: now,
    expiresAt: Math.floor(now / 1000) + 3600,
    grantType: 'client_credentials',
    refreshCount: 0,
    lastModifiedAt: now,
    ...extra,
  };
}

const childOf = (parent: TokenRecord) =>
  token({ clientId: parent.clientId } as Client, 'access', {
    refreshTokenId: parent.id,
    refreshExpiresAt: parent.expiresAt,
  });

async function active(id: string): Promise<boolean> {
  const record = await store.getToken(id);
  return !!record && isActive(record, await store.getTokenContext(record), clock());
}

describe('DynamoDB store (against DynamoDB Local)', () => {
  it('creates a client once: a second create with the same id is refused', async () => {
    const client = await aClient();
    expect(await store.createClient(client)).toBe(false);
    expect(await store.getClient(client.clientId)).toEqual(client);
  });

  it('reads a token with its client and refresh token in one context', async () => {
    const client = await aClient();
    const parent = token(client, 'refresh');
    const child = childOf(parent);
    expect(await store.putTokens([parent, child])).toBe(true);
    const context = await store.getTokenContext(child);
    expect(context.client?.clientId).toBe(client.clientId);
    expect(context.parent).toEqual(parent);
  });

  it('does not read again the client the caller already holds, but reads any other', async () => {
    const client = await aClient();
    const parent = token(client, 'refresh');
    const child = childOf(parent);
    await store.putTokens([parent, child]);
    // A copy that differs from the stored item shows which one came back.
    const held = { ...client, name: 'held by the caller' };
    expect(await store.getTokenContext(child, held)).toEqual({ client: held, parent });
    expect((await store.getTokenContext(child, { ...held, clientId: 'someone-else' })).client).toEqual(
      client,
    );
    expect(await store.getTokenContext(parent, held)).toEqual({ client: held, parent: undefined });
  });

  it('mints no token for a client that does not exist', async () => {
    const ghost = { clientId: 'no-such-client' } as Client;
    const orphan = token(ghost, 'access');
    expect(await store.putTokens([orphan])).toBe(false);
    expect(await store.getToken(orphan.id)).toBeUndefined();
  });

  it('writes a refreshed access token and counts the refresh while the refresh token is live', async () => {
    const client = await aClient();
    const parent = token(client, 'refresh');
    await store.putTokens([parent]);
    const child = childOf(parent);
    expect(await store.putRefreshedAccessToken(child, parent, clock())).toBe(true);
    expect((await store.getToken(parent.id))?.refreshCount).toBe(1);
    expect(await store.getToken(child.id)).toEqual(child);
  });

  it.each([
    ['marked revoked', (s: Store, p: TokenRecord) => s.markRevoked(p.id)],
    ['deleted', (s: Store, p: TokenRecord) => s.deleteToken(p.id)],
    [
      'revoked with all of its client',
      (s: Store, p: TokenRecord) => s.revokeClientTokensBefore(p.clientId, Date.now()),
    ],
    ['orphaned by its deleted client', (s: Store, p: TokenRecord) => s.deleteClient(p.clientId)],
  ])('mints no access token from a refresh token %s', async (_name, kill) => {
    const client = await aClient();
    const parent = token(client, 'refresh');
    await store.putTokens([parent]);
    await kill(store, parent);
    const child = childOf(parent);
    expect(await store.putRefreshedAccessToken(child, parent, clock())).toBe(false);
    expect(await store.getToken(child.id)).toBeUndefined();
  });

  it('mints no access token from an expired refresh token', async () => {
    const client = await aClient();
    const parent = token(client, 'refresh', { expiresAt: Math.floor(clock() / 1000) - 1 });
    await store.putTokens([parent]);
    expect(await store.putRefreshedAccessToken(childOf(parent), parent, clock())).toBe(false);
  });

  it('sweeps every access token of a refresh token across batches and index pages', async () => {
    const client = await aClient();
    const parent = token(client, 'refresh');
    const sibling = token(client, 'refresh');
    await store.putTokens([parent, sibling]);
    const children = Array.from({ length: 60 }, () => childOf(parent));
    const cousin = childOf(sibling);
    for (const child of [...children, cousin]) await store.putRefreshedAccessToken(child, parent, clock());
    const paged = new DynamoStore({ tableName, endpoint: dynamoEndpoint, indexPageSize: 7 });
    expect(await paged.deleteAccessTokensOf(parent.id)).toBe(60);
    for (const child of children.slice(0, 5)) expect(await store.getToken(child.id)).toBeUndefined();
    expect(await store.getToken(cousin.id)).toBeDefined();
  });

  it('sweeps every token of a client, and only that client', async () => {
    const client = await aClient();
    const other = await aClient();
    const mine = Array.from({ length: 30 }, () => token(client, 'access'));
    const theirs = token(other, 'access');
    for (let i = 0; i < mine.length; i += 10) await store.putTokens(mine.slice(i, i + 10));
    await store.putTokens([theirs]);
    const paged = new DynamoStore({ tableName, endpoint: dynamoEndpoint, indexPageSize: 4 });
    expect(await paged.deleteTokensOfClient(client.clientId)).toBe(30);
    expect(await store.getToken(theirs.id)).toBeDefined();
  });

  it('finishes a refresh-token cascade that failed part way when the revoke is retried', async () => {
    const client = await aClient();
    const raw = mintSecret();
    const parent = token(client, 'refresh', { id: hashSecret(raw) });
    await store.putTokens([parent]);
    const children = Array.from({ length: 5 }, () => childOf(parent));
    for (const child of children) await store.putRefreshedAccessToken(child, parent, clock());

    // The sweep fails as it would when DynamoDB throttles past the SDK's retries.
    const failing: Store = Object.create(store, {
      deleteAccessTokensOf: { value: () => Promise.reject(new DependencyUnavailableError(1)) },
    });
    await expect(revokeRefreshToken(failing, parent)).rejects.toBeInstanceOf(DependencyUnavailableError);

    // Already dead everywhere, though nothing was swept yet.
    expect((await store.getToken(parent.id))?.revoked).toBe(true);
    for (const child of children) expect(await active(child.id)).toBe(false);
    expect(await store.putRefreshedAccessToken(childOf(parent), parent, clock())).toBe(false);

    // The retried revoke still finds the half-revoked token and completes the job.
    const again = await findRevocable(store, clock, raw);
    expect(again?.revoked).toBe(true);
    const done = await revokeRefreshToken(store, again as TokenRecord);
    expect(done.cascade).toBe(5);
    expect(await store.getToken(parent.id)).toBeUndefined();
    for (const child of children) expect(await store.getToken(child.id)).toBeUndefined();
  });
});

describe('DynamoDB unavailability', () => {
  it('turns a refused connection into a 503 with Retry-After', async () => {
    const down = new DynamoStore({ tableName, endpoint: 'http://127.0.0.1:9', retryAfterSeconds: 7 });
    const error = await down.getToken('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as DependencyUnavailableError).statusCode).toBe(503);
    expect((error as DependencyUnavailableError).headers['Retry-After']).toBe('7');
    expect((error as DependencyUnavailableError).body()).toEqual({ error: 'temporarily_unavailable' });
  });

  it('turns throttling that outlasts the SDK retries into a 503', async () => {
    let calls = 0;
    const throttling = createServer((_request, response) => {
      calls++;
      response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(
        JSON.stringify({
          __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException',
          message: 'Rate of requests exceeds the allowed throughput.',
        }),
      );
    });
    await new Promise<void>((resolve) => throttling.listen(0, '127.0.0.1', resolve));
    const { port } = throttling.address() as AddressInfo;
    try {
      const throttled = new DynamoStore({ tableName, endpoint: `http://127.0.0.1:${port}` });
      await expect(throttled.getClient('x')).rejects.toBeInstanceOf(DependencyUnavailableError);
      expect(calls).toBe(3);
    } finally {
      throttling.close();
    }
  });
});
