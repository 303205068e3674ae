/**
 * The peer of the peer benchmark, run as its own process (`node --import tsx bench/peer/server.ts`) so
 * that its CPU time is its own: node-oidc-provider on DynamoDB Local through bench/peer/adapter.ts,
 * configured like the service: opaque access tokens, one confidential client_secret_basic client,
 * client_credentials, introspection and revocation on, refresh tokens without rotation.
 *
 * Environment: DYNAMODB_ENDPOINT, PEER_TABLE. Prints one JSON line on stdout once it listens:
 * `{"url","clientId","clientSecret","refreshToken"}`, the refresh token being of a grant with a subject.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration } from 'oidc-provider';
import { localDynamoClient } from '#tools/local/dynamodb-local.ts';
import { dynamoDbAdapter, ensurePeerTable } from './adapter.ts';

const endpoint = process.env.DYNAMODB_ENDPOINT;
const tableName = process.env.PEER_TABLE ?? 'oidc-peer';
if (!endpoint) throw new Error('DYNAMODB_ENDPOINT must name DynamoDB Local');

const dynamo = localDynamoClient(endpoint);
await ensurePeerTable(dynamo, tableName);

const clientId = 'bench-client';
const clientSecret = randomBytes(32).toString('base64url');
// Only ID tokens and JWT responses would be signed, and the benchmark asks for neither; a key of its
// own keeps the provider from falling back to its development keys.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const configuration: Configuration = {
  adapter: dynamoDbAdapter(dynamo, tableName),
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials', 'refresh_token', 'authorization_code'],
      response_types: ['code'],
      redirect_uris: ['https://client.example/cb'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'read write',
    },
  ],
  scopes: ['read', 'write'],
  jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), alg: 'RS256', use: 'sig', kid: 'bench' }] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
  },
  // The service issues a refresh token whenever the client may refresh, and never rotates it for a
  // confidential client unless asked: the same here.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: false,
  // Every subject exists, with no claims to look up: the service keeps no accounts either.
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  // The service's lifetimes: access tokens one hour.
  ttl: { AccessToken: 3600, ClientCredentials: 3600, RefreshToken: 30 * 24 * 3600, Grant: 30 * 24 * 3600 },
};

const provider = new Provider('http://127.0.0.1', configuration);
// Setup only, outside any measurement: a grant with a subject and its refresh token, made through the
// provider's own model classes, as an authorization code flow would have left them.
const client = await provider.Client.find(clientId);
if (!client) throw new Error('the static client is missing');
const grant = new provider.Grant({ accountId: 'user-42', clientId });
grant.addOIDCScope('read write');
const grantId = await grant.save();
const refreshToken = await new provider.RefreshToken({
  accountId: 'user-42',
  client,
  grantId,
  gty: 'authorization_code',
  scope: 'read write',
}).save();

const server = createServer(provider.callback());
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(JSON.stringify({ url: `http://127.0.0.1:${port}`, clientId, clientSecret, refreshToken }));
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
