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

/** Asserts the contract's error shape: JSON `{"error","error_description"}`. */
function expectOAuthError(response: HttpResponse, status: number, error: string) {
  expect({ status: response.status, body: response.json }).toMatchObject({ status, body: { error } });
  expect(response.headers.get('content-type')).toMatch(/^application\/json\b/);
  expect(Object.keys(response.json as object).sort()).toEqual(['error', 'error_description']);
}

const tokenRequest = (client: RegisteredClient, params: Record<string, string>) =>
  postForm('/oauth2/token', params, { auth: [client.clientId, client.clientSecret] });

/**
 * The v2 token format: `rvk_at_` / `rvk_rt_`, then client id, grant id (empty without a grant), subject key
 * (empty without a subject), a random part of at least 256 bits (43 or more base64url characters) and a
 * checksum, all `b64token` characters.
 */
const tokenFormat = (prefix: 'rvk_at_' | 'rvk_rt_', clientId: string) =>
  new RegExp(
    `^${prefix}${clientId}\\.[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]{43,}\\.[A-Za-z0-9_-]+$`,
  );
const ACCESS_TOKEN = /^rvk_at_[A-Za-z0-9._-]+$/;
const REFRESH_TOKEN = /^rvk_rt_[A-Za-z0-9._-]+$/;

/** The grant a token names: the second dot-separated field after the 7-character prefix. */
const grantIdOf = (token: string) => token.slice(7).split('.')[1];

/** A refresh token of the right format and checksum that was never issued. */
const unissuedRefreshToken = (clientId: string) =>
  formatToken({ kind: 'refresh', clientId, grantId: newGrantId() });

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('client_credentials grant', () => {
  it('issues a Bearer access token in the rvk_at_ format and no refresh token (RFC 6749 4.4.3), with the contract fields only', async () => {
    // The client may use the refresh_token grant: client_credentials still issues no refresh token.
    const client = await registerClient();
    const response = await tokenRequest(client, { grant_type: 'client_credentials' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json\b/);
    expect(response.json).toEqual({
      access_token: expect.stringMatching(tokenFormat('rvk_at_', client.clientId)),
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'read write',
    });
    // No grant: the grant field is empty.
    expect(grantIdOf((response.json as Tokens).access_token)).toBe('');
  });

  it('issues a different token on every request', async () => {
    const client = await registerClient();
    const issued = await Promise.all(Array.from({ length: 5 }, () => clientCredentials(client)));
    // One after the other: each grant is a transaction on the same client item.
    const grants: Awaited<ReturnType<typeof grantTokens>>[] = [];
    for (let i = 0; i < 5; i++) grants.push(await grantTokens(client));
    const values = [
      ...issued.map((t) => t.access_token),
      ...grants.flatMap((t) => [t.access_token, t.refresh_token]),
    ];
    expect(new Set(values).size).toBe(15);
    expect(new Set(grants.map((t) => grantIdOf(t.refresh_token))).size).toBe(5);
  });

  it('mints no refresh_token through the admin API, even when asked, for a client without the refresh_token grant', async () => {
    const client = await registerClient({ grantTypes: ['client_credentials'] });
    const response = await admin('POST', '/admin/tokens', { clientId: client.clientId, refreshToken: true });
    expect(response.status).toBe(201);
    expect(Object.keys(response.json as object).sort()).toEqual([
      'access_token',
      'expires_in',
      'scope',
      'token_type',
    ]);
    expect((response.json as Tokens).access_token).toMatch(tokenFormat('rvk_at_', client.clientId));
  });

  it.each([
    ['read', 'read'],
    ['write', 'write'],
    ['write read', 'write read'],
    ['read  read', 'read'],
  ])('grants the requested subset of the allowed scopes (%j -> %j)', async (requested, granted) => {
    const client = await registerClient({ scopes: ['read', 'write'] });
    const tokens = await clientCredentials(client, requested);
    expect(tokens.scope.split(' ').sort()).toEqual(granted.split(' ').sort());
    expect(await introspect(client, tokens.access_token)).toMatchObject({
      active: true,
      scope: tokens.scope,
    });
  });

  it("grants the client's default scopes when scope is absent", async () => {
    const client = await registerClient({ scopes: ['a', 'b', 'c'] });
    const tokens = await clientCredentials(client);
    expect(tokens.scope).toBe('a b c');
  });

  it.each(['admin', 'read admin', 'READ', 'read"'])(
    'rejects the scope %j outside the allowed scopes with 400 invalid_scope',
    async (scope) => {
      const client = await registerClient({ scopes: ['read', 'write'] });
      expectOAuthError(
        await tokenRequest(client, { grant_type: 'client_credentials', scope }),
        400,
        'invalid_scope',
      );
    },
  );

  it('refuses client_credentials to a public client with 400 unauthorized_client', async () => {
    const client = await registerClient({ public: true, grantTypes: ['refresh_token'] });
    const response = await postForm('/oauth2/token', {
      grant_type: 'client_credentials',
      client_id: client.clientId,
    });
    expectOAuthError(response, 400, 'unauthorized_client');
  });

  it('refuses client_credentials to a client without that grant type with 400 unauthorized_client', async () => {
    const client = await registerClient({ grantTypes: ['refresh_token'] });
    expectOAuthError(
      await tokenRequest(client, { grant_type: 'client_credentials' }),
      400,
      'unauthorized_client',
    );
  });
});

describe('grant types', () => {
  it.each([
    'password',
    'authorization_code',
    'implicit',
    'urn:ietf:params:oauth:grant-type:device_code',
    'urn:ietf:params:oauth:grant-type:jwt-bearer',
    'CLIENT_CREDENTIALS',
  ])('rejects the grant type %j with 400 unsupported_grant_type', async (grantType) => {
    const client = await registerClient();
    expectOAuthError(await tokenRequest(client, { grant_type: grantType }), 400, 'unsupported_grant_type');
  });

  it('rejects a request without grant_type with 400 invalid_request', async () => {
    const client = await registerClient();
    expectOAuthError(await tokenRequest(client, { scope: 'read' }), 400, 'invalid_request');
  });
});

describe('refresh_token grant', () => {
  it('issues a new access token in the same grant; without rotation the refresh token stays usable', async () => {
    const client = await registerClient();
    // A confidential client does not rotate unless it asks to.
    expect(client.refreshTokenRotation).toBe(false);
    const first = await grantTokens(client);
    const rt = first.refresh_token;
    expect(rt).toMatch(tokenFormat('rvk_rt_', client.clientId));
    expect(first.access_token).toMatch(tokenFormat('rvk_at_', client.clientId));
    expect(grantIdOf(first.access_token)).toBe(grantIdOf(rt));
    expect(grantIdOf(rt)).not.toBe('');
    const response = await refresh(client, rt);
    expect(response.status).toBe(200);
    const body = response.json as Tokens;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'read write' });
    expect(body.access_token).toMatch(ACCESS_TOKEN);
    expect(body.access_token).not.toBe(first.access_token);
    expect(grantIdOf(body.access_token)).toBe(grantIdOf(rt));
    // Not rotated: no new refresh token (or the same one), and the presented one keeps working.
    expect(body.refresh_token ?? rt).toBe(rt);
    expect((await refresh(client, rt)).status).toBe(200);
    expect(await introspect(client, rt)).toMatchObject({ active: true, token_type: 'refresh_token' });
    expect(await introspect(client, body.access_token)).toMatchObject({ active: true, token_type: 'Bearer' });
    expect(await introspect(client, first.access_token)).toMatchObject({ active: true });
  });

  it.each([
    ['read', 'read'],
    ['write read', 'write read'],
  ])('grants a narrower or equal scope (%j)', async (requested, granted) => {
    const client = await registerClient();
    const rt = (await grantTokens(client, { scope: 'read write' })).refresh_token;
    const response = await refresh(client, rt, { scope: requested });
    expect(response.status).toBe(200);
    expect((response.json as Tokens).scope.split(' ').sort()).toEqual(granted.split(' ').sort());
  });

  it('keeps the refresh token scope when scope is absent', async () => {
    const client = await registerClient({ scopes: ['read', 'write', 'admin'] });
    const rt = (await grantTokens(client, { scope: 'read' })).refresh_token;
    const response = await refresh(client, rt);
    expect(response.json).toMatchObject({ scope: 'read' });
  });

  it("rejects a scope wider than the refresh token's with 400 invalid_scope, even one the client may use", async () => {
    const client = await registerClient({ scopes: ['read', 'write'] });
    const rt = (await grantTokens(client, { scope: 'read' })).refresh_token;
    expectOAuthError(await refresh(client, rt, { scope: 'read write' }), 400, 'invalid_scope');
    expectOAuthError(await refresh(client, rt, { scope: 'write' }), 400, 'invalid_scope');
    expectOAuthError(await refresh(client, rt, { scope: 'other' }), 400, 'invalid_scope');
  });

  it("rejects another client's refresh token with 400 invalid_grant", async () => {
    const [owner, thief] = await Promise.all([registerClient(), registerClient()]);
    const rt = (await grantTokens(owner)).refresh_token;
    expectOAuthError(await refresh(thief, rt), 400, 'invalid_grant');
    // The failed attempt costs the owner nothing.
    expect((await refresh(owner, rt)).status).toBe(200);
  });

  it('rejects an access token presented as a refresh token with 400 invalid_grant', async () => {
    const client = await registerClient();
    const tokens = await clientCredentials(client);
    expectOAuthError(await refresh(client, tokens.access_token), 400, 'invalid_grant');
  });

  it('rejects a revoked refresh token with 400 invalid_grant', async () => {
    const client = await registerClient();
    const rt = (await grantTokens(client)).refresh_token;
    expect((await refresh(client, rt)).status).toBe(200);
    const revoked = await postForm(
      '/oauth2/revoke',
      { token: rt },
      { auth: [client.clientId, client.clientSecret] },
    );
    expect(revoked.status).toBe(200);
    expectOAuthError(await refresh(client, rt), 400, 'invalid_grant');
  });

  it('rejects an unknown refresh token, of the right format or not, with 400 invalid_grant', async () => {
    const client = await registerClient();
    expectOAuthError(await refresh(client, randomBytes(32).toString('base64url')), 400, 'invalid_grant');
    expectOAuthError(await refresh(client, unissuedRefreshToken(client.clientId)), 400, 'invalid_grant');
    // A real refresh token with one character of its random part changed fails its checksum.
    const rt = (await grantTokens(client)).refresh_token;
    const parts = rt.split('.');
    const random = parts[3] as string;
    parts[3] = `${random.slice(0, -1)}${random.endsWith('A') ? 'B' : 'A'}`;
    expectOAuthError(await refresh(client, parts.join('.')), 400, 'invalid_grant');
    expect((await refresh(client, rt)).status).toBe(200);
  });

  it('rejects a refresh grant without refresh_token with 400 invalid_request', async () => {
    const client = await registerClient();
    expectOAuthError(await tokenRequest(client, { grant_type: 'refresh_token' }), 400, 'invalid_request');
  });

  it('refuses the refresh grant to a client without that grant type with 400 unauthorized_client', async () => {
    const client = await registerClient({ grantTypes: ['client_credentials'] });
    // Such a client never holds a refresh token; the grant type alone decides.
    const rt = randomBytes(32).toString('base64url');
    expectOAuthError(await refresh(client, rt), 400, 'unauthorized_client');
  });

  it('lets a public client refresh with client_id only (auth method none), rotating its refresh token', async () => {
    const client = await registerClient({ public: true, grantTypes: ['refresh_token'] });
    // Rotation is mandatory for public clients.
    expect(client.refreshTokenRotation).toBe(true);
    const rt = (await grantTokens(client)).refresh_token;
    const response = await postForm('/oauth2/token', {
      grant_type: 'refresh_token',
      refresh_token: rt,
      client_id: client.clientId,
    });
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      token_type: 'Bearer',
      scope: 'read write',
      refresh_token: expect.stringMatching(REFRESH_TOKEN),
    });
    const rotated = (response.json as Tokens).refresh_token as string;
    expect(rotated).not.toBe(rt);
    expect(grantIdOf(rotated)).toBe(grantIdOf(rt));
  });

  it("rejects a public client refreshing another public client's refresh token with 400 invalid_grant", async () => {
    const [owner, thief] = await Promise.all([
      registerClient({ public: true, grantTypes: ['refresh_token'] }),
      registerClient({ public: true, grantTypes: ['refresh_token'] }),
    ]);
    const rt = (await grantTokens(owner)).refresh_token;
    const response = await postForm('/oauth2/token', {
      grant_type: 'refresh_token',
      refresh_token: rt,
      client_id: thief.clientId,
    });
    expectOAuthError(response, 400, 'invalid_grant');
    // The thief's attempt neither consumed nor revoked the owner's refresh token.
    const owned = await postForm('/oauth2/token', {
      grant_type: 'refresh_token',
      refresh_token: rt,
      client_id: owner.clientId,
    });
    expect(owned.status).toBe(200);
  });
});

describe('token lifetimes', () => {
  it('defaults to 3600 s for access tokens and 30 days for refresh tokens', async () => {
    const client = await registerClient();
    const before = nowSeconds();
    const tokens = await grantTokens(client);
    const after = nowSeconds();
    expect(tokens.expires_in).toBe(3600);
    const access = await introspect(client, tokens.access_token);
    const refreshToken = await introspect(client, tokens.refresh_token);
    expect(access.exp).toBe((access.iat as number) + 3600);
    expect(refreshToken.exp).toBe((refreshToken.iat as number) + 30 * 24 * 3600);
    expect(access.iat).toBeGreaterThanOrEqual(before);
    expect(access.iat).toBeLessThanOrEqual(after);
  });

  it("uses the client's own lifetimes in expires_in and in introspection's exp", async () => {
    const client = await registerClient({ accessTokenTtl: 120, refreshTokenTtl: 900 });
    const tokens = await grantTokens(client);
    expect(tokens.expires_in).toBe(120);
    const access = await introspect(client, tokens.access_token);
    const refreshToken = await introspect(client, tokens.refresh_token);
    expect(access.exp).toBe((access.iat as number) + 120);
    expect(refreshToken.exp).toBe((refreshToken.iat as number) + 900);

    const refreshed = await refresh(client, tokens.refresh_token);
    const body = refreshed.json as Tokens;
    expect(body.expires_in).toBe(120);
    const child = await introspect(client, body.access_token);
    expect(child.exp).toBe((child.iat as number) + 120);
  });

  it('treats expired tokens as absent: no longer active, no longer refreshable', async () => {
    const client = await registerClient({ accessTokenTtl: 1, refreshTokenTtl: 1 });
    const tokens = await grantTokens(client);
    const exp = (await introspect(client, tokens.refresh_token)).exp as number;
    // The item stays in the table (DynamoDB's TTL deletes late); only its expiresAt has passed.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, exp * 1000 - Date.now()) + 50));
    expect(await introspect(client, tokens.access_token)).toEqual({ active: false });
    expect(await introspect(client, tokens.refresh_token)).toEqual({ active: false });
    expectOAuthError(await refresh(client, tokens.refresh_token), 400, 'invalid_grant');
  });
});
