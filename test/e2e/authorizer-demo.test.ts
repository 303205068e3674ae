import { describe, expect, it } from 'vitest';
import {
  admin,
  call,
  clientCredentials,
  grantTokens,
  logLines,
  postForm,
  registerClient,
  waitForLog,
} from '#test/support/helpers.ts';

/** GET /demo/whoami: an API of "your own" behind the service's authorizer, served by `npm start`. */
const whoami = (authorization?: string) =>
  call('GET', '/demo/whoami', authorization === undefined ? {} : { headers: { authorization } });

const INVALID_TOKEN = 'Bearer realm="oauth", error="invalid_token"';

describe('GET /demo/whoami behind the authorizer', () => {
  it('answers 200 with the token’s client, scope and subject, then 401 invalid_token at once after RFC 7009 revoke', async () => {
    const client = await registerClient();
    const subject = `user-${Math.random().toString(36).slice(2)}@example.com`;
    const tokens = await grantTokens(client, { scope: 'read', subject });

    const before = await whoami(`Bearer ${tokens.access_token}`);
    expect(before.status).toBe(200);
    expect(before.json).toEqual({ clientId: client.clientId, scope: 'read', sub: subject });
    expect(before.headers.get('cache-control')).toBe('no-store');

    const revoked = await postForm(
      '/oauth2/revoke',
      { token: tokens.access_token, token_type_hint: 'access_token' },
      { auth: [client.clientId, client.clientSecret] },
    );
    expect(revoked.status).toBe(200);

    const after = await whoami(`Bearer ${tokens.access_token}`);
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toBe(INVALID_TOKEN);
  });

  it('omits sub for a token without a subject (client_credentials)', async () => {
    const client = await registerClient();
    const tokens = await clientCredentials(client, 'read write');
    const response = await whoami(`Bearer ${tokens.access_token}`);
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ clientId: client.clientId, scope: 'read write' });
  });

  it('refuses every token of a revoked grant as soon as its refresh token is revoked', async () => {
    const client = await registerClient();
    const tokens = await grantTokens(client);
    expect((await whoami(`Bearer ${tokens.access_token}`)).status).toBe(200);
    const revoked = await postForm(
      '/oauth2/revoke',
      { token: tokens.refresh_token },
      { auth: [client.clientId, client.clientSecret] },
    );
    expect(revoked.status).toBe(200);
    const after = await whoami(`Bearer ${tokens.access_token}`);
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toBe(INVALID_TOKEN);
  });

  it('refuses a token of a client whose tokens an operator revoked', async () => {
    const client = await registerClient();
    const tokens = await clientCredentials(client);
    expect((await admin('DELETE', `/admin/clients/${client.clientId}/tokens`)).status).toBe(200);
    expect((await whoami(`Bearer ${tokens.access_token}`)).status).toBe(401);
  });

  it('answers the bare Bearer challenge when no token was sent (RFC 6750 3.1)', async () => {
    const response = await whoami();
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="oauth"');
  });

  it('refuses a refresh token, an unknown token and a malformed credential with invalid_token', async () => {
    const client = await registerClient();
    const tokens = await grantTokens(client);
    const unknown = `${tokens.access_token.slice(0, -8)}AAAAAAAA`;
    for (const authorization of [
      `Bearer ${tokens.refresh_token}`,
      `Bearer ${unknown}`,
      'Bearer not a token',
      `Basic ${Buffer.from('a:b').toString('base64')}`,
    ]) {
      const response = await whoami(authorization);
      expect(response.status, authorization.slice(0, 12)).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe(INVALID_TOKEN);
    }
  });

  it('logs the decision with a token id prefix, never the raw token', async () => {
    const client = await registerClient();
    const tokens = await clientCredentials(client);
    expect((await whoami(`Bearer ${tokens.access_token}`)).status).toBe(200);
    const lines = await waitForLog((all) =>
      all.some((line) => line.message === 'authorizer decision' && line.clientId === client.clientId),
    );
    const decision = lines.find(
      (line) => line.message === 'authorizer decision' && line.clientId === client.clientId,
    );
    expect(decision?.raw).toMatch(/"decision":"allow"/);
    expect(decision?.raw).toMatch(/"tokenIdPrefix":"/);
    expect(logLines().filter((line) => line.raw.includes(tokens.access_token))).toEqual([]);
  });
});
