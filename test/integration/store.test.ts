import { createServer } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { newClient } from '#commons/domain/clients.ts';
import { InvalidInput, StoreUnavailable } from '#commons/domain/errors.ts';
import type { Client, Store, TokenRecord } from '#commons/domain/model.ts';
import { findRevocable, revokeRefreshToken } from '#commons/domain/revocation.ts';
import { hashSecret, mintSecret } from '#commons/domain/secrets.ts';
import { isActive } from '#commons/domain/tokens.ts';
import { ATTR } from '#commons/schema.ts';
import { createDynamoClient, DEADLINES } from '#commons/store/client.ts';
import { DynamoStore } from '#commons/store/dynamodb.ts';
import { CorruptItem } from '#commons/store/items.ts';
import { dynamoEndpoint, tableName, testStore } from '#test/support/helpers.ts';

const localClient = () => createDynamoClient({ endpoint: dynamoEndpoint });
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
    const paged = new DynamoStore({ tableName, client: localClient(), indexPageSize: 7 });
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
    const paged = new DynamoStore({ tableName, client: localClient(), indexPageSize: 4 });
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
      deleteAccessTokensOf: { value: () => Promise.reject(new StoreUnavailable()) },
    });
    await expect(revokeRefreshToken(failing, parent)).rejects.toBeInstanceOf(StoreUnavailable);

    // Already dead everywhere, though nothing was swept yet.
    expect((await store.getToken(parent.id))?.revoked).toBe(true);
    for (const child of children) expect(await active(child.id)).toBe(false);
    expect(await store.putRefreshedAccessToken(childOf(parent), parent, clock())).toBe(false);

    // The retried revoke still finds the half-revoked token and completes the job.
    const again = await findRevocable(store, clock, hashSecret(raw));
    expect(again?.revoked).toBe(true);
    const done = await revokeRefreshToken(store, again as TokenRecord);
    expect(done?.cascade).toBe(5);
    expect(await store.getToken(parent.id)).toBeUndefined();
    for (const child of children) expect(await store.getToken(child.id)).toBeUndefined();
  });
});

describe('DynamoDB unavailability', () => {
  it('turns a refused connection into StoreUnavailable', async () => {
    const down = new DynamoStore({
      tableName,
      client: createDynamoClient({ endpoint: 'http://127.0.0.1:9' }),
    });
    await expect(down.getToken('x')).rejects.toBeInstanceOf(StoreUnavailable);
  });

  it('turns throttling that outlasts the SDK retries into StoreUnavailable', async () => {
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
      const client = createDynamoClient({ endpoint: `http://127.0.0.1:${port}` });
      const throttled = new DynamoStore({ tableName, client });
      const started = performance.now();
      await expect(throttled.getClient('x')).rejects.toBeInstanceOf(StoreUnavailable);
      expect(performance.now() - started).toBeLessThanOrEqual(DEADLINES.callMs + 500);
      // The SDK retried (its throttling back-off is long, so the deadline may cut the last attempt).
      expect(calls).toBeGreaterThanOrEqual(2);
      expect(calls).toBeLessThanOrEqual(DEADLINES.maxAttempts);
    } finally {
      throttling.close();
    }
  });

  it('gives up on a DynamoDB that accepts connections and never answers, by its deadline', async () => {
    const sockets = new Set<Socket>();
    let requests = 0;
    // Reads every request and never answers, as a stopped (SIGSTOP) DynamoDB Local does.
    const hung = createNetServer((socket) => {
      sockets.add(socket);
      socket.on('data', () => requests++);
    });
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const { port } = hung.address() as AddressInfo;
    try {
      const store = new DynamoStore({
        tableName,
        client: createDynamoClient({ endpoint: `http://127.0.0.1:${port}` }),
      });
      const started = performance.now();
      const error = await store.putTokens([token(await aClient(), 'access')]).catch((e: unknown) => e);
      const elapsed = performance.now() - started;
      expect(error).toBeInstanceOf(StoreUnavailable);
      expect(elapsed).toBeLessThanOrEqual(DEADLINES.callMs + 500);
      const sent = requests;
      // Aborted means aborted: the SDK sends nothing more once the caller has its answer.
      await new Promise((resolve) => setTimeout(resolve, DEADLINES.requestMs + 200));
      expect(requests).toBe(sent);
    } finally {
      for (const socket of sockets) socket.destroy();
      hung.close();
    }
  });
});

describe('conditional deletes and input DynamoDB refuses', () => {
  it('gives the deleted token to exactly one of two concurrent deletes', async () => {
    const client = await aClient();
    for (let round = 0; round < 20; round++) {
      const access = token(client, 'access');
      await store.putTokens([access]);
      const results = await Promise.all([store.deleteToken(access.id), store.deleteToken(access.id)]);
      expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    }
  });

  it("answers an item over DynamoDB's size limit with InvalidInput, not a fault", async () => {
    const client = await aClient();
    const huge = token(client, 'access', { scope: 'x'.repeat(410 * 1024) });
    await expect(store.putTokens([huge])).rejects.toBeInstanceOf(InvalidInput);
  });

  it('refuses to read an item that does not have the shape the service writes', async () => {
    const id = hashSecret(mintSecret());
    const doc = DynamoDBDocumentClient.from(localClient());
    await doc.send(new PutCommand({ TableName: tableName, Item: { [ATTR.pk]: id, [ATTR.kind]: 'access' } }));
    await expect(store.getToken(id)).rejects.toBeInstanceOf(CorruptItem);
  });
});
