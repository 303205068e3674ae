import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as oauth from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import {
  admin,
  baseUrl,
  grantTokens,
  type RegisteredClient,
  recordSecrets,
  registerClient,
  runDir,
} from '#test/support/helpers.ts';

/** The service as a standards-following client library sees it: endpoints only, no discovery. */
const as: oauth.AuthorizationServer = {
  issuer: new URL('/', baseUrl).href,
  token_endpoint: new URL('/oauth2/token', baseUrl).href,
  revocation_endpoint: new URL('/oauth2/revoke', baseUrl).href,
  introspection_endpoint: new URL('/oauth2/introspect', baseUrl).href,
};

/** Every response the library receives passes through recordSecrets, as the secret audit requires. */
async function recordingFetch(url: string, init: oauth.CustomFetchOptions<'POST', URLSearchParams>) {
  const response = await fetch(url, init);
  const text = await response.clone().text();
  try {
    recordSecrets(JSON.parse(text));
  } catch {
    // Empty (revocation) or non-JSON bodies hand out no secret.
  }
  return response;
}

const options = {
  // The local server speaks plain http://localhost.
  [oauth.allowInsecureRequests]: true,
  [oauth.customFetch]: recordingFetch,
} as const;

const libClient = (client: RegisteredClient): oauth.Client => ({ client_id: client.clientId });
const basicAuth = (client: RegisteredClient) => oauth.ClientSecretBasic(client.clientSecret);
const postAuth = (client: RegisteredClient) => oauth.ClientSecretPost(client.clientSecret);

async function clientCredentials(client: RegisteredClient, auth: oauth.ClientAuth, scope?: string) {
  const response = await oauth.clientCredentialsGrantRequest(
    as,
    libClient(client),
    auth,
    scope === undefined ? {} : { scope },
    options,
  );
  return oauth.processClientCredentialsResponse(as, libClient(client), response);
}

async function introspect(client: RegisteredClient, token: string, hint?: string) {
  const response = await oauth.introspectionRequest(as, libClient(client), basicAuth(client), token, {
    ...options,
    ...(hint !== undefined && { additionalParameters: { token_type_hint: hint } }),
  });
  return oauth.processIntrospectionResponse(as, libClient(client), response);
}

/** Runs a library call that must fail and returns the OAuth error it raised. */
async function oauthError(promise: Promise<unknown>): Promise<oauth.ResponseBodyError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(oauth.ResponseBodyError);
  return error as oauth.ResponseBodyError;
}

describe('oauth4webapi against the service', () => {
  it('gets client_credentials tokens, without a refresh token (RFC 6749 4.4.3), with client_secret_basic', async () => {
    const client = await registerClient();
    const tokens = await clientCredentials(client, basicAuth(client));
    expect(tokens).toMatchObject({ token_type: 'bearer', expires_in: 3600, scope: 'read write' });
    expect(tokens.access_token).toMatch(/^rvk_at_[A-Za-z0-9._-]+$/);
    expect(tokens.refresh_token).toBeUndefined();
    // Proof that the library's requests really went through customFetch, so the audit sees these secrets.
    const recorded = readFileSync(join(runDir, 'secrets.txt'), 'utf8').split('\n');
    expect(recorded).toEqual(expect.arrayContaining([tokens.access_token]));
  });

  it('gets client_credentials tokens with client_secret_post and a narrower scope', async () => {
    const client = await registerClient();
    const tokens = await clientCredentials(client, postAuth(client), 'write');
    expect(tokens).toMatchObject({ token_type: 'bearer', scope: 'write' });
  });

  it('surfaces invalid_scope as an OAuth error response', async () => {
    const client = await registerClient();
    const error = await oauthError(clientCredentials(client, basicAuth(client), 'admin'));
    expect({ status: error.status, error: error.error }).toEqual({ status: 400, error: 'invalid_scope' });
  });

  it('sees a wrong Basic secret as a 401 with a Basic challenge', async () => {
    const client = await registerClient();
    const error = await clientCredentials(client, oauth.ClientSecretBasic(`${client.clientSecret}x`)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    const challenge = error as oauth.WWWAuthenticateChallengeError;
    expect(challenge.status).toBe(401);
    expect(challenge.cause).toEqual([
      expect.objectContaining({ scheme: 'basic', parameters: { realm: 'oauth' } }),
    ]);
  });

  it('refreshes, introspects and revokes, after which every token of the grant is dead', async () => {
    const client = await registerClient();
    const first = await grantTokens(client);
    const refreshToken = first.refresh_token;

    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      libClient(client),
      await oauth.refreshTokenGrantRequest(as, libClient(client), basicAuth(client), refreshToken, {
        ...options,
        additionalParameters: { scope: 'read' },
      }),
    );
    expect(refreshed).toMatchObject({ token_type: 'bearer', scope: 'read', expires_in: 3600 });
    expect(refreshed.access_token).not.toBe(first.access_token);

    expect(await introspect(client, refreshed.access_token)).toMatchObject({
      active: true,
      client_id: client.clientId,
      token_type: 'Bearer',
      scope: 'read',
    });
    expect(await introspect(client, refreshToken, 'refresh_token')).toMatchObject({
      active: true,
      token_type: 'refresh_token',
    });

    const revoked = await oauth.revocationRequest(as, libClient(client), postAuth(client), refreshToken, {
      ...options,
      additionalParameters: { token_type_hint: 'refresh_token' },
    });
    await expect(oauth.processRevocationResponse(revoked)).resolves.toBeUndefined();

    for (const token of [refreshToken, first.access_token, refreshed.access_token]) {
      expect(await introspect(client, token)).toEqual({ active: false });
    }
    const again = await oauth.refreshTokenGrantRequest(
      as,
      libClient(client),
      basicAuth(client),
      refreshToken,
      options,
    );
    const error = await oauthError(oauth.processRefreshTokenResponse(as, libClient(client), again));
    expect({ status: error.status, error: error.error }).toEqual({ status: 400, error: 'invalid_grant' });
  });

  it('revokes an access token only, leaving its refresh token usable', async () => {
    const client = await registerClient();
    const tokens = await grantTokens(client);
    const revoked = await oauth.revocationRequest(
      as,
      libClient(client),
      basicAuth(client),
      tokens.access_token,
      options,
    );
    await expect(oauth.processRevocationResponse(revoked)).resolves.toBeUndefined();
    expect(await introspect(client, tokens.access_token)).toEqual({ active: false });
    expect((await introspect(client, tokens.refresh_token)).active).toBe(true);
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      libClient(client),
      await oauth.refreshTokenGrantRequest(
        as,
        libClient(client),
        basicAuth(client),
        tokens.refresh_token,
        options,
      ),
    );
    expect((await introspect(client, refreshed.access_token)).active).toBe(true);
  });

  it("gets invalid_request when a confidential client revokes another client's token", async () => {
    const [owner, other] = await Promise.all([registerClient(), registerClient()]);
    const tokens = await clientCredentials(owner, basicAuth(owner));
    const response = await oauth.revocationRequest(
      as,
      libClient(other),
      basicAuth(other),
      tokens.access_token,
      options,
    );
    const error = await oauthError(oauth.processRevocationResponse(response));
    expect(error).toMatchObject({
      status: 400,
      error: 'invalid_request',
      error_description: 'client is not authorized to revoke the presented token',
    });
    expect((await introspect(owner, tokens.access_token)).active).toBe(true);
  });

  it('lets a public client (auth method none) refresh and revoke, but not introspect', async () => {
    const [client, resourceServer] = await Promise.all([
      registerClient({ public: true, grantTypes: ['refresh_token'] }),
      registerClient(),
    ]);
    const minted = await admin('POST', '/admin/tokens', { clientId: client.clientId, refreshToken: true });
    const refreshToken = (minted.json as { refresh_token: string }).refresh_token;
    const publicClient = libClient(client);

    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      publicClient,
      await oauth.refreshTokenGrantRequest(as, publicClient, oauth.None(), refreshToken, options),
    );
    expect(refreshed).toMatchObject({ token_type: 'bearer' });
    expect(await introspect(resourceServer, refreshed.access_token)).toMatchObject({
      active: true,
      client_id: client.clientId,
    });

    const introspection = await oauth.introspectionRequest(
      as,
      publicClient,
      oauth.None(),
      refreshed.access_token,
      options,
    );
    const refused = await oauthError(oauth.processIntrospectionResponse(as, publicClient, introspection));
    expect({ status: refused.status, error: refused.error }).toEqual({
      status: 401,
      error: 'invalid_client',
    });

    const revoked = await oauth.revocationRequest(as, publicClient, oauth.None(), refreshToken, options);
    await expect(oauth.processRevocationResponse(revoked)).resolves.toBeUndefined();
    expect(await introspect(resourceServer, refreshed.access_token)).toEqual({ active: false });
  });
});
