import type { ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '#test/support/global-setup.ts';
import {
  baseUrl,
  call,
  dynamoEndpoint,
  type RegisteredClient,
  recordSecrets,
  registerClient,
  runDir,
  tableName,
} from '#test/support/helpers.ts';

const WELL_KNOWN = '/.well-known/oauth-authorization-server';

/** The document for an issuer, written out here rather than taken from functions/commons/metadata.ts. */
const documentFor = (issuer: string) => ({
  issuer,
  token_endpoint: `${issuer}/oauth2/token`,
  revocation_endpoint: `${issuer}/oauth2/revoke`,
  introspection_endpoint: `${issuer}/oauth2/introspect`,
  grant_types_supported: ['client_credentials', 'refresh_token'],
  token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
  revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
  introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
  response_types_supported: [],
});

/** Every response openid-client receives passes through recordSecrets, as the secret audit requires. */
const recordingFetch: client.CustomFetch = async (url, options) => {
  const response = await fetch(url, options as RequestInit);
  const text = await response.clone().text();
  try {
    recordSecrets(JSON.parse(text));
  } catch {
    // Empty (revocation) or non-JSON bodies hand out no secret.
  }
  return response;
};

/** RFC 8414 discovery as openid-client does it, over plain http (the local server's scheme). */
function discover(issuer: string, registered: RegisteredClient, auth: client.ClientAuth) {
  return client.discovery(new URL(issuer), registered.clientId, undefined, auth, {
    algorithm: 'oauth2',
    execute: [client.allowInsecureRequests],
    [client.customFetch]: recordingFetch,
  });
}

const origin = new URL(baseUrl).origin;

describe('GET /.well-known/oauth-authorization-server (RFC 8414)', () => {
  it('publishes exactly the endpoints and methods of the contract, with the request origin as issuer', async () => {
    const response = await call('GET', WELL_KNOWN);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.json).toEqual(documentFor(origin));
    // toEqual ignores keys whose value is undefined; the key list must match as well.
    expect(Object.keys(response.json as object).sort()).toEqual(Object.keys(documentFor(origin)).sort());
    expect(response.json).not.toHaveProperty('scopes_supported');
    expect(origin).not.toMatch(/\/$/);
  });

  it('may be cached for an hour, unlike every other response, and carries no Pragma', async () => {
    const response = await call('GET', WELL_KNOWN);
    expect(response.headers.get('cache-control')).toBe('public, max-age=3600');
    expect(response.headers.get('pragma')).toBeNull();
    const other = await call('POST', '/oauth2/revoke');
    expect(other.headers.get('cache-control')).toBe('no-store');
    expect(other.headers.get('pragma')).toBe('no-cache');
  });

  it('names the origin the caller reached: another host name of the same server gives another issuer', async () => {
    const viaIp = new URL(baseUrl);
    viaIp.hostname = '127.0.0.1';
    const response = await fetch(new URL(WELL_KNOWN, viaIp));
    expect(((await response.json()) as { issuer: string }).issuer).toBe(viaIp.origin);
  });

  it('keeps the scheme the caller used, whatever X-Forwarded-Proto the caller sends', async () => {
    const response = await call('GET', WELL_KNOWN, { headers: { 'x-forwarded-proto': 'https' } });
    expect((response.json as { issuer: string }).issuer).toBe(origin);
  });

  it('refuses a Host that is not a bare host[:port] with 400 invalid_request, not cacheable', async () => {
    // fetch() sets Host itself; a raw request can send any value, as a hostile client of a local server can.
    const { status, headers, body } = await new Promise<{
      status?: number;
      headers: Record<string, unknown>;
      body: string;
    }>((resolve, reject) => {
      const sent = request(
        new URL(WELL_KNOWN, baseUrl),
        { headers: { host: 'evil.example/path' } },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => {
            text += chunk.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
        },
      );
      sent.on('error', reject);
      sent.end();
    });
    expect(status).toBe(400);
    expect(JSON.parse(body)).toEqual({
      error: 'invalid_request',
      error_description: 'the Host header is not a host name',
    });
    expect(headers['cache-control']).toBe('no-store');
    expect(headers.pragma).toBe('no-cache');
  });

  it('is not an OpenID Provider: no /.well-known/openid-configuration', async () => {
    const response = await call('GET', '/.well-known/openid-configuration');
    expect(response.status).toBe(404);
    expect(response.json).toEqual({ message: 'Not Found' });
  });

  it('answers GET only', async () => {
    expect((await call('POST', WELL_KNOWN)).status).toBe(404);
  });
});

describe('openid-client discovery (algorithm oauth2) against the local server', () => {
  it('discovers the service and gets, introspects and revokes a token with the discovered endpoints', async () => {
    const registered = await registerClient({ scopes: ['read', 'write'] });
    const config = await discover(baseUrl, registered, client.ClientSecretBasic(registered.clientSecret));
    expect(config.serverMetadata()).toMatchObject(documentFor(origin));

    const tokens = await client.clientCredentialsGrant(config, { scope: 'read' });
    expect(tokens).toMatchObject({ token_type: 'bearer', scope: 'read' });
    expect(tokens.expires_in).toBeGreaterThan(0);

    const active = await client.tokenIntrospection(config, tokens.access_token);
    expect(active).toMatchObject({ active: true, client_id: registered.clientId, scope: 'read' });

    await client.tokenRevocation(config, tokens.access_token, { token_type_hint: 'access_token' });
    expect(await client.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false });
  });

  it('works with client_secret_post as well', async () => {
    const registered = await registerClient();
    const config = await discover(baseUrl, registered, client.ClientSecretPost(registered.clientSecret));
    const tokens = await client.clientCredentialsGrant(config);
    expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(true);
  });
});

describe('ISSUER', () => {
  const issuer = 'https://auth.example.com';
  let server: ChildProcess | undefined;
  let url = '';

  beforeAll(async () => {
    const started = await startServer(
      { DYNAMODB_ENDPOINT: dynamoEndpoint, TABLE_NAME: tableName, ISSUER: issuer },
      join(runDir, 'server-issuer.log'),
    );
    server = started.child;
    url = started.url;
  });

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server?.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
  });

  it('replaces the request origin in the document when set', async () => {
    const response = await fetch(new URL(WELL_KNOWN, url));
    expect(await response.json()).toEqual(documentFor(issuer));
  });

  it('is what openid-client holds the document to: discovered from another URL, the issuer check fails', async () => {
    const registered = await registerClient();
    await expect(
      discover(url, registered, client.ClientSecretBasic(registered.clientSecret)),
    ).rejects.toThrow(/issuer does not match the expected issuer/);
  });

  it('stops the server at start when it is not an https URL', async () => {
    await expect(
      startServer(
        { DYNAMODB_ENDPOINT: dynamoEndpoint, TABLE_NAME: tableName, ISSUER: 'http://auth.example.com' },
        join(runDir, 'server-bad-issuer.log'),
      ),
    ).rejects.toThrow(/ISSUER must be an RFC 8414 issuer URL: https is required/);
  });
});
