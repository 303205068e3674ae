import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatToken, newGrantId } from '#commons/domain/token-format.ts';
import { HTTP_FUNCTIONS, routeKey } from '#commons/manifest.ts';
import {
  admin,
  basic,
  call,
  clientCredentials,
  grantTokens,
  type HttpResponse,
  introspect,
  postForm,
  type RegisteredClient,
  registerClient,
} from '#test/support/helpers.ts';
import { ssfCall, ssfReceiver } from '#test/support/ssf.ts';

type Endpoint = '/oauth2/token' | '/oauth2/revoke' | '/oauth2/introspect';
const ENDPOINTS: readonly Endpoint[] = ['/oauth2/token', '/oauth2/revoke', '/oauth2/introspect'];

/**
 * A well-formed token that no one was ever issued: in the v2 format with a valid checksum (naming a client
 * that does not exist), so the service cannot tell it is unknown before reading the table.
 */
const unknownToken = (kind: 'access' | 'refresh' = 'access') =>
  formatToken({
    kind,
    clientId: randomBytes(16).toString('base64url'),
    ...(kind === 'refresh' && { grantId: newGrantId() }),
  });

/** Parameters of a request that succeeds (200) at the endpoint for any confidential client. */
function validParams(endpoint: Endpoint): Record<string, string> {
  return endpoint === '/oauth2/token' ? { grant_type: 'client_credentials' } : { token: unknownToken() };
}

/** Asserts the contract's error shape: JSON `{"error","error_description"}` and nothing else. */
function expectOAuthError(response: HttpResponse, status: number, error: string) {
  expect({ status: response.status, body: response.json }).toMatchObject({ status, body: { error } });
  expect(response.headers.get('content-type')).toMatch(/^application\/json\b/);
  const body = response.json as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(['error', 'error_description']);
  expect(typeof body.error_description).toBe('string');
}

const FORM = 'application/x-www-form-urlencoded';
const formBody = (params: Record<string, string>) => new URLSearchParams(params).toString();

/** Posts a raw body (string or bytes) with the given headers; `auth` adds Basic credentials. */
function postRaw(
  endpoint: string,
  body: string | Uint8Array,
  headers: Record<string, string>,
  auth?: RegisteredClient,
) {
  const all = auth ? { ...headers, authorization: basic(auth.clientId, auth.clientSecret) } : headers;
  return call('POST', endpoint, { headers: all, body });
}

/** `%XX` for every byte of the value, so the server must form-decode both Basic parts to match. */
const percentEncodeAll = (value: string) =>
  [...Buffer.from(value, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

describe.each(ENDPOINTS)('%s request bodies', (endpoint) => {
  it.each([
    ['application/json', JSON.stringify({ grant_type: 'client_credentials', token: 'abc' })],
    ['text/plain', 'grant_type=client_credentials&token=abc'],
    [
      'multipart/form-data; boundary=x',
      '--x\r\nContent-Disposition: form-data; name="token"\r\n\r\nabc\r\n--x--',
    ],
    ['application/x-www-form-urlencodedx', 'grant_type=client_credentials&token=abc'],
  ])('refuses a %s body with 400 invalid_request', async (contentType, body) => {
    const client = await registerClient();
    expectOAuthError(
      await postRaw(endpoint, body, { 'content-type': contentType }, client),
      400,
      'invalid_request',
    );
  });

  it('refuses a body without a content type with 400 invalid_request', async () => {
    const client = await registerClient();
    // Bytes, so that fetch adds no Content-Type of its own.
    const body = new TextEncoder().encode(formBody(validParams(endpoint)));
    const response = await postRaw(endpoint, body, {}, client);
    expect(response.headers.get('content-type')).toMatch(/^application\/json\b/);
    expectOAuthError(response, 400, 'invalid_request');
  });

  it.each([
    `${FORM}; charset=UTF-8`,
    `${FORM};charset=utf-8`,
    'Application/X-WWW-Form-URLEncoded; charset=UTF-8',
  ])('accepts the form media type written as "%s"', async (contentType) => {
    const client = await registerClient();
    const response = await postRaw(
      endpoint,
      formBody(validParams(endpoint)),
      { 'content-type': contentType },
      client,
    );
    expect(response.status).toBe(200);
  });

  it('ignores unknown parameters', async () => {
    const client = await registerClient();
    const params = { ...validParams(endpoint), foo: 'bar', resource: 'https://rs.example', 'x[]': '1' };
    expect((await postForm(endpoint, params, { auth: [client.clientId, client.clientSecret] })).status).toBe(
      200,
    );
  });

  it('rejects an oversized body (over 16 KiB) with 400 invalid_request before authenticating', async () => {
    const params = { ...validParams(endpoint), pad: 'x'.repeat(16 * 1024) };
    // Unknown credentials: a 401 would mean the table was consulted before the size check.
    const response = await postForm(endpoint, params, { auth: ['no-such-client', 'no-secret'] });
    expectOAuthError(response, 400, 'invalid_request');
  });

  it('accepts a body of exactly 16 KiB', async () => {
    const client = await registerClient();
    const base = `${formBody(validParams(endpoint))}&pad=`;
    const body = base + 'x'.repeat(16 * 1024 - base.length);
    expect(body.length).toBe(16 * 1024);
    const response = await postForm(endpoint, body, { auth: [client.clientId, client.clientSecret] });
    expect(response.status).toBe(200);
  });

  it('never answers malformed input with a 5xx', async () => {
    const client = await registerClient();
    const form = { 'content-type': FORM };
    const bodies: (string | Uint8Array)[] = [
      '',
      '&&&==&',
      'token=%zz&grant_type=%',
      'token=%ff%fe&grant_type=client_credentials%ff',
      'token=a%00b&grant_type=client%00credentials',
      `token=${'%E2%82%AC'.repeat(100)}`,
      'grant_type=client_credentials&scope=%00',
      'grant_type=refresh_token&refresh_token=%zz',
      'token[]=a&token[x]=b',
      Uint8Array.from([0xff, 0xfe, 0x00, 0x3d, 0x26, 0x80]),
    ];
    const responses = await Promise.all([
      ...bodies.map((body) => postRaw(endpoint, body, form, client)),
      ...bodies.map((body) => postRaw(endpoint, body, form)),
      postRaw(endpoint, formBody(validParams(endpoint)), { ...form, authorization: 'Basic' }),
      postRaw(endpoint, formBody(validParams(endpoint)), { ...form, authorization: 'Basic %%%' }),
      postRaw(endpoint, formBody(validParams(endpoint)), {
        ...form,
        authorization: `Basic ${Buffer.from('%zz:%').toString('base64')}`,
      }),
      postRaw(endpoint, formBody(validParams(endpoint)), {
        ...form,
        authorization: `Basic ${Buffer.from(`${'a'.repeat(5000)}:x`).toString('base64')}`,
      }),
      postRaw(endpoint, formBody(validParams(endpoint)), { ...form, authorization: 'Bearer abc' }),
      postForm(endpoint, { ...validParams(endpoint), client_id: 'é\u0000☃'.repeat(50), client_secret: 'x' }),
      postForm(endpoint, { ...validParams(endpoint), client_id: client.clientId }),
    ]);
    for (const response of responses) {
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(response.headers.get('content-type')).toMatch(/^application\/json\b/);
      expect(typeof (response.json as { error?: unknown }).error).toBe('string');
    }
  });
});

describe('repeated and empty parameters', () => {
  it.each([
    ['/oauth2/token', 'grant_type=client_credentials&grant_type=client_credentials'],
    ['/oauth2/token', 'grant_type=client_credentials&scope=read&scope=read'],
    ['/oauth2/token', 'grant_type=refresh_token&refresh_token=abc&refresh_token=def'],
    ['/oauth2/revoke', 'token=abc&token=abc'],
    ['/oauth2/revoke', 'token=abc&token_type_hint=access_token&token_type_hint=access_token'],
    ['/oauth2/introspect', 'token=abc&token=def'],
    ['/oauth2/introspect', 'token=abc&token_type_hint=access_token&token_type_hint=refresh_token'],
  ])('rejects duplicate parameters at %s (%s)', async (endpoint, body) => {
    const client = await registerClient();
    expectOAuthError(
      await postForm(endpoint, body, { auth: [client.clientId, client.clientSecret] }),
      400,
      'invalid_request',
    );
  });

  it.each(ENDPOINTS)('rejects a client_id given twice at %s', async (endpoint) => {
    const client = await registerClient();
    const body = `${formBody(validParams(endpoint))}&client_id=${client.clientId}&client_id=${client.clientId}&client_secret=${client.clientSecret}`;
    expectOAuthError(await postForm(endpoint, body), 400, 'invalid_request');
  });

  it('treats an empty value as absent: an empty duplicate is no duplicate', async () => {
    const client = await registerClient();
    const tokens = await clientCredentials(client);
    const revoked = await postForm('/oauth2/revoke', `token=&token=${tokens.access_token}&token_type_hint=`, {
      auth: [client.clientId, client.clientSecret],
    });
    expect(revoked.status).toBe(200);
    expect(await introspect(client, tokens.access_token)).toEqual({ active: false });
  });

  it.each([
    ['/oauth2/revoke', 'token='],
    ['/oauth2/introspect', 'token='],
    ['/oauth2/token', 'grant_type='],
    ['/oauth2/token', 'grant_type=refresh_token&refresh_token='],
  ])('treats an empty required parameter as missing at %s (%s)', async (endpoint, body) => {
    const client = await registerClient();
    expectOAuthError(
      await postForm(endpoint, body, { auth: [client.clientId, client.clientSecret] }),
      400,
      'invalid_request',
    );
  });

  it('treats an empty scope as absent: the client gets its default scopes', async () => {
    const client = await registerClient({ scopes: ['read', 'write'] });
    const response = await postForm(
      '/oauth2/token',
      { grant_type: 'client_credentials', scope: '' },
      { auth: [client.clientId, client.clientSecret] },
    );
    expect(response.json).toMatchObject({ scope: 'read write' });
  });

  it('treats empty client_id and client_secret as absent next to Basic credentials', async () => {
    const client = await registerClient();
    const response = await postForm(
      '/oauth2/token',
      { grant_type: 'client_credentials', client_id: '', client_secret: '' },
      { auth: [client.clientId, client.clientSecret] },
    );
    expect(response.status).toBe(200);
  });
});

describe.each(['/oauth2/revoke', '/oauth2/introspect'] as const)('%s token syntax', (endpoint) => {
  it('rejects a token over 8 KiB with 400 invalid_request before authenticating', async () => {
    const response = await postForm(endpoint, { token: 'a'.repeat(8193) }, { auth: ['no-such-client', 'x'] });
    expectOAuthError(response, 400, 'invalid_request');
  });

  it('accepts a well-formed token of exactly 8 KiB as merely unknown', async () => {
    const client = await registerClient();
    const response = await postForm(
      endpoint,
      { token: 'a'.repeat(8192) },
      { auth: [client.clientId, client.clientSecret] },
    );
    expect(response.status).toBe(200);
  });

  it.each([
    'abc def',
    'abc=def',
    '=abc',
    '==',
    'abc,def',
    'abc"def',
    'abc%def',
    'abc!',
    'abc\tdef',
    'tökén',
    'abc\u0000',
  ])('rejects the non-b64token %j with 400 invalid_request before authenticating', async (token) => {
    const response = await postForm(endpoint, { token }, { auth: ['no-such-client', 'x'] });
    expectOAuthError(response, 400, 'invalid_request');
  });

  it.each(['abc', 'A-Z.a_z~0+9/', 'abc=', 'abc==', 'a/b+c=='])(
    'accepts the b64token %j as a well-formed unknown token',
    async (token) => {
      const client = await registerClient();
      const response = await postForm(endpoint, { token }, { auth: [client.clientId, client.clientSecret] });
      expect(response.status).toBe(200);
      if (endpoint === '/oauth2/introspect') expect(response.json).toEqual({ active: false });
      else expect(response.text).toBe('');
    },
  );
});

describe.each(ENDPOINTS)('%s client authentication', (endpoint) => {
  const send = (
    params: Record<string, string>,
    headers: Record<string, string> = {},
    auth?: readonly [string, string],
  ) => postForm(endpoint, { ...validParams(endpoint), ...params }, { headers, ...(auth && { auth }) });

  it('accepts client_secret_basic', async () => {
    const client = await registerClient();
    expect((await send({}, {}, [client.clientId, client.clientSecret])).status).toBe(200);
  });

  it('form-decodes both parts of Basic credentials (RFC 6749 2.3.1)', async () => {
    const client = await registerClient();
    const credentials = `${percentEncodeAll(client.clientId)}:${percentEncodeAll(client.clientSecret)}`;
    const authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    expect((await send({}, { authorization })).status).toBe(200);
  });

  it('treats the Basic scheme name case-insensitively', async () => {
    const client = await registerClient();
    const authorization = basic(client.clientId, client.clientSecret).replace(/^Basic/, 'bAsIc');
    expect((await send({}, { authorization })).status).toBe(200);
  });

  it('accepts client_secret_post', async () => {
    const client = await registerClient();
    expect((await send({ client_id: client.clientId, client_secret: client.clientSecret })).status).toBe(200);
  });

  it('rejects two authentication methods in one request with 400 invalid_request', async () => {
    const client = await registerClient();
    const auth = [client.clientId, client.clientSecret] as const;
    expectOAuthError(await send({ client_secret: client.clientSecret }, {}, auth), 400, 'invalid_request');
    expectOAuthError(
      await send({ client_id: client.clientId, client_secret: client.clientSecret }, {}, auth),
      400,
      'invalid_request',
    );
  });

  it('answers a wrong secret in the Authorization header with 401 invalid_client and a Basic challenge', async () => {
    const client = await registerClient();
    const response = await send({}, {}, [client.clientId, `${client.clientSecret}x`]);
    expectOAuthError(response, 401, 'invalid_client');
    expect(response.headers.get('www-authenticate')).toBe('Basic realm="oauth"');
  });

  it('answers a wrong secret in the body with 401 invalid_client and no challenge', async () => {
    const client = await registerClient();
    const response = await send({ client_id: client.clientId, client_secret: `${client.clientSecret}x` });
    expectOAuthError(response, 401, 'invalid_client');
    expect(response.headers.get('www-authenticate')).toBeNull();
  });

  it("rejects another client's secret with 401 invalid_client", async () => {
    const [client, other] = await Promise.all([registerClient(), registerClient()]);
    expectOAuthError(await send({}, {}, [client.clientId, other.clientSecret]), 401, 'invalid_client');
  });

  it('rejects an unknown client with 401 invalid_client', async () => {
    const viaHeader = await send({}, {}, ['no-such-client', 'some-secret']);
    expectOAuthError(viaHeader, 401, 'invalid_client');
    expect(viaHeader.headers.get('www-authenticate')).toBe('Basic realm="oauth"');
    const viaBody = await send({ client_id: 'no-such-client', client_secret: 'some-secret' });
    expectOAuthError(viaBody, 401, 'invalid_client');
    expect(viaBody.headers.get('www-authenticate')).toBeNull();
    expectOAuthError(await send({ client_id: 'no-such-client' }), 401, 'invalid_client');
  });

  it('rejects a request without client authentication with 401 invalid_client', async () => {
    expectOAuthError(await send({}), 401, 'invalid_client');
  });

  it.each([
    'Basic',
    'Basic !!!',
    `Basic ${Buffer.from('no-colon').toString('base64')}`,
    `Basic ${Buffer.from(':secret').toString('base64')}`,
    'Digest username="x"',
  ])(
    'answers the malformed Authorization header %j with 401 invalid_client and a Basic challenge',
    async (authorization) => {
      const response = await send({}, { authorization });
      expectOAuthError(response, 401, 'invalid_client');
      expect(response.headers.get('www-authenticate')).toBe('Basic realm="oauth"');
    },
  );

  it('rejects a confidential client that presents no secret (method none) with 401 invalid_client', async () => {
    const client = await registerClient();
    expectOAuthError(await send({ client_id: client.clientId }), 401, 'invalid_client');
  });

  it('rejects a public client that presents a secret with 401 invalid_client', async () => {
    const client = await registerClient({ public: true, grantTypes: ['refresh_token'] });
    expectOAuthError(
      await send({ client_id: client.clientId, client_secret: 'anything' }),
      401,
      'invalid_client',
    );
    expectOAuthError(await send({}, {}, [client.clientId, '']), 401, 'invalid_client');
  });
});

describe('public clients (token_endpoint_auth_method none)', () => {
  it('may revoke with only client_id in the body', async () => {
    const client = await registerClient({ public: true, grantTypes: ['refresh_token'] });
    const response = await postForm('/oauth2/revoke', { token: unknownToken(), client_id: client.clientId });
    expect(response.status).toBe(200);
  });

  it('may not introspect: 401 invalid_client', async () => {
    const client = await registerClient({ public: true, grantTypes: ['refresh_token'] });
    const response = await postForm('/oauth2/introspect', {
      token: unknownToken(),
      client_id: client.clientId,
    });
    expectOAuthError(response, 401, 'invalid_client');
  });
});

describe('caching', () => {
  const expectNoStore = (headers: Headers) => {
    expect(headers.get('cache-control')).toBe('no-store');
    expect(headers.get('pragma')).toBe('no-cache');
  };

  interface Probe {
    route: string;
    status: number;
    send: () => Promise<{ status: number; headers: Headers }>;
    /** The RFC 8414 metadata document, the one response the contract lets caches keep. */
    cacheable?: true;
  }

  /** One or more requests per route of the route table, success and error alike. */
  async function probes(): Promise<Probe[]> {
    const [client, victim, doomed] = await Promise.all([
      registerClient(),
      registerClient(),
      registerClient(),
    ]);
    const auth = [client.clientId, client.clientSecret] as const;
    const [forInvalidate, forAdminAccess, forAdminRefresh, forPostDelete] = await Promise.all([
      clientCredentials(client),
      clientCredentials(client),
      // client_credentials issues no refresh token (RFC 6749 4.4.3): a grant's.
      grantTokens(client),
      grantTokens(client),
    ]);
    const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
    const unknown = unknownToken();
    const ssf = await ssfReceiver();
    return [
      {
        route: 'POST /oauth2/token',
        status: 200,
        send: () => postForm('/oauth2/token', 'grant_type=client_credentials', { auth }),
      },
      {
        route: 'POST /oauth2/token',
        status: 400,
        send: () => postForm('/oauth2/token', 'grant_type=password', { auth }),
      },
      {
        route: 'POST /oauth2/token',
        status: 401,
        send: () => postForm('/oauth2/token', 'grant_type=client_credentials'),
      },
      {
        route: 'POST /oauth2/revoke',
        status: 200,
        send: () => postForm('/oauth2/revoke', { token: unknown }, { auth }),
      },
      {
        route: 'POST /oauth2/revoke',
        status: 400,
        send: () => postForm('/oauth2/revoke', { token: 'a b' }, { auth }),
      },
      {
        route: 'POST /oauth2/revoke',
        status: 401,
        send: () => postForm('/oauth2/revoke', { token: unknown }),
      },
      {
        route: 'POST /oauth2/introspect',
        status: 200,
        send: () => postForm('/oauth2/introspect', { token: unknown }, { auth }),
      },
      {
        route: 'POST /oauth2/introspect',
        status: 400,
        send: () => postForm('/oauth2/introspect', {}, { auth }),
      },
      {
        route: 'POST /oauth2/introspect',
        status: 401,
        send: () => postForm('/oauth2/introspect', { token: unknown }),
      },
      {
        route: 'POST /admin/clients',
        status: 201,
        send: () => admin('POST', '/admin/clients', { name: 'cache probe' }),
      },
      {
        route: 'POST /admin/clients',
        status: 400,
        send: () => admin('POST', '/admin/clients', { name: '' }),
      },
      {
        route: 'GET /admin/clients/{clientId}',
        status: 200,
        send: () => admin('GET', `/admin/clients/${client.clientId}`),
      },
      {
        route: 'GET /admin/clients/{clientId}',
        status: 404,
        send: () => admin('GET', '/admin/clients/no-such-client'),
      },
      {
        route: 'POST /admin/tokens',
        status: 201,
        send: () => admin('POST', '/admin/tokens', { clientId: client.clientId }),
      },
      { route: 'POST /admin/tokens', status: 400, send: () => admin('POST', '/admin/tokens', {}) },
      {
        route: 'POST /admin/tokens',
        status: 404,
        send: () => admin('POST', '/admin/tokens', { clientId: 'no-such-client' }),
      },
      {
        route: 'DELETE /oauth/token',
        status: 200,
        send: () => call('DELETE', '/oauth/token', bearer(forInvalidate.access_token)),
      },
      { route: 'DELETE /oauth/token', status: 401, send: () => call('DELETE', '/oauth/token') },
      {
        route: 'DELETE /oauth/token',
        status: 403,
        send: () => call('DELETE', '/oauth/token', bearer(unknown)),
      },
      {
        route: 'DELETE /admin/clients/{clientId}',
        status: 200,
        send: () => admin('DELETE', `/admin/clients/${doomed.clientId}`),
      },
      {
        route: 'DELETE /admin/clients/{clientId}',
        status: 404,
        send: () => admin('DELETE', '/admin/clients/no-such-client'),
      },
      {
        route: 'POST /admin/clients/{clientId}/secret',
        status: 200,
        send: () => admin('POST', `/admin/clients/${victim.clientId}/secret`, {}),
      },
      {
        route: 'POST /admin/clients/{clientId}/secret',
        status: 400,
        send: () =>
          admin('POST', `/admin/clients/${victim.clientId}/secret`, { previousSecretGraceSeconds: -1 }),
      },
      {
        route: 'POST /admin/clients/{clientId}/secret',
        status: 404,
        send: () => admin('POST', '/admin/clients/no-such-client/secret'),
      },
      {
        route: 'DELETE /admin/clients/{clientId}/tokens',
        status: 200,
        send: () => admin('DELETE', `/admin/clients/${victim.clientId}/tokens`),
      },
      {
        route: 'DELETE /admin/clients/{clientId}/tokens',
        status: 404,
        send: () => admin('DELETE', '/admin/clients/no-such-client/tokens'),
      },
      {
        route: 'DELETE /admin/oauth2/accesstokens/{access_token}',
        status: 200,
        send: () => admin('DELETE', `/admin/oauth2/accesstokens/${forAdminAccess.access_token}`),
      },
      {
        route: 'DELETE /admin/oauth2/accesstokens/{access_token}',
        status: 404,
        send: () => admin('DELETE', `/admin/oauth2/accesstokens/${unknown}`),
      },
      {
        route: 'DELETE /admin/oauth2/refreshtokens/{refresh_token}',
        status: 200,
        send: () => admin('DELETE', `/admin/oauth2/refreshtokens/${forAdminRefresh.refresh_token}`),
      },
      {
        route: 'DELETE /admin/oauth2/refreshtokens/{refresh_token}',
        status: 404,
        send: () => admin('DELETE', `/admin/oauth2/refreshtokens/${unknownToken('refresh')}`),
      },
      {
        route: 'DELETE /admin/subjects/{subject}/tokens',
        status: 200,
        send: () => admin('DELETE', '/admin/subjects/cache-probe-subject/tokens'),
      },
      {
        route: 'DELETE /admin/subjects/{subject}/tokens',
        status: 400,
        send: () => admin('DELETE', `/admin/subjects/${'s'.repeat(257)}/tokens`),
      },
      {
        route: 'POST /admin/global-token-revocation',
        status: 204,
        send: () =>
          admin('POST', '/admin/global-token-revocation', {
            sub_id: { format: 'opaque', id: 'cache-probe-subject' },
          }),
      },
      {
        route: 'POST /admin/global-token-revocation',
        status: 400,
        send: () =>
          admin('POST', '/admin/global-token-revocation', {
            sub_id: { format: 'email', email: 'a@b.example' },
          }),
      },
      {
        route: 'POST /admin/oauth2/accesstokens/delete',
        status: 200,
        send: () => admin('POST', '/admin/oauth2/accesstokens/delete', { token: forPostDelete.access_token }),
      },
      {
        route: 'POST /admin/oauth2/accesstokens/delete',
        status: 400,
        send: () => admin('POST', '/admin/oauth2/accesstokens/delete', {}),
      },
      {
        route: 'POST /admin/oauth2/accesstokens/delete',
        status: 404,
        send: () => admin('POST', '/admin/oauth2/accesstokens/delete', { token: unknown }),
      },
      {
        route: 'POST /admin/oauth2/refreshtokens/delete',
        status: 200,
        send: () =>
          admin('POST', '/admin/oauth2/refreshtokens/delete', { token: forPostDelete.refresh_token }),
      },
      {
        route: 'POST /admin/oauth2/refreshtokens/delete',
        status: 400,
        send: () => admin('POST', '/admin/oauth2/refreshtokens/delete', { token: 1 }),
      },
      {
        route: 'POST /admin/oauth2/refreshtokens/delete',
        status: 404,
        send: () => admin('POST', '/admin/oauth2/refreshtokens/delete', { token: unknown }),
      },
      {
        route: 'GET /.well-known/oauth-authorization-server',
        status: 200,
        send: () => call('GET', '/.well-known/oauth-authorization-server'),
        cacheable: true,
      },
      { route: 'GET /admin/clients', status: 200, send: () => admin('GET', '/admin/clients?limit=1') },
      { route: 'GET /admin/clients', status: 400, send: () => admin('GET', '/admin/clients?limit=0') },
      { route: 'GET /', status: 200, send: () => call('GET', '/') },
      // [v3] Trusted issuers' admin routes: an id no issuer has is a 404 on every route that names one.
      { route: 'GET /admin/issuers', status: 200, send: () => admin('GET', '/admin/issuers?limit=1') },
      { route: 'POST /admin/issuers', status: 400, send: () => admin('POST', '/admin/issuers', {}) },
      {
        route: 'GET /admin/issuers/{issuerId}',
        status: 404,
        send: () => admin('GET', '/admin/issuers/nope'),
      },
      {
        route: 'DELETE /admin/issuers/{issuerId}',
        status: 404,
        send: () => admin('DELETE', '/admin/issuers/nope'),
      },
      {
        route: 'POST /admin/issuers/{issuerId}/revocations',
        status: 404,
        send: () => admin('POST', '/admin/issuers/nope/revocations', { jti: 'x', expiresAt: 1 }),
      },
      {
        route: 'DELETE /admin/issuers/{issuerId}/tokens',
        status: 404,
        send: () => admin('DELETE', '/admin/issuers/nope/tokens'),
      },
      {
        route: 'DELETE /admin/issuers/{issuerId}/clients/{clientId}/tokens',
        status: 404,
        send: () => admin('DELETE', '/admin/issuers/nope/clients/c/tokens'),
      },
      {
        route: 'DELETE /admin/issuers/{issuerId}/subjects/{subject}/tokens',
        status: 404,
        send: () => admin('DELETE', '/admin/issuers/nope/subjects/s/tokens'),
      },
      // [v3] Shared Signals: the transmitter's documents may be cached like the RFC 8414 one.
      {
        route: 'GET /.well-known/ssf-configuration',
        status: 200,
        send: () => call('GET', '/.well-known/ssf-configuration'),
        cacheable: true,
      },
      { route: 'GET /ssf/jwks', status: 200, send: () => call('GET', '/ssf/jwks'), cacheable: true },
      { route: 'POST /ssf/streams', status: 401, send: () => call('POST', '/ssf/streams') },
      { route: 'GET /ssf/streams', status: 200, send: () => ssfCall(ssf.token, 'GET', '/ssf/streams') },
      {
        route: 'PATCH /ssf/streams',
        status: 404,
        send: () => ssfCall(ssf.token, 'PATCH', '/ssf/streams', { stream_id: 'nope' }),
      },
      {
        route: 'PUT /ssf/streams',
        status: 404,
        send: () =>
          ssfCall(ssf.token, 'PUT', '/ssf/streams', {
            stream_id: 'nope',
            delivery: { method: 'urn:ietf:rfc:8936' },
          }),
      },
      {
        route: 'DELETE /ssf/streams',
        status: 404,
        send: () => ssfCall(ssf.token, 'DELETE', '/ssf/streams?stream_id=nope'),
      },
      {
        route: 'GET /ssf/status',
        status: 404,
        send: () => ssfCall(ssf.token, 'GET', '/ssf/status?stream_id=nope'),
      },
      {
        route: 'POST /ssf/status',
        status: 404,
        send: () => ssfCall(ssf.token, 'POST', '/ssf/status', { stream_id: 'nope', status: 'enabled' }),
      },
      {
        route: 'POST /ssf/subjects/add',
        status: 404,
        send: () =>
          ssfCall(ssf.token, 'POST', '/ssf/subjects/add', {
            stream_id: 'nope',
            subject: { format: 'opaque', id: 'x' },
          }),
      },
      {
        route: 'POST /ssf/subjects/remove',
        status: 404,
        send: () =>
          ssfCall(ssf.token, 'POST', '/ssf/subjects/remove', {
            stream_id: 'nope',
            subject: { format: 'opaque', id: 'x' },
          }),
      },
      {
        route: 'POST /ssf/verify',
        status: 404,
        send: () => ssfCall(ssf.token, 'POST', '/ssf/verify', { stream_id: 'nope' }),
      },
      {
        route: 'POST /ssf/poll/{streamId}',
        status: 404,
        send: () => ssfCall(ssf.token, 'POST', '/ssf/poll/nope', {}),
      },
      {
        route: 'POST /ssf/receiver/{issuerId}',
        status: 400,
        send: () =>
          call('POST', '/ssf/receiver/nope', {
            headers: { 'content-type': 'application/secevent+jwt' },
            body: 'x.y.z',
          }),
      },
      {
        route: 'GET /admin/ssf/dead-letters',
        status: 200,
        send: () => admin('GET', '/admin/ssf/dead-letters?limit=1'),
      },
      {
        route: 'POST /admin/ssf/dead-letters/redeliver',
        status: 200,
        send: () => admin('POST', '/admin/ssf/dead-letters/redeliver', { jtis: ['nope'] }),
      },
    ];
  }

  it('sends Cache-Control: no-store and Pragma: no-cache on every response of every route but the metadata document', async () => {
    const list = await probes();
    expect(new Set(list.map((p) => p.route))).toEqual(new Set(HTTP_FUNCTIONS.map(routeKey)));
    for (const probe of list) {
      const response = await probe.send();
      expect({ route: probe.route, status: response.status }).toEqual({
        route: probe.route,
        status: probe.status,
      });
      if (probe.cacheable) expect(response.headers.get('cache-control')).toBe('public, max-age=3600');
      else expectNoStore(response.headers);
    }
  });
});
