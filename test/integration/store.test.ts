import { createServer } from 'node:http';
import {
  type AddressInfo,
  connect as connectTo,
  createServer as createNetServer,
  type Socket,
} from 'node:net';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { findActiveToken } from '#commons/domain/activity.ts';
import { type ClientRegistration, newClient } from '#commons/domain/clients.ts';
import { InvalidInput, StoreUnavailable } from '#commons/domain/errors.ts';
import type { Client, GrantRecord, PresentedToken, Store, TokenRecord } from '#commons/domain/model.ts';
import { revokeForClient } from '#commons/domain/revocation.ts';
import { hashSecret, mintSecret } from '#commons/domain/secrets.ts';
import { sweep } from '#commons/domain/sweep.ts';
import { presentToken } from '#commons/domain/token-format.ts';
import { issueTokens, refreshTokenGrant } from '#commons/domain/tokens.ts';
import { ATTR } from '#commons/schema.ts';
import { createDynamoClient, DEADLINES } from '#commons/store/client.ts';
import { DynamoStore } from '#commons/store/dynamodb.ts';
import { CorruptItem } from '#commons/store/items.ts';
import { issueGrant, storedClient, tokenRecord } from '#test/support/grants.ts';
import { dynamoEndpoint, tableName, testStore } from '#test/support/helpers.ts';

const localClient = () => createDynamoClient({ endpoint: dynamoEndpoint });
const store = testStore();
const clock = () => Date.now();

async function aClient(registration: Partial<ClientRegistration> = {}): Promise<Client> {
  return storedClient(store, clock, 'store test', registration);
}

/** A bare token record of a client, without a grant. */
function token(client: Client, kind: TokenRecord['kind'], extra: Partial<TokenRecord> = {}): TokenRecord {
  return tokenRecord(client, clock, kind, extra);
}

/** A new grant through the domain, as the admin mint route makes one: its raw tokens, presented. */
async function aGrant(client: Client, subject?: string) {
  return issueGrant(store, clock, client, subject);
}

async function active(presented: PresentedToken): Promise<boolean> {
  return (await findActiveToken(store, clock, presented)) !== undefined;
}

const noReuse = {
  onReuse: () => {
    throw new Error('no reuse expected');
  },
};

/** Who the store tests revoke as: an operator through the admin API. */
const OPERATOR = { type: 'iam', id: 'arn:aws:iam::000000000000:user/store-test' } as const;
const mark = (at = Date.now()) => ({ actor: OPERATOR, route: 'DELETE /admin/test', at });

describe('DynamoDB store (against DynamoDB Local)', () => {
  it('creates a client once: another client under the same id is refused', async () => {
    const client = await aClient();
    expect(await store.createClient({ ...client, createdAt: client.createdAt + 1 })).toBe(false);
    expect(await store.getClient(client.clientId)).toEqual(client);
  });

  it('reads a token, its client, its grant and its subject cut-off in one consistent BatchGetItem', async () => {
    const client = await aClient();
    const grant = await aGrant(client, 'alice');
    const refs = grant.access.refs;
    if (!refs) throw new Error('unparsed');
    expect(refs).toMatchObject({ kind: 'access', clientId: client.clientId, grantId: grant.grantId });
    await store.cutOffSubject(
      { subjectKey: refs.subjectKey ?? '', tokensRevokedBefore: 1, expiresAt: 4e9 },
      mark(1),
    );
    const state = await store.readTokenState(grant.access.id, refs);
    expect(state.token?.id).toBe(grant.access.id);
    expect(state.client).toEqual(client);
    expect(state.grant).toMatchObject({ grantId: grant.grantId, currentRefreshTokenId: grant.refresh.id });
    expect(state.subjectCutoff).toMatchObject({ tokensRevokedBefore: 1 });
  });

  it('starts a grant for a client that does not exist dead: its tokens are never active', async () => {
    const { client } = newClient({ name: 'ghost', grantTypes: ['refresh_token'] }, clock());
    const issued = await issueTokens(store, clock, client, {
      scope: undefined,
      withRefreshToken: true,
      grantType: 'external',
    });
    expect(await active(presentToken(issued?.response.access_token ?? ''))).toBe(false);
    expect(await active(presentToken(issued?.response.refresh_token ?? ''))).toBe(false);
  });

  it('starts a grant with two items: the grant, holding its refresh token, and the access token', async () => {
    const client = await aClient();
    const grant = await aGrant(client);
    expect(await store.getToken(grant.refresh.id)).toBeUndefined();
    expect(await store.getToken(grant.access.id)).toMatchObject({ grantId: grant.grantId });
    const refs = grant.refresh.refs;
    if (!refs) throw new Error('unparsed');
    expect((await store.readTokenState(grant.refresh.id, refs)).token).toMatchObject({
      id: grant.refresh.id,
      kind: 'refresh',
      grantId: grant.grantId,
      refreshCount: 0,
    });
  });

  it('refreshes without rotation: the refresh token stays and counts the refresh', async () => {
    const client = await aClient();
    const grant = await aGrant(client);
    const issued = await refreshTokenGrant(store, clock, client, grant.refresh, undefined, noReuse);
    expect(issued.response.refresh_token).toBeUndefined();
    const refs = grant.refresh.refs;
    if (!refs) throw new Error('unparsed');
    expect((await store.readTokenState(grant.refresh.id, refs)).token?.refreshCount).toBe(1);
    expect(await active(presentToken(issued.response.access_token))).toBe(true);
    expect(await active(grant.refresh)).toBe(true);
  });

  it('refreshes with rotation: a new refresh token, the presented one consumed, the grant pointing on', async () => {
    const client = await aClient({ refreshTokenRotation: true });
    const grant = await aGrant(client);
    const issued = await refreshTokenGrant(store, clock, client, grant.refresh, undefined, noReuse);
    const next = presentToken(issued.response.refresh_token ?? '');
    expect(await active(grant.refresh)).toBe(false);
    expect(await active(next)).toBe(true);
    const refs = next.refs;
    if (!refs || !grant.refresh.refs) throw new Error('unparsed');
    const consumed = await store.readTokenState(grant.refresh.id, grant.refresh.refs);
    expect(consumed.token).toMatchObject({ refreshCount: 1, consumedAt: expect.any(Number) });
    expect((await store.readTokenState(next.id, refs)).grant?.currentRefreshTokenId).toBe(next.id);
  });

  it('refuses a rotation whose refresh token another refresh moved on from, and a refresh of a revoked grant', async () => {
    const client = await aClient({ refreshTokenRotation: true });
    const grant = await aGrant(client);
    const refs = grant.refresh.refs;
    if (!refs) throw new Error('unparsed');
    const state = await store.readTokenState(grant.refresh.id, refs);
    if (!state.token || !state.grant) throw new Error('no state');
    const write = (now: number) => ({
      parent: state.token as TokenRecord,
      grant: state.grant as GrantRecord,
      access: token(client, 'access', { grantId: grant.grantId }),
      newRefresh: token(client, 'refresh', { grantId: grant.grantId }),
      now,
    });
    expect(await store.refresh(write(clock()))).toBe(true);
    expect(await store.refresh(write(clock()))).toBe(false);
    await store.revokeGrant(grant.grantId, { ...mark(), reason: 'revoked' });
    expect(await store.refresh({ ...write(clock()), newRefresh: undefined } as never)).toBe(false);
  });

  it.each([
    [
      'its grant revoked',
      (s: Store, g: { grantId: string }) => s.revokeGrant(g.grantId, { ...mark(), reason: 'revoked' }),
    ],
    [
      'revoked with all of its client',
      (s: Store, _g: unknown, c: Client) => s.revokeClientTokensBefore(c.clientId, mark()),
    ],
    [
      'orphaned by its deleted client',
      (s: Store, _g: unknown, c: Client) => s.deleteClient(c.clientId, mark()),
    ],
    [
      'cut off by its subject',
      (s: Store, _g: unknown, _c: Client, subjectKey?: string) =>
        s.cutOffSubject(
          { subjectKey: subjectKey ?? '', tokensRevokedBefore: clock(), expiresAt: 4e9 },
          mark(),
        ),
    ],
  ])(
    'mints no active token from a refresh token whose state changed after the read: %s',
    async (_name, kill) => {
      const client = await aClient();
      const grant = await aGrant(client, `subject-${mintSecret()}`);
      const refs = grant.refresh.refs;
      if (!refs) throw new Error('unparsed');
      // The issue time is fixed before the read, as refreshTokenGrant does.
      const now = clock();
      const state = await store.readTokenState(grant.refresh.id, refs);
      if (!state.token || !state.grant) throw new Error('no state');
      await kill(store, grant, client, refs.subjectKey);
      const child = token(client, 'access', {
        grantId: grant.grantId,
        issuedAt: now,
        subject: state.token.subject,
        subjectKey: state.token.subjectKey,
      } as Partial<TokenRecord>);
      // Written or not (a revoked grant refuses the grant write), the child is never active.
      await store.refresh({ parent: state.token, grant: state.grant, access: child, now });
      const childRefs = {
        kind: 'access' as const,
        clientId: client.clientId,
        grantId: grant.grantId,
        ...(refs.subjectKey !== undefined && { subjectKey: refs.subjectKey }),
      };
      expect(await active({ id: child.id, refs: childRefs })).toBe(false);
    },
  );

  it('sweeps every token of a grant across batches and index pages, and no other', async () => {
    const client = await aClient();
    const grant = await aGrant(client);
    const other = await aGrant(client);
    for (let i = 0; i < 30; i++)
      await refreshTokenGrant(store, clock, client, grant.refresh, undefined, noReuse);
    const paged = new DynamoStore({ tableName, client: localClient(), indexPageSize: 7 });
    // 30 refreshed access tokens and the first access token (the grant item holds the refresh token).
    expect(await paged.deleteTokensOfGrant(grant.grantId)).toBe(31);
    expect(await store.getToken(grant.access.id)).toBeUndefined();
    expect(await active(other.access)).toBe(true);
  });

  it('sweeps the tokens of a client issued up to a cut-off, and only those of that client', async () => {
    const client = await aClient();
    const other = await aClient();
    const mine = Array.from({ length: 30 }, () => token(client, 'access', { issuedAt: 1000 }));
    const later = token(client, 'access', { issuedAt: 3000 });
    const theirs = token(other, 'access', { issuedAt: 1000 });
    for (const t of [...mine, later, theirs]) await store.putAccessToken(t);
    const paged = new DynamoStore({ tableName, client: localClient(), indexPageSize: 4 });
    expect(await paged.deleteTokensOfClient(client.clientId, 2000)).toBe(30);
    expect(await store.getToken(later.id)).toBeDefined();
    expect(await store.getToken(theirs.id)).toBeDefined();
    expect(await paged.deleteTokensOfClient(client.clientId)).toBe(1);
  });

  it('revokes a grant with its mark alone: every token inactive at once and kept until the sweep deletes them', async () => {
    const client = await aClient();
    const grant = await aGrant(client);
    const refreshed = [];
    for (let i = 0; i < 5; i++) {
      const issued = await refreshTokenGrant(store, clock, client, grant.refresh, undefined, noReuse);
      refreshed.push(presentToken(issued.response.access_token));
    }
    const all = [grant.refresh, grant.access, ...refreshed];
    const revocation = await revokeForClient(store, clock, client, grant.refresh, 'POST /oauth2/revoke');
    expect(revocation?.event).toMatchObject({ type: 'grant.revoked', grantId: grant.grantId });

    // Dead everywhere at once, though no token item was touched: the grant's mark decides.
    for (const t of all) expect(await active(t)).toBe(false);
    await expect(refreshTokenGrant(store, clock, client, grant.refresh, undefined, noReuse)).rejects.toThrow(
      /invalid/,
    );
    const raw = DynamoDBDocumentClient.from(localClient());
    for (const t of all) {
      const { Item } = await raw.send(new GetCommand({ TableName: tableName, Key: { [ATTR.pk]: t.id } }));
      expect(Item?.[ATTR.revokedAt]).toBeUndefined();
    }
    // A second revocation of the grant writes nothing and reports nothing.
    expect(await revokeForClient(store, clock, client, grant.refresh)).toBeUndefined();

    // The sweep deletes them all; run again, it finds none left. This table is the local server's, whose
    // own stream sweeper races this call for the same tokens, so only the sum is known: exact counts are
    // checked on a table of their own (sweeper.test.ts).
    if (!revocation) throw new Error('not revoked');
    const swept = await sweep(store, clock, revocation.event);
    expect(swept).toBeGreaterThanOrEqual(0);
    expect(swept).toBeLessThanOrEqual(all.length);
    for (const t of all) expect(await store.getToken(t.id)).toBeUndefined();
    expect(await sweep(store, clock, revocation.event)).toBe(0);
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
      const error = await store.putAccessToken(token(await aClient(), 'access')).catch((e: unknown) => e);
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

describe('a write whose answer was lost', () => {
  it('still counts as done when the SDK retries it and the retry meets its own earlier write', async () => {
    const target = new URL(dynamoEndpoint);
    let delayed = 0;
    // Forwards to DynamoDB Local, but holds back the answer to the first request longer than one
    // attempt may wait: the SDK gives up on it and sends the write again, after DynamoDB applied it.
    const proxy = createNetServer((socket) => {
      const upstream = connectTo(Number(target.port), target.hostname);
      const holdBack = delayed++ === 0;
      socket.pipe(upstream);
      upstream.on('data', (chunk: Buffer) => {
        if (holdBack) setTimeout(() => socket.writable && socket.write(chunk), DEADLINES.requestMs + 300);
        else socket.write(chunk);
      });
      const drop = () => {
        socket.destroy();
        upstream.destroy();
      };
      socket.on('error', drop);
      upstream.on('error', drop);
      socket.on('close', drop);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.address() as AddressInfo;
    try {
      const slow = new DynamoStore({
        tableName,
        client: createDynamoClient({ endpoint: `http://127.0.0.1:${port}` }),
      });
      const { client } = newClient({ name: 'lost answer' }, clock());
      expect(await slow.createClient(client)).toBe(true);
      expect(delayed).toBeGreaterThanOrEqual(2);
      expect(await store.getClient(client.clientId)).toEqual(client);
      // A real collision is still refused.
      expect(await store.createClient({ ...client, createdAt: client.createdAt + 1 })).toBe(false);
    } finally {
      proxy.close();
    }
  });
});

describe('conditional revocations and input DynamoDB refuses', () => {
  it('gives the revoked token to exactly one of two concurrent revocations', async () => {
    const client = await aClient();
    for (let round = 0; round < 20; round++) {
      const access = token(client, 'access');
      await store.putAccessToken(access);
      const results = await Promise.all([
        store.revokeToken(access.id, mark()),
        store.revokeToken(access.id, mark()),
      ]);
      expect(results.filter((r) => r !== undefined)).toEqual([access]);
    }
  });

  it("answers an item over DynamoDB's size limit with InvalidInput, not a fault", async () => {
    const client = await aClient();
    const huge = token(client, 'access', { scope: 'x'.repeat(410 * 1024) });
    await expect(store.putAccessToken(huge)).rejects.toBeInstanceOf(InvalidInput);
  });

  it('refuses to read an item that does not have the shape the service writes', async () => {
    const id = hashSecret(mintSecret());
    const doc = DynamoDBDocumentClient.from(localClient());
    await doc.send(new PutCommand({ TableName: tableName, Item: { [ATTR.pk]: id, [ATTR.kind]: 'access' } }));
    await expect(store.getToken(id)).rejects.toBeInstanceOf(CorruptItem);
  });
});
