import { beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '#commons/domain/secrets.ts';
import { formatToken, newGrantId } from '#commons/domain/token-format.ts';
import {
  admin,
  call,
  clientCredentials,
  eventuallyGone,
  grantTokens,
  introspect,
  postForm,
  type RegisteredClient,
  refresh,
  registerClient,
  testStore,
  tokenItem,
} from '#test/support/helpers.ts';

/** DELETE /oauth/token: the bearer invalidates its own access token. */
const invalidate = (token: string, scheme = 'Bearer') =>
  call('DELETE', '/oauth/token', { headers: { authorization: `${scheme} ${token}` } });

const GONE = {
  error: 'invalid_token',
  error_description: 'Access Token already invalidated or not found',
};

/** The grant a token names: the second dot-separated field after the 7-character prefix. */
const grantIdOf = (token: string) => token.slice(7).split('.')[1] as string;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A resource server that introspects, as another client would. */
let resourceServer: RegisteredClient;

beforeAll(async () => {
  resourceServer = await registerClient({ name: 'resource server' });
});

describe('DELETE /oauth/token', () => {
  it('invalidates the presented access token: 200, empty body, no-store, and the token is gone to every read', async () => {
    const client = await registerClient();
    const tokens = await clientCredentials(client);
    expect(await introspect(resourceServer, tokens.access_token)).toMatchObject({ active: true });

    const response = await invalidate(tokens.access_token);

    expect(response.status).toBe(200);
    expect(response.text).toBe('');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('pragma')).toBe('no-cache');
    expect(await introspect(resourceServer, tokens.access_token)).toEqual({ active: false });
    expect(await testStore().getToken(hashSecret(tokens.access_token))).toBeUndefined();
    // What is left until TTL removes it is a tombstone: the bearer (named by its client) and the route.
    expect(await tokenItem(tokens.access_token)).toMatchObject({
      revokedAt: expect.any(Number),
      revokedBy: { type: 'bearer', id: client.clientId },
      revokedRoute: 'DELETE /oauth/token',
    });
  });

  it('refuses a second invalidation of the same token with 403 invalid_token', async () => {
    const client = await registerClient();
    const tokens = await clientCredentials(client);
    expect((await invalidate(tokens.access_token)).status).toBe(200);

    const again = await invalidate(tokens.access_token);

    expect(again.status).toBe(403);
    expect(again.headers.get('content-type')).toMatch(/^application\/json/);
    expect(again.json).toEqual(GONE);
  });

  it('invalidates only the presented token: its refresh token and the other access tokens stay active', async () => {
    const client = await registerClient();
    const first = await grantTokens(client);
    const refreshed = await refresh(client, first.refresh_token);
    expect(refreshed.status).toBe(200);
    const sameGrant = (refreshed.json as { access_token: string }).access_token;
    const sibling = await clientCredentials(client);

    expect((await invalidate(first.access_token)).status).toBe(200);

    expect(await introspect(resourceServer, first.access_token)).toEqual({ active: false });
    expect(await introspect(resourceServer, sameGrant)).toMatchObject({ active: true });
    expect(await introspect(resourceServer, sibling.access_token)).toMatchObject({ active: true });
    expect(await introspect(resourceServer, first.refresh_token)).toMatchObject({ active: true });
    expect((await refresh(client, first.refresh_token)).status).toBe(200);
  });

  it('refuses an unknown token, of the right format or not, with 403 invalid_token', async () => {
    const client = await registerClient();
    const unknown = [
      // b64token syntax, but no token format: unknown without any read.
      'dW5rbm93bi10b2tlbi10aGF0LXdhcy1uZXZlci1pc3N1ZWQ',
      formatToken({ kind: 'access', clientId: client.clientId }),
      formatToken({ kind: 'access', clientId: client.clientId, grantId: newGrantId() }),
    ];
    for (const token of unknown) {
      const response = await invalidate(token);
      expect(response.status).toBe(403);
      expect(response.json).toEqual(GONE);
    }
  });

  it('refuses an issued access token with a wrong checksum with 403 and leaves the real one active', async () => {
    const client = await registerClient();
    const tokens = await clientCredentials(client);
    const parts = tokens.access_token.split('.');
    const sum = parts[4] as string;
    parts[4] = `${sum.startsWith('A') ? 'B' : 'A'}${sum.slice(1)}`;

    const response = await invalidate(parts.join('.'));

    expect(response.status).toBe(403);
    expect(response.json).toEqual(GONE);
    expect(await introspect(resourceServer, tokens.access_token)).toMatchObject({ active: true });
  });

  it('refuses an expired access token with 403 invalid_token', async () => {
    const client = await registerClient({ accessTokenTtl: 1 });
    const tokens = await clientCredentials(client);
    await sleep(1100);

    const response = await invalidate(tokens.access_token);

    expect(response.status).toBe(403);
    expect(response.json).toEqual(GONE);
  });

  it('refuses a refresh token presented as the bearer and leaves it usable', async () => {
    const client = await registerClient();
    const tokens = await grantTokens(client);
    const refreshToken = tokens.refresh_token;

    const response = await invalidate(refreshToken);

    expect(response.status).toBe(403);
    expect(response.json).toEqual(GONE);
    expect(await introspect(resourceServer, refreshToken)).toMatchObject({
      active: true,
      token_type: 'refresh_token',
    });
    const refreshed = await refresh(client, refreshToken);
    expect(refreshed.status).toBe(200);
    expect(refreshed.json).toMatchObject({ token_type: 'Bearer' });
  });

  it('refuses an access token whose grant was revoked through its refresh token', async () => {
    const client = await registerClient();
    const tokens = await grantTokens(client);
    expect(await introspect(resourceServer, tokens.access_token)).toMatchObject({ active: true });
    const revoked = await postForm(
      '/oauth2/revoke',
      { token: tokens.refresh_token, token_type_hint: 'refresh_token' },
      { auth: [client.clientId, client.clientSecret] },
    );
    expect(revoked.status).toBe(200);

    const response = await invalidate(tokens.access_token);

    expect(response.status).toBe(403);
    expect(response.json).toEqual(GONE);
  });

  it('refuses an access token of a grant marked revoked whose sweep has not reached it', async () => {
    const client = await registerClient();
    const tokens = await grantTokens(client);
    const store = testStore();
    // A grant's revocation is its mark alone; its tokens stay until the sweeper deletes them.
    const mark = {
      actor: { type: 'client', id: client.clientId },
      at: Date.now(),
      reason: 'revoked',
    } as const;
    expect(await store.revokeGrant(grantIdOf(tokens.refresh_token), mark)).toBeDefined();

    const response = await invalidate(tokens.access_token);

    expect(response.status).toBe(403);
    expect(response.json).toEqual(GONE);
    // A revoke of the grant's refresh token finds it revoked already: still the RFC 7009 200.
    const retried = await postForm(
      '/oauth2/revoke',
      { token: tokens.refresh_token },
      { auth: [client.clientId, client.clientSecret] },
    );
    expect(retried.status).toBe(200);
    expect((await invalidate(tokens.access_token)).status).toBe(403);
    // The sweep follows the mark.
    await eventuallyGone([tokens.access_token, tokens.refresh_token]);
  });

  it('refuses an access token of a client whose tokens were all revoked', async () => {
    const client = await registerClient();
    const tokens = await clientCredentials(client);
    expect((await admin('DELETE', `/admin/clients/${client.clientId}/tokens`)).status).toBe(200);

    const response = await invalidate(tokens.access_token);

    expect(response.status).toBe(403);
    expect(response.json).toEqual(GONE);
  });

  it('accepts the Bearer scheme name in any case (RFC 7235 2.1)', async () => {
    const client = await registerClient();
    const tokens = await clientCredentials(client);

    const response = await invalidate(tokens.access_token, 'bearer');

    expect(response.status).toBe(200);
    expect(await introspect(resourceServer, tokens.access_token)).toEqual({ active: false });
  });

  it('answers 401 with a Bearer challenge when no Authorization header is sent', async () => {
    const response = await call('DELETE', '/oauth/token');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="oauth"');
    expect(response.headers.get('cache-control')).toBe('no-store');
    // RFC 6750 3.1: no error code or other error information when no credential was presented.
    expect(response.text).toBe('');
  });

  it('answers 401 with a Bearer challenge when the credential is not a bearer token', async () => {
    const client = await registerClient();
    const tokens = await clientCredentials(client);
    const basic = await call('DELETE', '/oauth/token', {
      headers: {
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
      },
    });
    const empty = await call('DELETE', '/oauth/token', { headers: { authorization: 'Bearer ' } });

    for (const response of [basic, empty]) {
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="oauth"');
    }
    // The token itself was never presented, so it is untouched.
    expect(await introspect(resourceServer, tokens.access_token)).toMatchObject({ active: true });
  });

  it('refuses a bearer value that is not b64token syntax with 400 invalid_request', async () => {
    const response = await call('DELETE', '/oauth/token', { headers: { authorization: 'Bearer a"b' } });
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ error: 'invalid_request' });
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="oauth", error="invalid_request"');
  });

  it('does not accept the token from the request body or query string', async () => {
    const client = await registerClient();
    const tokens = await clientCredentials(client);
    const inBody = await call('DELETE', '/oauth/token', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ access_token: tokens.access_token }).toString(),
    });
    const inQuery = await call('DELETE', `/oauth/token?access_token=${tokens.access_token}`);

    expect(inBody.status).toBe(401);
    expect(inQuery.status).toBe(401);
    expect(await introspect(resourceServer, tokens.access_token)).toMatchObject({ active: true });
  });
});

describe('DELETE /oauth/token raced against itself', () => {
  it('gives exactly one of two concurrent invalidations of the same token the 200, for each of 30 tokens', async () => {
    const client = await registerClient();
    const tokens = await Promise.all(Array.from({ length: 30 }, () => clientCredentials(client)));
    const pairs = await Promise.all(
      tokens.map((t) => Promise.all([invalidate(t.access_token), invalidate(t.access_token)])),
    );
    for (const pair of pairs) {
      expect(pair.map((r) => r.status).sort()).toEqual([200, 403]);
      expect(pair.find((r) => r.status === 403)?.json).toEqual(GONE);
    }
  });
});
