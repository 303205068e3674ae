import type { APIGatewayAuthorizerResult, Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizerEvent, HttpApiAuthorizerResult } from '#commons/authorizer/decision.ts';
import { ROUTE_SCOPES_ENV } from '#commons/authorizer/route-scopes.ts';
import {
  clientCredentials,
  dynamoEndpoint,
  grantTokens,
  postForm,
  type RegisteredClient,
  registerClient,
  tableName,
} from '#test/support/helpers.ts';

type Handler = (
  event: AuthorizerEvent,
  context: Context,
) => Promise<HttpApiAuthorizerResult | APIGatewayAuthorizerResult>;
let handler: Handler;

const BASE = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod';

beforeAll(async () => {
  // Read at load, as on Lambda: the construct's requiredScopes (`*`) and routeScopes become these rules.
  process.env.TABLE_NAME = tableName;
  process.env.DYNAMODB_ENDPOINT = dynamoEndpoint;
  process.env[ROUTE_SCOPES_ENV] = JSON.stringify([
    { route: 'POST /orders', scopes: ['write'] },
    { route: 'DELETE /orders/{id}', scopes: ['write', 'admin'] },
  ]);
  handler = ((await import('../../functions/authorizer/index.ts')) as { handler: Handler }).handler;
});

/** An HTTP API (payload 2.0) authorizer event for a route key. */
function httpApiEvent(routeKey: string, authorization?: string): AuthorizerEvent {
  const [method = 'GET', path = '/'] = routeKey.split(' ');
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `${BASE}/${method}${path}`,
    identitySource: authorization === undefined ? [] : [authorization],
    routeKey,
    rawPath: path.replace('{id}', '42'),
    rawQueryString: '',
    headers: authorization === undefined ? {} : { authorization },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'test' },
      requestId: 'req',
      routeKey,
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
  } as AuthorizerEvent;
}

const tokenEvent = (methodArn: string, authorizationToken: string): AuthorizerEvent => ({
  type: 'TOKEN',
  methodArn,
  authorizationToken,
});

function requestEvent(method: string, resource: string, path: string, headers: Record<string, string>) {
  return {
    type: 'REQUEST',
    methodArn: `${BASE}/${method}${path}`,
    resource,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: {},
    pathParameters: {},
    queryStringParameters: {},
    multiValueQueryStringParameters: {},
    stageVariables: {},
    requestContext: {},
  } as unknown as AuthorizerEvent;
}

const invoke = (event: AuthorizerEvent) => handler(event, {} as Context);
const simple = async (event: AuthorizerEvent) => (await invoke(event)) as HttpApiAuthorizerResult;
const policy = async (event: AuthorizerEvent) => (await invoke(event)) as APIGatewayAuthorizerResult;

const revoke = (client: RegisteredClient, token: string) =>
  postForm('/oauth2/revoke', { token }, { auth: [client.clientId, client.clientSecret] });

describe('authorizer: HTTP API, payload 2.0 simple responses', () => {
  it('authorizes an active access token with clientId, scope and sub, and refuses it once revoked', async () => {
    const client = await registerClient();
    const tokens = await grantTokens(client, { scope: 'read', subject: 'alice@example.com' });
    expect(await simple(httpApiEvent('GET /orders', `Bearer ${tokens.access_token}`))).toEqual({
      isAuthorized: true,
      context: { clientId: client.clientId, scope: 'read', sub: 'alice@example.com' },
    });
    expect((await revoke(client, tokens.access_token)).status).toBe(200);
    expect(await simple(httpApiEvent('GET /orders', `Bearer ${tokens.access_token}`))).toEqual({
      isAuthorized: false,
      context: {},
    });
  });

  it('requires each route’s scopes: the union of every rule the route key matches', async () => {
    const client = await registerClient({ scopes: ['read', 'write', 'admin'] });
    const reader = await clientCredentials(client, 'read');
    const writer = await clientCredentials(client, 'read write');
    const both = await clientCredentials(client, 'write admin');
    const decide = async (route: string, token: string) =>
      (await simple(httpApiEvent(route, `Bearer ${token}`))).isAuthorized;
    expect(await decide('GET /orders', reader.access_token)).toBe(true);
    expect(await decide('POST /orders', reader.access_token)).toBe(false);
    expect(await decide('POST /orders', writer.access_token)).toBe(true);
    expect(await decide('DELETE /orders/{id}', writer.access_token)).toBe(false);
    expect(await decide('DELETE /orders/{id}', both.access_token)).toBe(true);
  });

  it('refuses a refresh token, a token of a revoked grant, no token and a malformed credential', async () => {
    const client = await registerClient();
    const tokens = await grantTokens(client);
    expect((await simple(httpApiEvent('GET /orders', `Bearer ${tokens.refresh_token}`))).isAuthorized).toBe(
      false,
    );
    expect((await simple(httpApiEvent('GET /orders', `Bearer ${tokens.access_token}`))).isAuthorized).toBe(
      true,
    );
    expect((await revoke(client, tokens.refresh_token)).status).toBe(200);
    expect((await simple(httpApiEvent('GET /orders', `Bearer ${tokens.access_token}`))).isAuthorized).toBe(
      false,
    );
    expect((await simple(httpApiEvent('GET /orders'))).isAuthorized).toBe(false);
    expect((await simple(httpApiEvent('GET /orders', 'Bearer a b'))).isAuthorized).toBe(false);
  });
});

describe('authorizer: REST API TOKEN', () => {
  it('allows the stage with context for an active token, and denies it once revoked', async () => {
    const client = await registerClient();
    const tokens = await grantTokens(client, { scope: 'read', subject: 'bob@example.com' });
    const allowed = await policy(tokenEvent(`${BASE}/GET/orders`, `Bearer ${tokens.access_token}`));
    expect(allowed).toEqual({
      principalId: client.clientId,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [`${BASE}/*`] },
          // The routes whose scopes the token lacks stay denied, also for a cached answer.
          {
            Action: 'execute-api:Invoke',
            Effect: 'Deny',
            Resource: [`${BASE}/POST/orders`, `${BASE}/DELETE/orders/*`],
          },
        ],
      },
      context: { clientId: client.clientId, scope: 'read', sub: 'bob@example.com' },
    });
    expect((await revoke(client, tokens.access_token)).status).toBe(200);
    expect(await policy(tokenEvent(`${BASE}/GET/orders`, `Bearer ${tokens.access_token}`))).toEqual({
      principalId: 'anonymous',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${BASE}/*`] }],
      },
    });
  });

  it('a token holding every rule’s scopes gets an Allow and no Deny', async () => {
    const client = await registerClient({ scopes: ['read', 'write', 'admin'] });
    const tokens = await clientCredentials(client, 'write admin');
    const result = await policy(tokenEvent(`${BASE}/DELETE/orders/42`, `Bearer ${tokens.access_token}`));
    expect(result.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [`${BASE}/*`] },
    ]);
    expect(result.context).toEqual({ clientId: client.clientId, scope: 'write admin' });
  });
});

describe('authorizer: REST API REQUEST', () => {
  it('reads the Authorization header whatever its case, and denies an unknown token', async () => {
    const client = await registerClient();
    const tokens = await clientCredentials(client, 'read');
    const allowed = await policy(
      requestEvent('GET', '/orders/{id}', '/orders/42', { Authorization: `Bearer ${tokens.access_token}` }),
    );
    expect(allowed.principalId).toBe(client.clientId);
    expect(allowed.policyDocument.Statement[0]).toEqual({
      Action: 'execute-api:Invoke',
      Effect: 'Allow',
      Resource: [`${BASE}/*`],
    });
    expect(allowed.context).toEqual({ clientId: client.clientId, scope: 'read' });

    const unknown = `${tokens.access_token.slice(0, -8)}AAAAAAAA`;
    const denied = await policy(
      requestEvent('GET', '/orders/{id}', '/orders/42', { authorization: `Bearer ${unknown}` }),
    );
    expect(denied.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [`${BASE}/*`] },
    ]);
    expect(denied.context).toBeUndefined();
  });
});
