import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  admin,
  clientCredentials,
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

/** At least 256 bits, base64url: 43 characters or more of the URL-safe alphabet. */
const OPAQUE_TOKEN = /^[A-Za-z0-9_-]{43,}$/;

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('client_credentials grant', () => {
  it('issues a Bearer access token and a refresh token with the contract fields only', async () => {
    const client = await registerClient();
    const response = await tokenRequest(client, { grant_type: 'client_credentials' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json\b/);
    expect(response.json).toEqual({
      access_token: expect.stringMatching(OPAQUE_TOKEN),
      refresh_token: expect.stringMatching(OPAQUE_TOKEN),
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'read write',
    });
    const body = response.json as Tokens;
    expect(body.refresh_token).not.toBe(body.access_token);
  });

  it('issues a different token on every request', async () => {
    const client = await registerClient();
    const issued = await Promise.all(Array.from({ length: 5 }, () => clientCredentials(client)));
    const values = issued.flatMap((t) => [t.access_token, t.refresh_token]);
    expect(new Set(values).size).toBe(10);
  });

  it('omits refresh_token when the client may not use the refresh_token grant', async () => {
    const client = await registerClient({ grantTypes: ['client_credentials'] });
    const response = await tokenRequest(client, { grant_type: 'client_credentials' });
    expect(response.status).toBe(200);
    expect(Object.keys(response.json as object).sort()).toEqual([
      'access_token',
      'expires_in',
      'scope',
      'token_type',
    ]);
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
  it('issues a new access token linked to the same refresh token', async () => {
    const client = await registerClient();
    const first = await clientCredentials(client);
    const rt = first.refresh_token as string;
    const response = await refresh(client, rt);
    expect(response.status).toBe(200);
    const body = response.json as Tokens;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'read write' });
    expect(body.access_token).toMatch(OPAQUE_TOKEN);
    expect(body.access_token).not.toBe(first.access_token);
    // The same refresh token keeps working; a rotated one would have to be returned here.
    expect(body.refresh_token ?? rt).toBe(rt);
    expect((await refresh(client, rt)).status).toBe(200);
    expect(await introspect(client, body.access_token)).toMatchObject({ active: true, token_type: 'Bearer' });
    expect(await introspect(client, first.access_token)).toMatchObject({ active: true });
  });

  it.each([
    ['read', 'read'],
    ['write read', 'write read'],
  ])('grants a narrower or equal scope (%j)', async (requested, granted) => {
    const client = await registerClient();
    const rt = (await clientCredentials(client, 'read write')).refresh_token as string;
    const response = await refresh(client, rt, { scope: requested });
    expect(response.status).toBe(200);
    expect((response.json as Tokens).scope.split(' ').sort()).toEqual(granted.split(' ').sort());
  });

  it('keeps the refresh token scope when scope is absent', async () => {
    const client = await registerClient({ scopes: ['read', 'write', 'admin'] });
    const rt = (await clientCredentials(client, 'read')).refresh_token as string;
    const response = await refresh(client, rt);
    expect(response.json).toMatchObject({ scope: 'read' });
  });

  it("rejects a scope wider than the refresh token's with 400 invalid_scope, even one the client may use", async () => {
    const client = await registerClient({ scopes: ['read', 'write'] });
    const rt = (await clientCredentials(client, 'read')).refresh_token as string;
    expectOAuthError(await refresh(client, rt, { scope: 'read write' }), 400, 'invalid_scope');
    expectOAuthError(await refresh(client, rt, { scope: 'write' }), 400, 'invalid_scope');
    expectOAuthError(await refresh(client, rt, { scope: 'other' }), 400, 'invalid_scope');
  });

  it("rejects another client's refresh token with 400 invalid_grant", async () => {
    const [owner, thief] = await Promise.all([registerClient(), registerClient()]);
    const rt = (await clientCredentials(owner)).refresh_token as string;
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
    const rt = (await clientCredentials(client)).refresh_token as string;
    const revoked = await postForm(
      '/oauth2/revoke',
      { token: rt },
      { auth: [client.clientId, client.clientSecret] },
    );
    expect(revoked.status).toBe(200);
    expectOAuthError(await refresh(client, rt), 400, 'invalid_grant');
  });

  it('rejects an unknown refresh token with 400 invalid_grant', async () => {
    const client = await registerClient();
    expectOAuthError(await refresh(client, randomBytes(32).toString('base64url')), 400, 'invalid_grant');
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

  it('lets a public client refresh with client_id only (auth method none)', async () => {
    const client = await registerClient({ public: true, grantTypes: ['refresh_token'] });
    const minted = await admin('POST', '/admin/tokens', { clientId: client.clientId, refreshToken: true });
    const rt = (minted.json as Tokens).refresh_token as string;
    const response = await postForm('/oauth2/token', {
      grant_type: 'refresh_token',
      refresh_token: rt,
      client_id: client.clientId,
    });
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ token_type: 'Bearer', scope: 'read write' });
  });

  it("rejects a public client refreshing another public client's refresh token with 400 invalid_grant", async () => {
    const [owner, thief] = await Promise.all([
      registerClient({ public: true, grantTypes: ['refresh_token'] }),
      registerClient({ public: true, grantTypes: ['refresh_token'] }),
    ]);
    const minted = await admin('POST', '/admin/tokens', { clientId: owner.clientId, refreshToken: true });
    const rt = (minted.json as Tokens).refresh_token as string;
    const response = await postForm('/oauth2/token', {
      grant_type: 'refresh_token',
      refresh_token: rt,
      client_id: thief.clientId,
    });
    expectOAuthError(response, 400, 'invalid_grant');
  });
});

describe('token lifetimes', () => {
  it('defaults to 3600 s for access tokens and 30 days for refresh tokens', async () => {
    const client = await registerClient();
    const before = nowSeconds();
    const tokens = await clientCredentials(client);
    const after = nowSeconds();
    expect(tokens.expires_in).toBe(3600);
    const access = await introspect(client, tokens.access_token);
    const refreshToken = await introspect(client, tokens.refresh_token as string);
    expect(access.exp).toBe((access.iat as number) + 3600);
    expect(refreshToken.exp).toBe((refreshToken.iat as number) + 30 * 24 * 3600);
    expect(access.iat).toBeGreaterThanOrEqual(before);
    expect(access.iat).toBeLessThanOrEqual(after);
  });

  it("uses the client's own lifetimes in expires_in and in introspection's exp", async () => {
    const client = await registerClient({ accessTokenTtl: 120, refreshTokenTtl: 900 });
    const tokens = await clientCredentials(client);
    expect(tokens.expires_in).toBe(120);
    const access = await introspect(client, tokens.access_token);
    const refreshToken = await introspect(client, tokens.refresh_token as string);
    expect(access.exp).toBe((access.iat as number) + 120);
    expect(refreshToken.exp).toBe((refreshToken.iat as number) + 900);

    const refreshed = await refresh(client, tokens.refresh_token as string);
    const body = refreshed.json as Tokens;
    expect(body.expires_in).toBe(120);
    const child = await introspect(client, body.access_token);
    expect(child.exp).toBe((child.iat as number) + 120);
  });

  it('treats expired tokens as absent: no longer active, no longer refreshable', async () => {
    const client = await registerClient({ accessTokenTtl: 1, refreshTokenTtl: 1 });
    const tokens = await clientCredentials(client);
    const exp = (await introspect(client, tokens.refresh_token as string)).exp as number;
    // The item stays in the table (DynamoDB's TTL deletes late); only its expiresAt has passed.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, exp * 1000 - Date.now()) + 50));
    expect(await introspect(client, tokens.access_token)).toEqual({ active: false });
    expect(await introspect(client, tokens.refresh_token as string)).toEqual({ active: false });
    expectOAuthError(await refresh(client, tokens.refresh_token as string), 400, 'invalid_grant');
  });
});
