import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatToken, newGrantId } from '#commons/domain/token-format.ts';
import {
  admin,
  clientCredentials,
  grantTokens,
  type HttpResponse,
  introspect,
  postForm,
  type RegisteredClient,
  refresh,
  registerClient,
  type Tokens,
} from '#test/support/helpers.ts';

const introspectRaw = (client: RegisteredClient, params: Record<string, string>) =>
  postForm('/oauth2/introspect', params, { auth: [client.clientId, client.clientSecret] });

const unknownToken = () => randomBytes(32).toString('base64url');
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** RFC 7662 2.2: an inactive token is `{"active":false}` and not one byte more. */
function expectInactive(response: HttpResponse) {
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json\b/);
  expect(response.json).toEqual({ active: false });
  expect(response.text.replace(/\s/g, '')).toBe('{"active":false}');
}

async function mint(clientId: string, body: Record<string, unknown> = {}): Promise<Tokens> {
  const minted = await admin('POST', '/admin/tokens', { clientId, ...body });
  expect(minted.status).toBe(201);
  return minted.json as Tokens;
}

describe('active tokens', () => {
  it('describes an access token with exactly active, scope, client_id, token_type Bearer, exp and iat', async () => {
    const [client, resourceServer] = await Promise.all([
      registerClient({ accessTokenTtl: 600 }),
      registerClient(),
    ]);
    const before = nowSeconds();
    const tokens = await clientCredentials(client, 'read');
    const response = await introspectRaw(resourceServer, { token: tokens.access_token });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json\b/);
    const body = response.json as Record<string, number>;
    expect(body).toEqual({
      active: true,
      scope: 'read',
      client_id: client.clientId,
      token_type: 'Bearer',
      exp: expect.any(Number),
      iat: expect.any(Number),
    });
    expect(Number.isInteger(body.exp) && Number.isInteger(body.iat)).toBe(true);
    expect(body.iat).toBeGreaterThanOrEqual(before);
    expect(body.iat).toBeLessThanOrEqual(nowSeconds());
    expect(body.exp).toBe((body.iat as number) + 600);
  });

  it('describes a refresh token with token_type refresh_token', async () => {
    const client = await registerClient({ refreshTokenTtl: 7200 });
    const tokens = await grantTokens(client);
    const body = await introspect(client, tokens.refresh_token);
    expect(body).toEqual({
      active: true,
      scope: 'read write',
      client_id: client.clientId,
      token_type: 'refresh_token',
      exp: (body.iat as number) + 7200,
      iat: expect.any(Number),
    });
  });

  it('reports sub for tokens that have a subject, and passes it on through the refresh grant', async () => {
    const client = await registerClient();
    const tokens = await mint(client.clientId, {
      subject: 'alice@example.com',
      refreshToken: true,
      scope: 'read',
    });
    const expected = { active: true, sub: 'alice@example.com', client_id: client.clientId, scope: 'read' };
    const access = await introspect(client, tokens.access_token);
    expect(access).toMatchObject({ ...expected, token_type: 'Bearer' });
    expect(Object.keys(access).sort()).toEqual([
      'active',
      'client_id',
      'exp',
      'iat',
      'scope',
      'sub',
      'token_type',
    ]);
    expect(await introspect(client, tokens.refresh_token as string)).toMatchObject({
      ...expected,
      token_type: 'refresh_token',
    });
    const refreshed = await refresh(client, tokens.refresh_token as string);
    expect(await introspect(client, (refreshed.json as Tokens).access_token)).toMatchObject(expected);
  });

  it('omits sub when the token has no subject', async () => {
    const client = await registerClient();
    const tokens = await mint(client.clientId, { refreshToken: true });
    expect(await introspect(client, tokens.access_token)).not.toHaveProperty('sub');
    expect(await introspect(client, tokens.refresh_token as string)).not.toHaveProperty('sub');
  });

  it('answers any confidential client, not only the one the token was issued to', async () => {
    const [client, resourceServer] = await Promise.all([registerClient(), registerClient()]);
    const tokens = await clientCredentials(client);
    expect(await introspect(resourceServer, tokens.access_token)).toMatchObject({
      active: true,
      client_id: client.clientId,
    });
  });

  it('introspects tokens of public clients for a confidential resource server', async () => {
    const [client, resourceServer] = await Promise.all([
      registerClient({ public: true, grantTypes: ['refresh_token'] }),
      registerClient(),
    ]);
    const tokens = await mint(client.clientId, { refreshToken: true });
    expect(await introspect(resourceServer, tokens.access_token)).toMatchObject({
      active: true,
      client_id: client.clientId,
      token_type: 'Bearer',
    });
  });

  it('authenticates the caller by client_secret_post as well', async () => {
    const [client, resourceServer] = await Promise.all([registerClient(), registerClient()]);
    const tokens = await clientCredentials(client);
    const response = await postForm('/oauth2/introspect', {
      token: tokens.access_token,
      client_id: resourceServer.clientId,
      client_secret: resourceServer.clientSecret,
    });
    expect(response.json).toMatchObject({ active: true });
  });
});

describe('token_type_hint', () => {
  const URN = 'urn:ietf:params:oauth:token-type:';
  it.each([
    ['token_type_hint', 'access_token'],
    ['token_type_hint', 'refresh_token'],
    ['token_type_hint', `${URN}access_token`],
    ['token_type_hint', `${URN}refresh_token`],
    ['token_type_hint', 'id_token'],
    ['token_type', 'refresh_token'],
    ['token_type', 'access_token'],
  ])('finds both kinds of token whatever %s=%s says', async (name, value) => {
    const client = await registerClient();
    const tokens = await grantTokens(client);
    const access = await introspectRaw(client, { token: tokens.access_token, [name]: value });
    const refreshToken = await introspectRaw(client, {
      token: tokens.refresh_token,
      [name]: value,
    });
    expect(access.json).toMatchObject({ active: true, token_type: 'Bearer' });
    expect(refreshToken.json).toMatchObject({ active: true, token_type: 'refresh_token' });
  });
});

describe('inactive tokens are exactly {"active":false}', () => {
  it('for an unknown token, of the right format or not', async () => {
    const client = await registerClient();
    expectInactive(await introspectRaw(client, { token: unknownToken() }));
    expectInactive(await introspectRaw(client, { token: unknownToken(), token_type_hint: 'refresh_token' }));
    // Right prefix and checksum, never issued.
    for (const token of [
      formatToken({ kind: 'access', clientId: client.clientId }),
      formatToken({ kind: 'access', clientId: client.clientId, grantId: newGrantId() }),
      formatToken({ kind: 'refresh', clientId: client.clientId, grantId: newGrantId() }),
    ]) {
      expectInactive(await introspectRaw(client, { token }));
    }
  });

  it('for an issued token whose prefix or checksum was altered', async () => {
    const client = await registerClient();
    const tokens = await grantTokens(client);
    const swapped = `rvk_at_${tokens.refresh_token.slice(7)}`;
    const parts = tokens.access_token.split('.');
    const sum = parts[4] as string;
    parts[4] = `${sum.startsWith('A') ? 'B' : 'A'}${sum.slice(1)}`;
    expectInactive(await introspectRaw(client, { token: swapped }));
    expectInactive(await introspectRaw(client, { token: parts.join('.') }));
    expect(await introspect(client, tokens.access_token)).toMatchObject({ active: true });
    expect(await introspect(client, tokens.refresh_token)).toMatchObject({ active: true });
  });

  it('for a revoked access token and a revoked refresh token', async () => {
    const client = await registerClient();
    const tokens = await grantTokens(client);
    const auth = [client.clientId, client.clientSecret] as const;
    expect((await postForm('/oauth2/revoke', { token: tokens.access_token }, { auth })).status).toBe(200);
    expectInactive(await introspectRaw(client, { token: tokens.access_token }));
    expect(await introspect(client, tokens.refresh_token)).toMatchObject({ active: true });
    expect((await postForm('/oauth2/revoke', { token: tokens.refresh_token }, { auth })).status).toBe(200);
    expectInactive(await introspectRaw(client, { token: tokens.refresh_token }));
  });

  it('for every token of a grant revoked through its refresh token', async () => {
    const client = await registerClient();
    const tokens = await grantTokens(client);
    const rt = tokens.refresh_token;
    const refreshed = await refresh(client, rt);
    const children = [tokens.access_token, (refreshed.json as Tokens).access_token];
    for (const child of children) expect((await introspect(client, child)).active).toBe(true);
    const auth = [client.clientId, client.clientSecret] as const;
    expect((await postForm('/oauth2/revoke', { token: rt }, { auth })).status).toBe(200);
    for (const token of [rt, ...children]) expectInactive(await introspectRaw(client, { token }));
  });

  it('for a refresh token consumed by rotation, while its successor is active', async () => {
    const client = await registerClient({ refreshTokenRotation: true });
    const tokens = await grantTokens(client);
    const rotated = await refresh(client, tokens.refresh_token);
    expect(rotated.status).toBe(200);
    const successor = (rotated.json as Tokens).refresh_token as string;
    expectInactive(await introspectRaw(client, { token: tokens.refresh_token }));
    expect(await introspect(client, successor)).toMatchObject({ active: true, token_type: 'refresh_token' });
    // Consuming the refresh token leaves the access tokens of the grant alone.
    expect(await introspect(client, tokens.access_token)).toMatchObject({ active: true });
  });

  it('for expired tokens', async () => {
    const client = await registerClient({ accessTokenTtl: 1, refreshTokenTtl: 1 });
    const tokens = await grantTokens(client);
    const exp = (await introspect(client, tokens.access_token)).exp as number;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, exp * 1000 - Date.now()) + 50));
    expectInactive(await introspectRaw(client, { token: tokens.access_token }));
    expectInactive(await introspectRaw(client, { token: tokens.refresh_token }));
  });

  it('for tokens of a deleted client', async () => {
    const [client, resourceServer] = await Promise.all([registerClient(), registerClient()]);
    const tokens = await grantTokens(client);
    expect(await introspect(resourceServer, tokens.refresh_token)).toMatchObject({ active: true });
    expect((await admin('DELETE', `/admin/clients/${client.clientId}`)).status).toBe(200);
    expectInactive(await introspectRaw(resourceServer, { token: tokens.access_token }));
    expectInactive(await introspectRaw(resourceServer, { token: tokens.refresh_token }));
  });
});

describe('request rules', () => {
  it('rejects a request without token with 400 invalid_request', async () => {
    const client = await registerClient();
    const response = await introspectRaw(client, { token_type_hint: 'access_token' });
    expect({ status: response.status, body: response.json }).toMatchObject({
      status: 400,
      body: { error: 'invalid_request' },
    });
  });

  it('refuses public clients with 401 invalid_client, telling them nothing about the token', async () => {
    const [client, owner] = await Promise.all([
      registerClient({ public: true, grantTypes: ['refresh_token'] }),
      registerClient(),
    ]);
    const tokens = await clientCredentials(owner);
    const response = await postForm('/oauth2/introspect', {
      token: tokens.access_token,
      client_id: client.clientId,
    });
    expect(response.status).toBe(401);
    expect(response.json).toMatchObject({ error: 'invalid_client' });
    expect(response.json).not.toHaveProperty('active');
  });
});
