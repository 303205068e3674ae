import { join } from 'node:path';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '#commons/domain/secrets.ts';
import { formatToken } from '#commons/domain/token-format.ts';
import { clientKey } from '#commons/store/items.ts';
import { startServer } from '#test/support/global-setup.ts';
import {
  ADMIN,
  admin,
  call,
  dynamoEndpoint,
  postForm,
  type RegisteredClient,
  recordSecrets,
  registerClient,
  runDir,
  tableName,
  testStore,
} from '#test/support/helpers.ts';
import { postFormFrom, type SourcedResponse } from '#test/support/source-ip.ts';
import { adminRequest } from '#tools/admin-client.ts';
import { localDynamoClient } from '#tools/local/dynamodb-local.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** POST /admin/clients/{clientId}/secret; body undefined sends none. */
async function rotate(clientId: string, body?: unknown) {
  return admin('POST', `/admin/clients/${encodeURIComponent(clientId)}/secret`, body);
}

async function rotated(clientId: string, body?: unknown): Promise<string> {
  const response = await rotate(clientId, body);
  expect(response.status).toBe(200);
  const json = response.json as { clientId: string; clientSecret: string };
  expect(Object.keys(json).sort()).toEqual(['clientId', 'clientSecret']);
  expect(json.clientId).toBe(clientId);
  expect(json.clientSecret).toMatch(/^[A-Za-z0-9_-]{43,}$/);
  return json.clientSecret;
}

/** The status of each client-authenticating route for these credentials (Basic, and post on token). */
async function statuses(clientId: string, secret: string): Promise<number[]> {
  const auth = [clientId, secret] as const;
  const responses = await Promise.all([
    postForm('/oauth2/token', { grant_type: 'client_credentials' }, { auth }),
    postForm('/oauth2/token', {
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: secret,
    }),
    postForm('/oauth2/introspect', { token: 'unknown-token' }, { auth }),
    postForm('/oauth2/revoke', { token: 'unknown-token' }, { auth }),
  ]);
  return responses.map((response) => response.status);
}

const ACCEPTED = [200, 200, 200, 200];
const REFUSED = [401, 401, 401, 401];

async function rawItem(clientId: string): Promise<Record<string, unknown> | undefined> {
  const doc = DynamoDBDocumentClient.from(localDynamoClient(dynamoEndpoint));
  const { Item } = await doc.send(
    new GetCommand({ TableName: tableName, Key: clientKey(clientId), ConsistentRead: true }),
  );
  doc.destroy();
  return Item;
}

describe('POST /admin/clients/{clientId}/secret', () => {
  it('returns a new secret that works at once; with no grace (empty body) the old one stops at once', async () => {
    // Never authenticated before: no function holds its client item.
    const client = await registerClient();
    const secret = await rotated(client.clientId);
    expect(secret).not.toBe(client.clientSecret);
    expect(await statuses(client.clientId, client.clientSecret)).toEqual(REFUSED);
    expect(await statuses(client.clientId, secret)).toEqual(ACCEPTED);
    // GET shows the client as before: no secret, no hash.
    const { clientSecret: _secret, ...shown } = client;
    expect((await admin('GET', `/admin/clients/${client.clientId}`)).json).toEqual(shown);
  });

  it('works at once for a function that has the client cached: a failed check is re-read before a 401', async () => {
    const client = await registerClient();
    // Every route authenticates the client, so every cache (one per process locally) holds it.
    expect(await statuses(client.clientId, client.clientSecret)).toEqual(ACCEPTED);
    const secret = await rotated(client.clientId, { previousSecretGraceSeconds: 0 });
    expect(await statuses(client.clientId, secret)).toEqual(ACCEPTED);
    // That re-read replaced the cached item, so the old secret is refused from here on.
    expect(await statuses(client.clientId, client.clientSecret)).toEqual(REFUSED);
  });

  it('keeps the old secret working for the grace, and never after', async () => {
    const client = await registerClient();
    const secret = await rotated(client.clientId, { previousSecretGraceSeconds: 2 });
    const graceEnds = Date.now() + 2000;
    expect(await statuses(client.clientId, client.clientSecret)).toEqual(ACCEPTED);
    expect(await statuses(client.clientId, secret)).toEqual(ACCEPTED);
    await sleep(graceEnds - Date.now() + 50);
    expect(await statuses(client.clientId, client.clientSecret)).toEqual(REFUSED);
    expect(await statuses(client.clientId, secret)).toEqual(ACCEPTED);
  });

  it('stores the new and the previous secret only as hashes', async () => {
    const client = await registerClient();
    const secret = await rotated(client.clientId, { previousSecretGraceSeconds: 600 });
    const before = Date.now();
    const item = await rawItem(client.clientId);
    expect(item).toMatchObject({
      secretHash: hashSecret(secret),
      previousSecretHash: hashSecret(client.clientSecret),
    });
    const expiresAt = Number(item?.previousSecretExpiresAt);
    expect(expiresAt).toBeGreaterThan(before + 590_000);
    expect(expiresAt).toBeLessThanOrEqual(before + 600_000);
    const dump = JSON.stringify(item);
    expect(dump).not.toContain(secret);
    expect(dump).not.toContain(client.clientSecret);
  });

  it('answers 404 for an unknown client and 400 for a public one, changing nothing', async () => {
    const publicClient = await registerClient({ public: true, grantTypes: ['refresh_token'] });
    expect(await rotate('no-such-client', {})).toMatchObject({
      status: 404,
      json: { message: 'client not found' },
    });
    expect(await rotate('x'.repeat(129))).toMatchObject({
      status: 404,
      json: { message: 'client not found' },
    });
    expect(await rotate(publicClient.clientId)).toMatchObject({
      status: 400,
      json: { message: 'a public client has no secret to rotate' },
    });
    expect(await rawItem(publicClient.clientId)).not.toHaveProperty('secretHash');
    const response = await postForm('/oauth2/revoke', { token: 'x', client_id: publicClient.clientId });
    expect(response.status).toBe(200);
  });

  it('refuses a grace outside 0..86400 or not an integer, and a body that is not a JSON object, with 400', async () => {
    const client = await registerClient();
    for (const previousSecretGraceSeconds of [-1, 86_401, 1.5, '60', null]) {
      const response = await rotate(client.clientId, { previousSecretGraceSeconds });
      expect(response.status, JSON.stringify(previousSecretGraceSeconds)).toBe(400);
      expect((response.json as { message: string }).message).toMatch(/^"previousSecretGraceSeconds" must be/);
    }
    expect((await rotate(client.clientId, [60])).json).toEqual({
      message: 'request body must be a JSON object',
    });
    // Nothing changed: the registered secret still works.
    expect(await statuses(client.clientId, client.clientSecret)).toEqual(ACCEPTED);
    // The longest grace is allowed.
    await rotated(client.clientId, { previousSecretGraceSeconds: 86_400 });
    expect(await statuses(client.clientId, client.clientSecret)).toEqual(ACCEPTED);
  });

  it('refuses an unsigned call with 403', async () => {
    const client = await registerClient();
    const response = await call('POST', `/admin/clients/${client.clientId}/secret`);
    expect(response.status).toBe(403);
    expect(response.json).toEqual({ message: 'Forbidden' });
    expect(await statuses(client.clientId, client.clientSecret)).toEqual(ACCEPTED);
  });
});

describe('client cache bound (CLIENT_CACHE_SECONDS=1, own server)', () => {
  let url = '';
  let stop = () => {};

  beforeAll(async () => {
    const started = await startServer(
      { DYNAMODB_ENDPOINT: dynamoEndpoint, TABLE_NAME: tableName, CLIENT_CACHE_SECONDS: '1' },
      join(runDir, 'client-cache-server.log'),
    );
    url = started.url;
    stop = () => started.child.kill('SIGTERM');
  }, 60_000);
  afterAll(() => stop());

  const signed = async (method: string, path: string, body?: unknown) => {
    const response = await adminRequest(url, method, path, ADMIN, body === undefined ? {} : { body });
    recordSecrets(response.json);
    return response;
  };

  async function statusesAt(client: RegisteredClient, secret: string): Promise<number[]> {
    const auth = [client.clientId, secret] as const;
    const ip = '127.0.0.1';
    const responses: SourcedResponse[] = await Promise.all([
      postFormFrom(ip, url, '/oauth2/token', { grant_type: 'client_credentials' }, auth),
      postFormFrom(ip, url, '/oauth2/introspect', { token: 'unknown-token' }, auth),
      postFormFrom(ip, url, '/oauth2/revoke', { token: 'unknown-token' }, auth),
    ]);
    return responses.map((response) => response.status);
  }

  it('accepts a rotated-out secret or a deleted client from a cached item for at most the cache window', async () => {
    const register = async () => {
      const response = await signed('POST', '/admin/clients', { name: 'cache bound' });
      expect(response.status).toBe(201);
      return response.json as RegisteredClient;
    };
    const [rotatedOut, deleted] = await Promise.all([register(), register()]);
    // Cached by every route.
    expect(await statusesAt(rotatedOut, rotatedOut.clientSecret)).toEqual([200, 200, 200]);
    expect(await statusesAt(deleted, deleted.clientSecret)).toEqual([200, 200, 200]);
    expect((await signed('POST', `/admin/clients/${rotatedOut.clientId}/secret`)).status).toBe(200);
    expect((await signed('DELETE', `/admin/clients/${deleted.clientId}`)).status).toBe(200);

    await sleep(1100);
    expect(await statusesAt(rotatedOut, rotatedOut.clientSecret)).toEqual([401, 401, 401]);
    expect(await statusesAt(deleted, deleted.clientSecret)).toEqual([401, 401, 401]);
  });
});

describe('client cache and the token rule', () => {
  it("never decides whether a token is active: a cached client's cut-off applies to its own tokens at once", async () => {
    const client = await registerClient();
    const auth = [client.clientId, client.clientSecret] as const;
    const introspect = async (token: string) =>
      (await postForm('/oauth2/introspect', { token }, { auth })).json as { active: boolean };
    // Authenticating caches the client item, without any cut-off, in the introspect function.
    expect(await introspect('unknown-token')).toEqual({ active: false });
    expect((await admin('DELETE', `/admin/clients/${client.clientId}/tokens`)).status).toBe(200);
    const cutOff = (await testStore().getClient(client.clientId))?.tokensRevokedBefore ?? 0;
    expect(cutOff).toBeGreaterThan(0);
    // A token issued before the cut-off that the sweep has not reached (written here directly): only the
    // cached item would call it active.
    const raw = formatToken({ kind: 'access', clientId: client.clientId });
    recordSecrets({ access_token: raw });
    const now = Date.now();
    expect(
      await testStore().putAccessToken({
        id: hashSecret(raw),
        kind: 'access',
        clientId: client.clientId,
        scope: 'read',
        issuedAt: cutOff - 1,
        expiresAt: Math.floor(now / 1000) + 3600,
        grantType: 'client_credentials',
        refreshCount: 0,
        lastModifiedAt: cutOff - 1,
      }),
    ).toBe(true);
    expect(await introspect(raw)).toEqual({ active: false });
  });
});
