/**
 * A real issuer of JWT access tokens for the tests: panva's node-oidc-provider (v9), on a loopback port,
 * its `client_credentials` grant issuing RFC 9068 JWT access tokens (resource indicators with the `jwt`
 * access token format). The service verifies them against its `jwks_uri` over plain http, which the
 * contract allows to loopback hosts when the service runs locally.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import type { Adapter, AdapterPayload } from 'oidc-provider';

/** node-oidc-provider's `Provider`, loaded once (it warns about Node 20 on import; see below). */
let providerClass: Promise<typeof import('oidc-provider').default> | undefined;

/**
 * Loads oidc-provider. On Node 20 it prints one "unsupported runtime" warning as it is imported (it asks
 * for Node 22, which the deployed functions run); a green test run prints nothing, so that one line is
 * held back while the module loads. It runs fine on 20: it is only the issuer under test here.
 */
function loadProvider() {
  providerClass ??= (async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (!String(args[0]).startsWith('oidc-provider WARNING: Unsupported runtime')) warn(...args);
    };
    try {
      return (await import('oidc-provider')).default;
    } finally {
      console.warn = warn;
    }
  })();
  return providerClass;
}

/**
 * The provider's storage (its own in-memory default warns on every start that it is for quick starts):
 * JWT access tokens are never stored, so a map per model is all the tests need.
 */
class MemoryAdapter implements Adapter {
  private static readonly models = new Map<string, Map<string, AdapterPayload>>();
  private readonly items: Map<string, AdapterPayload>;
  constructor(name: string) {
    this.items = MemoryAdapter.models.get(name) ?? new Map();
    MemoryAdapter.models.set(name, this.items);
  }
  async upsert(id: string, payload: AdapterPayload) {
    this.items.set(id, payload);
  }
  async find(id: string) {
    return this.items.get(id);
  }
  async findByUserCode() {
    return undefined;
  }
  async findByUid() {
    return undefined;
  }
  async consume() {}
  async destroy(id: string) {
    this.items.delete(id);
  }
  async revokeByGrantId() {}
}

export interface RunningIssuer {
  /** The `iss` of its tokens (and its URL). */
  readonly issuer: string;
  readonly jwksUri: string;
  readonly tokenEndpoint: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The audience (resource) its access tokens are for. */
  readonly audience: string;
  /** A `client_credentials` access token (a JWT), with `scope` if given. */
  accessToken(scope?: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts node-oidc-provider on a free loopback port with one confidential client. */
export async function startOidcProvider(): Promise<RunningIssuer> {
  const Provider = await loadProvider();
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const audience = 'https://api.example.test';
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signing = { ...(await exportJWK(privateKey)), kid: 'oidc-provider-test', alg: 'RS256', use: 'sig' };
  const clientId = 'resource-client';
  const clientSecret = 'a-client-secret-of-the-test-issuer-0123456789';
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        scope: 'read write',
      },
    ],
    adapter: MemoryAdapter,
    jwks: { keys: [signing] },
    ttl: { ClientCredentials: 600 },
    cookies: { keys: ['test-cookie-key-not-used'] },
    scopes: ['read', 'write'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'read write',
          audience,
          accessTokenTTL: 600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
  });
  server.on('request', provider.callback());
  const tokenEndpoint = `${issuer}/token`;
  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    tokenEndpoint,
    clientId,
    clientSecret,
    audience,
    async accessToken(scope) {
      const body = new URLSearchParams({ grant_type: 'client_credentials', ...(scope && { scope }) });
      const response = await fetch(tokenEndpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        },
        body,
      });
      const json = (await response.json()) as { access_token?: string };
      if (response.status !== 200 || !json.access_token) {
        throw new Error(`oidc-provider token request failed: ${response.status} ${JSON.stringify(json)}`);
      }
      return json.access_token;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
