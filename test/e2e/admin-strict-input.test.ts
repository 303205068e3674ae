import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ADMIN, admin, baseUrl, registerClient } from '#test/support/helpers.ts';
import { adminRequest } from '#tools/admin-client.ts';

const message = (json: unknown) => (json as { message?: string }).message;

/** Contract [v3] "Strict admin input": an unknown field is a 400 that names it, and nothing is written. */
describe('strict admin input', () => {
  it('refuses an unknown field on client registration, naming it, and writes nothing', async () => {
    const key = randomUUID();
    const refused = await adminRequest(baseUrl, 'POST', '/admin/clients', ADMIN, {
      body: { name: 'strict', grant_type: 'client_credentials' },
      headers: { 'Idempotency-Key': key },
    });
    expect(refused.status).toBe(400);
    expect(message(refused.json)).toBe('unknown field "grant_type"');
    // Nothing was kept under the key: the same key with a valid body creates (201), not replays (200).
    const created = await adminRequest(baseUrl, 'POST', '/admin/clients', ADMIN, {
      body: { name: 'strict' },
      headers: { 'Idempotency-Key': key },
    });
    expect(created.status).toBe(201);
  });

  it('takes the RFC 7591 client metadata names in place of its own', async () => {
    const response = await admin('POST', '/admin/clients', {
      client_name: 'rfc7591',
      grant_types: ['refresh_token'],
      scope: 'read  write',
      token_endpoint_auth_method: 'none',
    });
    expect(response.status).toBe(201);
    expect(response.json).toMatchObject({
      name: 'rfc7591',
      grantTypes: ['refresh_token'],
      scopes: ['read', 'write'],
      public: true,
    });
    expect(response.json).not.toHaveProperty('clientSecret');
    const confidential = await admin('POST', '/admin/clients', {
      client_name: 'rfc7591 confidential',
      token_endpoint_auth_method: 'client_secret_basic',
    });
    expect(confidential.status).toBe(201);
    expect(confidential.json).toMatchObject({ public: false, clientSecret: expect.any(String) });
  });

  it('refuses one field under both names, and bad RFC 7591 values under their own name', async () => {
    const both = await admin('POST', '/admin/clients', { name: 'a', client_name: 'b' });
    expect(both.status).toBe(400);
    expect(message(both.json)).toBe('"name" and "client_name" name the same field: give one');
    const method = await admin('POST', '/admin/clients', {
      name: 'a',
      token_endpoint_auth_method: 'private_key_jwt',
    });
    expect(method.status).toBe(400);
    expect(message(method.json)).toMatch(/^"token_endpoint_auth_method" /);
    const grants = await admin('POST', '/admin/clients', {
      client_name: 'a',
      grant_types: ['authorization_code'],
    });
    expect(grants.status).toBe(400);
    expect(message(grants.json)).toMatch(/^"grant_types" /);
    const scope = await admin('POST', '/admin/clients', { client_name: 'a', scope: ['read'] });
    expect(scope.status).toBe(400);
    expect(message(scope.json)).toMatch(/^"scope" /);
  });

  it('refuses unknown fields on every other admin body, naming them', async () => {
    const client = await registerClient();
    const cases: [string, string, unknown][] = [
      ['POST', '/admin/tokens', { clientId: client.clientId, refresh_token: true }],
      ['POST', `/admin/clients/${client.clientId}/secret`, { grace: 60 }],
      ['POST', '/admin/oauth2/accesstokens/delete', { token: 'rvk_at_x', hint: 'access_token' }],
      ['POST', '/admin/oauth2/refreshtokens/delete', { token: 'rvk_rt_x', tokenType: 'refresh' }],
    ];
    for (const [method, path, body] of cases) {
      const response = await admin(method, path, body);
      const field = Object.keys(body as object).at(-1);
      expect({ path, status: response.status, message: message(response.json) }).toEqual({
        path,
        status: 400,
        message: `unknown field "${field}"`,
      });
    }
    // The secret was not rotated: the client still gets tokens with its first secret.
    const token = await fetch(new URL('/oauth2/token', baseUrl), {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    expect(token.status).toBe(200);
  });

  it('names an unknown field of global token revocation in error_description, its OAuth body kept', async () => {
    const top = await admin('POST', '/admin/global-token-revocation', {
      sub_id: { format: 'opaque', id: 'strict-user' },
      reason: 'left',
    });
    expect(top.status).toBe(400);
    expect(top.json).toEqual({ error: 'invalid_request', error_description: 'unknown field "reason"' });
    const inner = await admin('POST', '/admin/global-token-revocation', {
      sub_id: { format: 'opaque', id: 'strict-user', email: 'x@example.com' },
    });
    expect(inner.status).toBe(400);
    expect(inner.json).toEqual({ error: 'invalid_request', error_description: 'unknown field "email"' });
  });

  it('refuses a field of the wrong type or out of range on every admin body, naming the field, and writes nothing', async () => {
    const client = await registerClient();
    const cases: [string, string, unknown, string][] = [
      ['POST', '/admin/clients', { name: 5 }, 'name'],
      ['POST', '/admin/clients', { name: 'a', public: 'yes' }, 'public'],
      ['POST', '/admin/clients', { name: 'a', grantTypes: 'client_credentials' }, 'grantTypes'],
      ['POST', '/admin/clients', { name: 'a', scopes: 'read' }, 'scopes'],
      ['POST', '/admin/clients', { name: 'a', accessTokenTtl: 86_401 }, 'accessTokenTtl'],
      ['POST', '/admin/clients', { name: 'a', refreshTokenTtl: 1.5 }, 'refreshTokenTtl'],
      ['POST', '/admin/clients', { name: 'a', refreshTokenRotation: 1 }, 'refreshTokenRotation'],
      [
        'POST',
        '/admin/clients',
        { name: 'a', refreshTokenReuseGraceSeconds: 61 },
        'refreshTokenReuseGraceSeconds',
      ],
      ['POST', '/admin/clients', { client_name: ['a'] }, 'client_name'],
      ['POST', '/admin/clients', { client_name: 'a', grant_types: 'refresh_token' }, 'grant_types'],
      [
        'POST',
        '/admin/clients',
        { client_name: 'a', token_endpoint_auth_method: true },
        'token_endpoint_auth_method',
      ],
      ['POST', '/admin/tokens', { clientId: 5 }, 'clientId'],
      ['POST', '/admin/tokens', { clientId: client.clientId, subject: 7 }, 'subject'],
      ['POST', '/admin/tokens', { clientId: client.clientId, scope: ['read'] }, 'scope'],
      ['POST', '/admin/tokens', { clientId: client.clientId, refreshToken: 'yes' }, 'refreshToken'],
      [
        'POST',
        `/admin/clients/${client.clientId}/secret`,
        { previousSecretGraceSeconds: '60' },
        'previousSecretGraceSeconds',
      ],
      [
        'POST',
        `/admin/clients/${client.clientId}/secret`,
        { previousSecretGraceSeconds: 86_401 },
        'previousSecretGraceSeconds',
      ],
      ['POST', '/admin/oauth2/accesstokens/delete', { token: 5 }, 'token'],
      ['POST', '/admin/oauth2/refreshtokens/delete', { token: null }, 'token'],
    ];
    for (const [method, path, body, field] of cases) {
      const response = await admin(method, path, body);
      expect({
        body,
        status: response.status,
        names: message(response.json)?.startsWith(`"${field}" `),
      }).toEqual({
        body,
        status: 400,
        names: true,
      });
    }
    // Nothing was written: no client of those names, and the secret was not rotated.
    const token = await fetch(new URL('/oauth2/token', baseUrl), {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    expect(token.status).toBe(200);
    const global = await admin('POST', '/admin/global-token-revocation', { sub_id: 'alice' });
    expect(global.status).toBe(400);
    expect(global.json).toMatchObject({
      error: 'invalid_request',
      error_description: expect.stringContaining('sub_id'),
    });
  });
});
