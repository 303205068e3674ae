import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '#commons/domain/secrets.ts';
import { HTTP_FUNCTIONS } from '#commons/manifest.ts';
import {
  ADMIN,
  admin,
  baseUrl,
  call,
  clientCredentials,
  eventuallyGone,
  grantTokens,
  introspect,
  LOCAL_ADMIN_PRINCIPAL,
  postForm,
  type RegisteredClient,
  recordSecrets,
  refresh,
  registerClient,
  type Tokens,
  testStore,
  timed,
  tokenItem,
} from '#test/support/helpers.ts';

const FORBIDDEN = { message: 'Forbidden' };
const APIGEE_NOT_FOUND = (message: string) => ({
  code: 'keymanagement.service.invalid_account_name',
  message,
  contexts: [],
});
const PROFILE_FIELDS = [
  'attributes',
  'clientId',
  'createdAt',
  'expiresAt',
  'grantType',
  'issuedAt',
  'lastModifiedAt',
  'refreshCount',
  'scope',
  'status',
  'token',
  'tokenType',
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The v2 token format: kind prefix, then `<clientId>.<grantId>.<subjectKey>.<random>.<checksum>`. */
const ACCESS_TOKEN = /^rvk_at_[A-Za-z0-9._-]+$/;
const REFRESH_TOKEN = /^rvk_rt_[A-Za-z0-9._-]+$/;

/** The grant id a token names: the second dot-separated field after its 7-character prefix. */
const grantIdOf = (token: string) => token.slice(7).split('.')[1] ?? '';

/** The same token with its checksum changed: well-formed, but not a token this service issued. */
function badChecksum(token: string): string {
  const at = token.lastIndexOf('.') + 1;
  return `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
}

/**
 * Runs `create` `count` times, a few at a time: a burst of dozens of grant transactions against one
 * client on a shared, loaded DynamoDB Local can outlast the store's call deadline, and the sweep, not the
 * burst, is what the tests using this prove.
 */
async function inBatches<T>(count: number, create: () => Promise<T>, batchSize = 8): Promise<T[]> {
  const made: T[] = [];
  while (made.length < count) {
    const size = Math.min(batchSize, count - made.length);
    made.push(...(await Promise.all(Array.from({ length: size }, create))));
  }
  return made;
}

/** A resource server that introspects, as another client would. */
let resourceServer: RegisteredClient;

beforeAll(async () => {
  resourceServer = await registerClient({ name: 'resource server' });
});

const isActive = async (token: string) => (await introspect(resourceServer, token)).active === true;

/** Admin-minted tokens (POST /admin/tokens), failing loudly on anything but 201. */
async function mint(clientId: string, extra: Record<string, unknown> = {}): Promise<Tokens> {
  const response = await admin('POST', '/admin/tokens', { clientId, ...extra });
  if (response.status !== 201) throw new Error(`mint failed: ${JSON.stringify(response.json)}`);
  return response.json as Tokens;
}

/** A refresh grant that must succeed; returns the new access token. */
async function refreshed(client: RegisteredClient, refreshToken: string): Promise<string> {
  const response = await refresh(client, refreshToken);
  if (response.status !== 200) throw new Error(`refresh failed: ${response.text}`);
  return (response.json as Tokens).access_token;
}

interface SigningOptions {
  credentials?: { accessKeyId: string; secretAccessKey: string };
  region?: string;
  service?: string;
  signingDate?: Date;
  body?: string;
  /** Send this body instead of the signed one. */
  sentBody?: string;
  /** Send to this path / with this method instead of the signed ones. */
  sentPath?: string;
  sentMethod?: string;
}

/** A SigV4-signed admin call whose signature or request can be deliberately wrong. */
async function signedCall(method: string, path: string, options: SigningOptions = {}) {
  const url = new URL(path, baseUrl);
  const headers: Record<string, string> = { host: url.host };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const signer = new SignatureV4({
    credentials: options.credentials ?? ADMIN,
    region: options.region ?? 'us-east-1',
    service: options.service ?? 'execute-api',
    sha256: Sha256,
  });
  const signed = await signer.sign(
    {
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      headers,
      ...(options.body !== undefined && { body: options.body }),
    },
    options.signingDate ? { signingDate: options.signingDate } : {},
  );
  const { host: _host, ...sendHeaders } = signed.headers;
  const body = options.sentBody ?? options.body;
  return call(options.sentMethod ?? method, options.sentPath ?? path, {
    headers: sendHeaders,
    ...(body !== undefined && { body }),
  });
}

/** A concrete path for each admin route of the route table. */
const ADMIN_ROUTES = HTTP_FUNCTIONS.filter((route) => route.trigger.auth === 'iam').map((route) => ({
  method: route.trigger.method,
  path: route.trigger.path.replace(/\{(\w+)\}/g, 'c29tZS12YWx1ZQ'),
}));

describe('admin API authorization (SigV4, as the IAM authorizer)', () => {
  it('requires SigV4 on every /admin route of the route table and on no other', () => {
    const adminPaths = HTTP_FUNCTIONS.filter((route) => route.trigger.path.startsWith('/admin/'));
    expect(HTTP_FUNCTIONS.filter((route) => route.trigger.auth === 'iam')).toEqual(adminPaths);
    expect(ADMIN_ROUTES).toHaveLength(adminPaths.length);
  });

  it.each(ADMIN_ROUTES)('refuses an unsigned $method $path with 403 Forbidden', async ({ method, path }) => {
    const response = await call(method, path, {
      headers: { 'content-type': 'application/json' },
      ...(method === 'POST' && { body: JSON.stringify({ name: 'x', clientId: 'x' }) }),
    });
    expect(response.status).toBe(403);
    expect(response.json).toEqual(FORBIDDEN);
  });

  it('refuses a signature made with the wrong secret', async () => {
    const response = await signedCall('GET', '/admin/clients/any', {
      credentials: { accessKeyId: ADMIN.accessKeyId, secretAccessKey: 'not-the-secret' },
    });
    expect(response.status).toBe(403);
    expect(response.json).toEqual(FORBIDDEN);
  });

  it('refuses a signature made with an unknown access key id', async () => {
    const response = await signedCall('GET', '/admin/clients/any', {
      credentials: { accessKeyId: 'SOMEONEELSE', secretAccessKey: ADMIN.secretAccessKey },
    });
    expect(response.status).toBe(403);
    expect(response.json).toEqual(FORBIDDEN);
  });

  it('refuses a signature scoped to another region or service', async () => {
    for (const scope of [{ region: 'eu-west-1' }, { service: 'lambda' }]) {
      const response = await signedCall('GET', '/admin/clients/any', scope);
      expect(response.status).toBe(403);
      expect(response.json).toEqual(FORBIDDEN);
    }
  });

  it('refuses a signed request whose body was altered after signing', async () => {
    const response = await signedCall('POST', '/admin/clients', {
      body: JSON.stringify({ name: 'signed' }),
      sentBody: JSON.stringify({ name: 'tampered' }),
    });
    expect(response.status).toBe(403);
    expect(response.json).toEqual(FORBIDDEN);
  });

  it('refuses a signature replayed against another path or method', async () => {
    const client = await registerClient();
    const otherPath = await signedCall('GET', '/admin/clients/someone-else', {
      sentPath: `/admin/clients/${client.clientId}`,
    });
    const otherMethod = await signedCall('GET', `/admin/clients/${client.clientId}`, {
      sentMethod: 'DELETE',
    });
    for (const response of [otherPath, otherMethod]) {
      expect(response.status).toBe(403);
      expect(response.json).toEqual(FORBIDDEN);
    }
    // The replayed DELETE did nothing.
    expect((await admin('GET', `/admin/clients/${client.clientId}`)).status).toBe(200);
  });

  it('refuses an unsigned request with malformed percent-encoding in the path with 403, not a 500', async () => {
    const response = await call('GET', '/admin/clients/%E0%A4%A');
    expect(response.status).toBe(403);
    expect(response.json).toEqual(FORBIDDEN);
  });

  it('refuses a signature older than the 15-minute clock-skew window', async () => {
    const response = await signedCall('GET', '/admin/clients/any', {
      signingDate: new Date(Date.now() - 20 * 60 * 1000),
    });
    expect(response.status).toBe(403);
    expect(response.json).toEqual(FORBIDDEN);
  });

  it('accepts a correctly signed request', async () => {
    const response = await signedCall('POST', '/admin/clients', { body: JSON.stringify({ name: 'signed' }) });
    recordSecrets(response.json);
    expect(response.status).toBe(201);
  });
});

describe('POST /admin/clients', () => {
  it('registers a confidential client: 201, every field, a 256-bit secret shown once', async () => {
    const before = Date.now();
    const response = await admin('POST', '/admin/clients', {
      name: 'reporting app',
      grantTypes: ['client_credentials', 'refresh_token'],
      scopes: ['read', 'write'],
      accessTokenTtl: 600,
      refreshTokenTtl: 86400,
    });
    const after = Date.now();

    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = response.json as RegisteredClient;
    expect(Object.keys(body).sort()).toEqual(
      [
        'accessTokenTtl',
        'clientId',
        'clientSecret',
        'createdAt',
        'grantTypes',
        'name',
        'public',
        'refreshTokenReuseGraceSeconds',
        'refreshTokenRotation',
        'refreshTokenTtl',
        'scopes',
      ].sort(),
    );
    expect(body).toMatchObject({
      name: 'reporting app',
      public: false,
      grantTypes: ['client_credentials', 'refresh_token'],
      scopes: ['read', 'write'],
      accessTokenTtl: 600,
      refreshTokenTtl: 86400,
      refreshTokenRotation: false,
      refreshTokenReuseGraceSeconds: 10,
    });
    expect(body.clientSecret).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    expect(body.createdAt).toBeGreaterThanOrEqual(before);
    expect(body.createdAt).toBeLessThanOrEqual(after);

    // The secret authenticates, and the client's TTL applies.
    const tokens = await clientCredentials(body, 'read');
    expect(tokens.expires_in).toBe(600);
  });

  it('applies the defaults: client_credentials only, no scopes, 3600 s and 30 days, no rotation, 10 s grace', async () => {
    const response = await admin('POST', '/admin/clients', { name: 'minimal' });
    expect(response.status).toBe(201);
    expect(response.json).toMatchObject({
      public: false,
      grantTypes: ['client_credentials'],
      scopes: [],
      accessTokenTtl: 3600,
      refreshTokenTtl: 30 * 24 * 3600,
      refreshTokenRotation: false,
      refreshTokenReuseGraceSeconds: 10,
    });
  });

  it('registers a public client without a secret, with refresh token rotation on', async () => {
    const response = await admin('POST', '/admin/clients', { name: 'spa', public: true });
    expect(response.status).toBe(201);
    expect(response.json).toMatchObject({
      public: true,
      grantTypes: ['refresh_token'],
      refreshTokenRotation: true,
      refreshTokenReuseGraceSeconds: 10,
    });
    expect(response.json).not.toHaveProperty('clientSecret');
  });

  it('takes the rotation settings a client asks for and shows them on GET', async () => {
    const response = await admin('POST', '/admin/clients', {
      name: 'rotating',
      grantTypes: ['client_credentials', 'refresh_token'],
      refreshTokenRotation: true,
      refreshTokenReuseGraceSeconds: 0,
      accessTokenTtl: 86400,
    });
    expect(response.status).toBe(201);
    const client = response.json as RegisteredClient;
    expect(client).toMatchObject({
      refreshTokenRotation: true,
      refreshTokenReuseGraceSeconds: 0,
      accessTokenTtl: 86400,
    });
    expect((await admin('GET', `/admin/clients/${client.clientId}`)).json).toMatchObject({
      refreshTokenRotation: true,
      refreshTokenReuseGraceSeconds: 0,
      accessTokenTtl: 86400,
    });
    const publicMax = await admin('POST', '/admin/clients', {
      name: 'spa',
      public: true,
      refreshTokenReuseGraceSeconds: 60,
    });
    expect(publicMax.status).toBe(201);
    expect(publicMax.json).toMatchObject({ refreshTokenRotation: true, refreshTokenReuseGraceSeconds: 60 });
  });

  it('refuses a caller-chosen client id, secret or secret hash, naming the field, and creates nothing', async () => {
    for (const [field, value] of [
      ['clientId', 'chosen-id'],
      ['clientSecret', 'chosen-secret'],
      ['secretHash', hashSecret('chosen-secret')],
    ] as const) {
      const response = await admin('POST', '/admin/clients', { name: 'x', [field]: value });
      expect({ status: response.status, json: response.json }).toEqual({
        status: 400,
        json: { message: `unknown field "${field}"` },
      });
    }
    expect((await admin('GET', '/admin/clients/chosen-id')).status).toBe(404);
  });

  it('issues distinct client ids and secrets', async () => {
    const [a, b] = await Promise.all([registerClient(), registerClient()]);
    expect(a.clientId).not.toBe(b.clientId);
    expect(a.clientSecret).not.toBe(b.clientSecret);
  });

  it.each([
    ['name', {}],
    ['name', { name: '' }],
    ['name', { name: 42 }],
    ['name', { name: 'x'.repeat(201) }],
    ['public', { name: 'x', public: 'yes' }],
    ['grantTypes', { name: 'x', grantTypes: 'client_credentials' }],
    ['grantTypes', { name: 'x', grantTypes: ['password'] }],
    ['grantTypes', { name: 'x', grantTypes: [] }],
    ['grantTypes', { name: 'x', public: true, grantTypes: ['client_credentials'] }],
    ['scopes', { name: 'x', scopes: 'read' }],
    ['scopes', { name: 'x', scopes: ['read write'] }],
    ['scopes', { name: 'x', scopes: ['"quoted"'] }],
    ['accessTokenTtl', { name: 'x', accessTokenTtl: 0 }],
    ['accessTokenTtl', { name: 'x', accessTokenTtl: 1.5 }],
    ['accessTokenTtl', { name: 'x', accessTokenTtl: '3600' }],
    // Access tokens live at most one day.
    ['accessTokenTtl', { name: 'x', accessTokenTtl: 86401 }],
    ['refreshTokenRotation', { name: 'x', refreshTokenRotation: 'yes' }],
    // A public client cannot turn rotation off (RFC 9700 4.14.2).
    ['refreshTokenRotation', { name: 'x', public: true, refreshTokenRotation: false }],
    ['refreshTokenReuseGraceSeconds', { name: 'x', refreshTokenReuseGraceSeconds: 61 }],
    ['refreshTokenReuseGraceSeconds', { name: 'x', refreshTokenReuseGraceSeconds: -1 }],
    ['refreshTokenReuseGraceSeconds', { name: 'x', refreshTokenReuseGraceSeconds: 1.5 }],
    ['refreshTokenTtl', { name: 'x', refreshTokenTtl: 366 * 24 * 3600 }],
    // Limits that keep a client item far below DynamoDB's 400 KB: before them, 5,000 scopes were a 500.
    ['scopes', { name: 'x', scopes: Array.from({ length: 101 }, (_, i) => `s${i}`) }],
    ['scopes', { name: 'x', scopes: ['s'.repeat(129)] }],
    [
      'scopes',
      { name: 'x', scopes: Array.from({ length: 5000 }, (_, i) => `scope-${i}-${'x'.repeat(100)}`) },
    ],
  ])('refuses an invalid %s with 400 naming the field (%j)', async (field, body) => {
    const response = await admin('POST', '/admin/clients', body);
    expect(response.status).toBe(400);
    expect((response.json as { message: string }).message).toContain(`"${field}"`);
  });

  it('refuses a body that is not a JSON object with 400', async () => {
    for (const body of ['{"name":', '[]', '"name"', '']) {
      const response = await signedCall('POST', '/admin/clients', { body });
      expect(response.status).toBe(400);
      expect(response.json).toEqual({ message: expect.stringMatching(/JSON/) });
    }
  });
});

describe('GET /admin/clients/{clientId}', () => {
  it('returns the client without its secret', async () => {
    const client = await registerClient({ scopes: ['read'] });
    const response = await admin('GET', `/admin/clients/${client.clientId}`);

    expect(response.status).toBe(200);
    const { clientSecret: _secret, ...view } = client;
    expect(response.json).toEqual(view);
    expect(JSON.stringify(response.json)).not.toContain(client.clientSecret);
    expect(JSON.stringify(response.json)).not.toContain(hashSecret(client.clientSecret));
  });

  it('answers 404 for an unknown client', async () => {
    const response = await admin('GET', '/admin/clients/no-such-client');
    expect(response.status).toBe(404);
    expect(response.json).toEqual({ message: expect.any(String) });
  });
});

describe('POST /admin/tokens', () => {
  it('mints an access token for a client: 201 with a token response, active at introspection', async () => {
    const client = await registerClient({ accessTokenTtl: 900 });
    const response = await admin('POST', '/admin/tokens', { clientId: client.clientId, scope: 'read' });

    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const tokens = response.json as Tokens;
    expect(Object.keys(tokens).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'read' });
    expect(tokens.access_token).toMatch(ACCESS_TOKEN);
    // Without a grant or a subject: client id, then empty grant and subject fields.
    expect(tokens.access_token.startsWith(`rvk_at_${client.clientId}...`)).toBe(true);
    expect(await introspect(resourceServer, tokens.access_token)).toMatchObject({
      active: true,
      client_id: client.clientId,
      scope: 'read',
      token_type: 'Bearer',
    });
  });

  it('adds a usable refresh token when asked and the client may refresh', async () => {
    const client = await registerClient();
    const tokens = await mint(client.clientId, { refreshToken: true });

    const refreshToken = tokens.refresh_token ?? '';
    expect(refreshToken).toMatch(REFRESH_TOKEN);
    expect(tokens.access_token).toMatch(ACCESS_TOKEN);
    // Both name the client and the one new grant they belong to.
    expect(refreshToken.startsWith(`rvk_rt_${client.clientId}.`)).toBe(true);
    expect(grantIdOf(refreshToken)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(grantIdOf(tokens.access_token)).toBe(grantIdOf(refreshToken));
    const next = await refresh(client, refreshToken);
    expect(next.status).toBe(200);
    expect(grantIdOf((next.json as Tokens).access_token)).toBe(grantIdOf(refreshToken));
    // Another mint starts another grant.
    expect(grantIdOf((await grantTokens(client)).refresh_token)).not.toBe(grantIdOf(refreshToken));
  });

  it('gives no refresh token to a client without the refresh_token grant', async () => {
    const client = await registerClient({ grantTypes: ['client_credentials'] });
    const tokens = await mint(client.clientId, { refreshToken: true });
    expect(tokens).not.toHaveProperty('refresh_token');
  });

  it('reports the subject as sub, on the access token and on tokens refreshed from it', async () => {
    const client = await registerClient();
    const tokens = await mint(client.clientId, { subject: 'user-42', refreshToken: true });
    const later = await refreshed(client, tokens.refresh_token ?? '');

    for (const token of [tokens.access_token, tokens.refresh_token ?? '', later]) {
      expect(await introspect(resourceServer, token)).toMatchObject({ active: true, sub: 'user-42' });
    }
  });

  it('mints for a public client, which can then revoke with its client_id alone', async () => {
    const client = await registerClient({ public: true, grantTypes: ['refresh_token'] });
    const tokens = await mint(client.clientId, { refreshToken: true });
    expect(await isActive(tokens.access_token)).toBe(true);

    const revoked = await postForm('/oauth2/revoke', {
      client_id: client.clientId,
      token: tokens.refresh_token ?? '',
    });
    expect(revoked.status).toBe(200);
    expect(await isActive(tokens.access_token)).toBe(false);
  });

  it('defaults to all of the client scopes and refuses scopes outside them with 400', async () => {
    const client = await registerClient({ scopes: ['read', 'write'] });
    expect((await mint(client.clientId)).scope).toBe('read write');

    const response = await admin('POST', '/admin/tokens', { clientId: client.clientId, scope: 'admin' });
    expect(response.status).toBe(400);
    expect((response.json as { message: string }).message).toContain('"scope"');
  });

  it.each([
    ['clientId', {}],
    ['clientId', { clientId: 7 }],
    ['subject', { clientId: 'x', subject: '' }],
    ['subject', { clientId: 'x', subject: 'x'.repeat(257) }],
    ['scope', { clientId: 'x', scope: ['read'] }],
    ['refreshToken', { clientId: 'x', refreshToken: 'yes' }],
  ])('refuses an invalid %s with 400 naming the field (%j)', async (field, body) => {
    const response = await admin('POST', '/admin/tokens', body);
    expect(response.status).toBe(400);
    expect((response.json as { message: string }).message).toContain(`"${field}"`);
  });

  it("reads an empty scope as no scope asked for: the client's default scopes, as on the OAuth routes", async () => {
    const client = await registerClient({ scopes: ['read', 'write'] });
    const response = await admin('POST', '/admin/tokens', { clientId: client.clientId, scope: '' });
    expect(response.status).toBe(201);
    expect((response.json as { scope: string }).scope).toBe('read write');
  });

  it('accepts the largest client the limits allow: 100 scopes of 128 characters, all granted', async () => {
    const scopes = Array.from({ length: 100 }, (_, i) => `${i}`.padStart(128, 's'));
    const client = await registerClient({ scopes });
    const response = await admin('POST', '/admin/tokens', {
      clientId: client.clientId,
      subject: 'u'.repeat(256),
    });
    expect(response.status).toBe(201);
    expect((response.json as { scope: string }).scope.split(' ')).toHaveLength(100);
  });

  it('answers 404 for an unknown client', async () => {
    const response = await admin('POST', '/admin/tokens', { clientId: 'no-such-client' });
    expect(response.status).toBe(404);
    expect(response.json).toEqual({ message: expect.any(String) });
  });
});

describe('DELETE /admin/oauth2/accesstokens/{access_token}', () => {
  it('gives exactly one of two concurrent deletes of a token the 200 (access and refresh tokens alike)', async () => {
    const client = await registerClient();
    for (let round = 0; round < 5; round++) {
      const tokens = await grantTokens(client);
      for (const path of [
        `/admin/oauth2/accesstokens/${tokens.access_token}`,
        `/admin/oauth2/refreshtokens/${tokens.refresh_token}`,
      ]) {
        const pair = await Promise.all([admin('DELETE', path), admin('DELETE', path)]);
        expect(pair.map((r) => r.status).sort()).toEqual([200, 404]);
      }
    }
  });

  it("returns the deleted token's Apigee profile, every field, times in epoch milliseconds", async () => {
    const client = await registerClient({ accessTokenTtl: 600 });
    const before = Date.now();
    const tokens = await clientCredentials(client, 'read');
    const after = Date.now();

    const response = await admin('DELETE', `/admin/oauth2/accesstokens/${tokens.access_token}`);

    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const profile = response.json as Record<string, unknown>;
    expect(Object.keys(profile).sort()).toEqual(PROFILE_FIELDS);
    expect(profile).toMatchObject({
      clientId: client.clientId,
      attributes: [],
      grantType: 'client_credentials',
      refreshCount: 0,
      scope: 'read',
      status: 'revoked',
      token: tokens.access_token,
      tokenType: 'BearerToken',
    });
    const issuedAt = profile.issuedAt as number;
    expect(issuedAt).toBeGreaterThanOrEqual(before);
    expect(issuedAt).toBeLessThanOrEqual(after);
    expect(profile.createdAt).toBe(issuedAt);
    expect(profile.lastModifiedAt).toBeGreaterThanOrEqual(issuedAt);
    expect(profile.lastModifiedAt).toBeLessThanOrEqual(after);
    // The table keeps expiry in whole seconds, so the millisecond value is within a second of issue + TTL.
    expect(profile.expiresAt).toBeGreaterThan(issuedAt + 600_000 - 1000);
    expect(profile.expiresAt).toBeLessThanOrEqual(issuedAt + 600_000);
    expect((profile.expiresAt as number) % 1000).toBe(0);
  });

  it('deletes the token: inactive at introspection, absent to every read, refused by invalidate', async () => {
    const client = await registerClient();
    const tokens = await grantTokens(client);
    const sibling = await refreshed(client, tokens.refresh_token);

    expect((await admin('DELETE', `/admin/oauth2/accesstokens/${tokens.access_token}`)).status).toBe(200);

    expect(await introspect(resourceServer, tokens.access_token)).toEqual({ active: false });
    expect(await testStore().getToken(hashSecret(tokens.access_token))).toBeUndefined();
    // One write: the item became a tombstone that records who revoked it and through which route, and
    // that expires now, so TTL removes it.
    expect(await tokenItem(tokens.access_token)).toMatchObject({
      revokedAt: expect.any(Number),
      revokedBy: { type: 'iam', id: LOCAL_ADMIN_PRINCIPAL },
      revokedRoute: 'DELETE /admin/oauth2/accesstokens/{access_token}',
      expiresAt: expect.any(Number),
    });
    const invalidate = await call('DELETE', '/oauth/token', {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(invalidate.status).toBe(403);
    // Revoking an access token revokes that access token only, not its grant: the grant's refresh token
    // and its other access tokens stay, and the refresh token still works.
    expect(await isActive(tokens.refresh_token)).toBe(true);
    expect(await isActive(sibling)).toBe(true);
    expect((await refresh(client, tokens.refresh_token)).status).toBe(200);
  });

  it('reports how each token was obtained as grantType', async () => {
    const client = await registerClient();
    const external = await mint(client.clientId, { refreshToken: true });
    const viaRefresh = await refreshed(client, external.refresh_token ?? '');

    const a = await admin('DELETE', `/admin/oauth2/accesstokens/${external.access_token}`);
    const b = await admin('DELETE', `/admin/oauth2/accesstokens/${viaRefresh}`);

    expect(a.json).toMatchObject({ grantType: 'external', token: external.access_token });
    expect(b.json).toMatchObject({ grantType: 'refresh_token', token: viaRefresh });
  });

  it('answers the Apigee 404 for a token already deleted', async () => {
    const client = await registerClient();
    const tokens = await clientCredentials(client);
    expect((await admin('DELETE', `/admin/oauth2/accesstokens/${tokens.access_token}`)).status).toBe(200);

    const again = await admin('DELETE', `/admin/oauth2/accesstokens/${tokens.access_token}`);

    expect(again.status).toBe(404);
    expect(again.headers.get('content-type')).toMatch(/^application\/json/);
    expect(again.json).toEqual(APIGEE_NOT_FOUND('Invalid Access Token'));
  });

  it('answers the Apigee 404 for an unknown or malformed token', async () => {
    for (const token of ['dW5rbm93bi10b2tlbi10aGF0LXdhcy1uZXZlci1pc3N1ZWQ', 'not%20a%20token']) {
      const response = await admin('DELETE', `/admin/oauth2/accesstokens/${token}`);
      expect(response.status).toBe(404);
      expect(response.json).toEqual(APIGEE_NOT_FOUND('Invalid Access Token'));
    }
  });

  it('answers the Apigee 404, not a 500, for a path value with malformed percent-encoding', async () => {
    const response = await admin('DELETE', '/admin/oauth2/accesstokens/%ZZabc');
    expect(response.status).toBe(404);
    expect(response.json).toEqual(APIGEE_NOT_FOUND('Invalid Access Token'));
  });

  it('answers the Apigee 404 for an expired token', async () => {
    const client = await registerClient({ accessTokenTtl: 1 });
    const tokens = await clientCredentials(client);
    await sleep(1100);

    const response = await admin('DELETE', `/admin/oauth2/accesstokens/${tokens.access_token}`);

    expect(response.status).toBe(404);
    expect(response.json).toEqual(APIGEE_NOT_FOUND('Invalid Access Token'));
  });

  it('answers the Apigee 404 for a refresh token and leaves it and its grant usable', async () => {
    const client = await registerClient();
    const tokens = await grantTokens(client);

    const response = await admin('DELETE', `/admin/oauth2/accesstokens/${tokens.refresh_token}`);

    expect(response.status).toBe(404);
    expect(response.json).toEqual(APIGEE_NOT_FOUND('Invalid Access Token'));
    expect(await isActive(tokens.access_token)).toBe(true);
    expect((await refresh(client, tokens.refresh_token)).status).toBe(200);
  });

  it('answers the Apigee 404 for a token whose checksum is wrong and leaves the real token active', async () => {
    const client = await registerClient();
    const tokens = await clientCredentials(client);

    const response = await admin('DELETE', `/admin/oauth2/accesstokens/${badChecksum(tokens.access_token)}`);

    expect(response.status).toBe(404);
    expect(response.json).toEqual(APIGEE_NOT_FOUND('Invalid Access Token'));
    expect(await isActive(tokens.access_token)).toBe(true);
  });
});

describe('DELETE /admin/oauth2/refreshtokens/{refresh_token}', () => {
  it('revokes the whole grant: the refresh token and every access token of it inactive at once, then swept', async () => {
    const client = await registerClient();
    const tokens = await grantTokens(client, { scope: 'read' });
    const accessTokens = [tokens.access_token];
    for (let i = 0; i < 3; i++) accessTokens.push(await refreshed(client, tokens.refresh_token));
    const unrelated = await grantTokens(client);
    const standalone = await clientCredentials(client);

    const response = await admin('DELETE', `/admin/oauth2/refreshtokens/${tokens.refresh_token}`);

    expect(response.status).toBe(200);
    const profile = response.json as Record<string, unknown>;
    expect(Object.keys(profile).sort()).toEqual([...PROFILE_FIELDS, 'grantId'].sort());
    expect(profile).toMatchObject({
      clientId: client.clientId,
      attributes: [],
      grantType: 'external',
      refreshCount: 3,
      scope: 'read',
      status: 'revoked',
      token: tokens.refresh_token,
      grantId: grantIdOf(tokens.refresh_token),
    });
    for (const field of ['createdAt', 'issuedAt', 'expiresAt', 'lastModifiedAt']) {
      expect(profile[field]).toBeGreaterThan(1e12);
    }
    // Inactive as soon as the 200 is in: the grant's mark decides, before any sweep.
    for (const token of [...accessTokens, tokens.refresh_token]) expect(await isActive(token)).toBe(false);
    const again = await refresh(client, tokens.refresh_token);
    expect(again.status).toBe(400);
    expect(again.json).toMatchObject({ error: 'invalid_grant' });
    // Then the sweeper deletes every token item of the grant, and nothing else.
    await eventuallyGone([...accessTokens, tokens.refresh_token]);
    for (const token of [unrelated.access_token, unrelated.refresh_token, standalone.access_token]) {
      expect(await tokenItem(token)).toBeDefined();
    }
    // Another grant of the same client, and a token outside any grant, are untouched.
    expect(await isActive(unrelated.access_token)).toBe(true);
    expect(await isActive(unrelated.refresh_token)).toBe(true);
    expect(await isActive(standalone.access_token)).toBe(true);
  });

  it('revokes the whole grant when given a refresh token consumed by rotation, the current one included', async () => {
    const client = await registerClient({ refreshTokenRotation: true });
    const first = await grantTokens(client);
    const accessTokens = [first.access_token];
    const refreshTokens = [first.refresh_token];
    for (let i = 0; i < 2; i++) {
      const response = await refresh(client, refreshTokens[refreshTokens.length - 1] ?? '');
      expect(response.status).toBe(200);
      const next = response.json as Tokens;
      accessTokens.push(next.access_token);
      refreshTokens.push(next.refresh_token ?? '');
    }
    const [consumed, , current] = refreshTokens;
    expect(await isActive(consumed ?? '')).toBe(false);
    expect(await isActive(current ?? '')).toBe(true);

    const response = await admin('DELETE', `/admin/oauth2/refreshtokens/${consumed}`);

    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      clientId: client.clientId,
      token: consumed,
      refreshCount: 1,
      grantId: grantIdOf(first.refresh_token),
    });
    expect(response.json).not.toHaveProperty('revokedAccessTokens');
    for (const token of [...accessTokens, ...refreshTokens]) expect(await isActive(token)).toBe(false);
    const again = await refresh(client, current ?? '');
    expect(again.status).toBe(400);
    expect(again.json).toMatchObject({ error: 'invalid_grant' });
    await eventuallyGone([...accessTokens, ...refreshTokens]);
  });

  it('answers the Apigee 404 "Invalid Refresh Token" for a token already deleted', async () => {
    const client = await registerClient();
    const tokens = await grantTokens(client);
    expect((await admin('DELETE', `/admin/oauth2/refreshtokens/${tokens.refresh_token}`)).status).toBe(200);

    const again = await admin('DELETE', `/admin/oauth2/refreshtokens/${tokens.refresh_token}`);

    expect(again.status).toBe(404);
    expect(again.json).toEqual(APIGEE_NOT_FOUND('Invalid Refresh Token'));
  });

  it('answers the Apigee 404 for an unknown token, a wrong checksum and an access token, leaving the grant active', async () => {
    const client = await registerClient();
    const tokens = await grantTokens(client);
    const standalone = await clientCredentials(client);
    for (const token of [
      'dW5rbm93bi10b2tlbi10aGF0LXdhcy1uZXZlci1pc3N1ZWQ',
      badChecksum(tokens.refresh_token),
      tokens.access_token,
      standalone.access_token,
    ]) {
      const response = await admin('DELETE', `/admin/oauth2/refreshtokens/${token}`);
      expect(response.status).toBe(404);
      expect(response.json).toEqual(APIGEE_NOT_FOUND('Invalid Refresh Token'));
    }
    for (const token of [tokens.access_token, tokens.refresh_token, standalone.access_token]) {
      expect(await isActive(token)).toBe(true);
    }
  });

  it('answers 404 for a grant revoked already, whose tokens are inactive at once and swept without it', async () => {
    const client = await registerClient();
    const tokens = await grantTokens(client);
    const second = await refreshed(client, tokens.refresh_token);
    const grant = [tokens.access_token, tokens.refresh_token, second];
    // The grant's revocation is its mark alone, as any revoking route writes it.
    const revoked = await testStore().revokeGrant(grantIdOf(tokens.refresh_token), {
      actor: { type: 'iam', id: LOCAL_ADMIN_PRINCIPAL },
      at: Date.now(),
      reason: 'revoked',
    });
    expect(revoked?.grantId).toBe(grantIdOf(tokens.refresh_token));

    for (const token of grant) expect(await isActive(token)).toBe(false);
    expect((await refresh(client, tokens.refresh_token)).status).toBe(400);

    const response = await admin('DELETE', `/admin/oauth2/refreshtokens/${tokens.refresh_token}`);

    // The grant was revoked already, so this call revokes nothing new: Apigee's 404.
    expect(response.status).toBe(404);
    expect(response.json).toEqual(APIGEE_NOT_FOUND('Invalid Refresh Token'));
    // The sweep follows the mark, not the route that wrote it.
    await eventuallyGone(grant);
  });
});

describe('DELETE /admin/clients/{clientId}/tokens', () => {
  it('revokes every token of the client issued up to now, in one write; the client stays and gets new tokens', async () => {
    const client = await registerClient();
    const granted = [await clientCredentials(client), await clientCredentials(client)];
    const grants = [await grantTokens(client), await grantTokens(client, { subject: 'user-7' })];
    const viaRefresh = await refreshed(client, grants[0]?.refresh_token ?? '');
    const minted = await mint(client.clientId);
    // Token items: two client_credentials access tokens, two grants of two tokens each, one access token
    // refreshed in the first grant, one access token minted outside any grant.
    const all = [
      ...granted.map((t) => t.access_token),
      ...grants.flatMap((t) => [t.access_token, t.refresh_token]),
      viaRefresh,
      minted.access_token,
    ];
    const other = await registerClient();
    const othersTokens = await grantTokens(other);

    const {
      result: response,
      before,
      after,
    } = await timed(() => admin('DELETE', `/admin/clients/${client.clientId}/tokens`));

    expect(response.status).toBe(200);
    expect(response.json).toEqual({ clientId: client.clientId, tokensRevokedBefore: expect.any(Number) });
    const { tokensRevokedBefore } = response.json as { tokensRevokedBefore: number };
    expect(tokensRevokedBefore).toBeGreaterThanOrEqual(before);
    expect(tokensRevokedBefore).toBeLessThanOrEqual(after);
    for (const token of all) expect(await isActive(token)).toBe(false);
    for (const grant of grants) {
      const again = await refresh(client, grant.refresh_token);
      expect(again.status).toBe(400);
      expect(again.json).toMatchObject({ error: 'invalid_grant' });
    }
    // The client itself stays registered and working.
    expect((await admin('GET', `/admin/clients/${client.clientId}`)).status).toBe(200);
    const fresh = await clientCredentials(client);
    expect(await isActive(fresh.access_token)).toBe(true);
    const freshGrant = await grantTokens(client);
    expect(await isActive(freshGrant.access_token)).toBe(true);
    expect((await refresh(client, freshGrant.refresh_token)).status).toBe(200);
    expect(await isActive((await mint(client.clientId)).access_token)).toBe(true);
    // Nobody else's tokens.
    expect(await isActive(othersTokens.access_token)).toBe(true);
    expect(await isActive(othersTokens.refresh_token)).toBe(true);
    // The sweeper deletes the tokens issued up to the cut-off, and only those.
    await eventuallyGone(all);
    for (const token of [fresh.access_token, freshGrant.access_token, freshGrant.refresh_token]) {
      expect(await tokenItem(token)).toBeDefined();
    }
  });

  it('moves the cut-off forward when called again: a token issued in between is revoked by the second call', async () => {
    const client = await registerClient();
    await clientCredentials(client);
    const first = await admin('DELETE', `/admin/clients/${client.clientId}/tokens`);
    const between = await clientCredentials(client);
    expect(await isActive(between.access_token)).toBe(true);

    const again = await admin('DELETE', `/admin/clients/${client.clientId}/tokens`);

    expect(again.status).toBe(200);
    const cutOffs = [first, again].map(
      (r) => (r.json as { tokensRevokedBefore: number }).tokensRevokedBefore,
    );
    expect(again.json).toEqual({ clientId: client.clientId, tokensRevokedBefore: cutOffs[1] });
    expect(cutOffs[1]).toBeGreaterThanOrEqual(cutOffs[0] ?? Number.POSITIVE_INFINITY);
    expect(await isActive(between.access_token)).toBe(false);
    await eventuallyGone([between.access_token]);
  });

  it('answers 404 for an unknown client', async () => {
    const response = await admin('DELETE', '/admin/clients/no-such-client/tokens');
    expect(response.status).toBe(404);
    expect(response.json).toEqual({ message: expect.any(String) });
  });

  it('sweeps every page and batch: 65 grants (130 tokens) of one client, none left', async () => {
    const client = await registerClient();
    const grants = await inBatches(65, () => grantTokens(client));
    const all = grants.flatMap((t) => [t.access_token, t.refresh_token]);
    expect(new Set(all).size).toBe(130);
    expect(new Set(grants.map((t) => grantIdOf(t.refresh_token))).size).toBe(65);

    const response = await admin('DELETE', `/admin/clients/${client.clientId}/tokens`);

    expect(response.status).toBe(200);
    expect(response.json).toEqual({ clientId: client.clientId, tokensRevokedBefore: expect.any(Number) });
    // The first and last grants minted, as a resource server sees them, at once.
    for (const token of [all[0], all[all.length - 1]]) expect(await isActive(token ?? '')).toBe(false);
    await eventuallyGone(all, 20_000);
  });
});

describe('DELETE /admin/clients/{clientId}', () => {
  it('deletes the client in one write, every token of it inactive at once: it gets no token any more, GET is 404', async () => {
    const client = await registerClient();
    const granted = await clientCredentials(client);
    const grant = await grantTokens(client);
    const viaRefresh = await refreshed(client, grant.refresh_token);
    const minted = await mint(client.clientId);
    const all = [
      granted.access_token,
      grant.access_token,
      grant.refresh_token,
      viaRefresh,
      minted.access_token,
    ];
    const other = await registerClient();
    const othersTokens = await grantTokens(other);

    const response = await admin('DELETE', `/admin/clients/${client.clientId}`);

    expect(response.status).toBe(200);
    expect(response.json).toEqual({ clientId: client.clientId });
    for (const token of all) expect(await isActive(token)).toBe(false);
    // A warm client cache may still authenticate it (see below); its refresh token is dead either way.
    const again = await refresh(client, grant.refresh_token);
    expect(again.json).toMatchObject(
      again.status === 401 ? { error: 'invalid_client' } : { error: 'invalid_grant' },
    );
    expect([400, 401]).toContain(again.status);
    expect((await admin('GET', `/admin/clients/${client.clientId}`)).status).toBe(404);
    const auth = [client.clientId, client.clientSecret] as const;
    const attempts = [
      await postForm('/oauth2/token', { grant_type: 'client_credentials' }, { auth }),
      await postForm('/oauth2/revoke', { token: granted.access_token }, { auth }),
      await postForm('/oauth2/introspect', { token: granted.access_token }, { auth }),
      await postForm('/oauth2/token', {
        grant_type: 'client_credentials',
        client_id: client.clientId,
        client_secret: client.clientSecret,
      }),
    ];
    // The token, revoke and introspect routes may still authenticate it from a warm function's client
    // cache for up to CLIENT_CACHE_SECONDS (the contract allows it; client-cache.test.ts proves the bound),
    // but a token minted then is born inactive (the activity read always reads the client), and nothing
    // of it is active.
    const [tokenBasic, revoke, introspection, tokenPost] = attempts;
    for (const attempt of [tokenBasic, tokenPost]) {
      if (attempt?.status === 200) {
        expect(await isActive((attempt.json as Tokens).access_token)).toBe(false);
        continue;
      }
      expect(attempt?.status).toBe(401);
      expect(attempt?.json).toMatchObject({ error: 'invalid_client' });
    }
    expect([401, 200]).toContain(revoke?.status);
    expect(introspection?.json).toEqual(
      introspection?.status === 401
        ? expect.objectContaining({ error: 'invalid_client' })
        : { active: false },
    );
    expect((await admin('POST', '/admin/tokens', { clientId: client.clientId })).status).toBe(404);
    expect(await isActive(othersTokens.access_token)).toBe(true);
    expect(await isActive(othersTokens.refresh_token)).toBe(true);
    await eventuallyGone(all);
    expect(await tokenItem(othersTokens.access_token)).toBeDefined();
  });

  it('stops a deleted public client from revoking with its client_id', async () => {
    const client = await registerClient({ public: true, grantTypes: ['refresh_token'] });
    const tokens = await mint(client.clientId, { refreshToken: true });
    expect((await admin('DELETE', `/admin/clients/${client.clientId}`)).json).toEqual({
      clientId: client.clientId,
    });

    const response = await postForm('/oauth2/revoke', {
      client_id: client.clientId,
      token: tokens.access_token,
    });

    expect(response.status).toBe(401);
    expect(response.json).toMatchObject({ error: 'invalid_client' });
  });

  it('answers 404 for an unknown client and for one already deleted', async () => {
    const client = await registerClient();
    expect((await admin('DELETE', `/admin/clients/${client.clientId}`)).status).toBe(200);

    for (const id of ['no-such-client', client.clientId]) {
      const response = await admin('DELETE', `/admin/clients/${id}`);
      expect(response.status).toBe(404);
      expect(response.json).toEqual({ message: expect.any(String) });
    }
  });

  it('sweeps every page and batch: a client with 106 tokens, none left', async () => {
    const client = await registerClient();
    const grants = await inBatches(53, () => grantTokens(client));
    const all = grants.flatMap((t) => [t.access_token, t.refresh_token]);

    const response = await admin('DELETE', `/admin/clients/${client.clientId}`);

    expect(response.json).toEqual({ clientId: client.clientId });
    for (const token of [all[0], all[all.length - 1]]) expect(await isActive(token ?? '')).toBe(false);
    await eventuallyGone(all, 20_000);
  });
});
