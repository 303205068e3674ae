import type { Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HttpApiEvent, HttpApiResult } from '#commons/http/handler.ts';
import { HTTP_FUNCTIONS, routeKey } from '#commons/manifest.ts';
import { dynamoEndpoint, tableName } from '#test/support/helpers.ts';

type Handler = (event: HttpApiEvent, context: Context) => Promise<HttpApiResult>;
const handlers = new Map<string, Handler>();

beforeAll(async () => {
  // The handlers read their configuration at load, as on Lambda.
  process.env.TABLE_NAME = tableName;
  process.env.DYNAMODB_ENDPOINT = dynamoEndpoint;
  for (const route of HTTP_FUNCTIONS) {
    const module = (await import(`../../functions/${route.name}/index.ts`)) as { handler: Handler };
    handlers.set(route.name, module.handler);
  }
});

/** A payload 2.0 event as API Gateway would send it, with no IAM identity. */
function event(route: (typeof HTTP_FUNCTIONS)[number]): HttpApiEvent {
  return {
    version: '2.0',
    routeKey: routeKey(route),
    rawPath: route.trigger.path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    pathParameters: { clientId: 'x', access_token: 'x', refresh_token: 'x' },
    body: '{"name":"x","clientId":"x"}',
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'test',
      domainName: 'test',
      domainPrefix: 'test',
      http: {
        method: route.trigger.method,
        path: route.trigger.path,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'test',
      },
      requestId: 'test',
      routeKey: routeKey(route),
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
  };
}

describe('Lambda handlers invoked directly', () => {
  it.each(
    HTTP_FUNCTIONS.filter((route) => route.trigger.auth === 'iam').map(
      (route) => [routeKey(route), route] as const,
    ),
  )('%s refuses an event that carries no IAM identity', async (_key, route) => {
    const result = await handlers.get(route.name)?.(event(route), {} as Context);
    expect(result?.statusCode).toBe(403);
    expect(JSON.parse(result?.body ?? '')).toEqual({ message: 'Forbidden' });
  });

  it('GET /.well-known/oauth-authorization-server names the API domain over https, as API Gateway delivers it', async () => {
    const route = HTTP_FUNCTIONS.find((r) => r.name === 'metadata');
    if (!route) throw new Error('no metadata route');
    const domainName = 'a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com';
    const base = event(route);
    for (const headers of [{ 'x-forwarded-proto': 'https' }, {}, { 'x-forwarded-proto': 'http' }]) {
      const result = await handlers.get('metadata')?.(
        { ...base, headers, requestContext: { ...base.requestContext, domainName } },
        {} as Context,
      );
      expect(result?.statusCode).toBe(200);
      const body = JSON.parse(result?.body ?? '') as Record<string, unknown>;
      // Plain http is believed for loopback hosts only, so a forged header cannot downgrade the document.
      expect(body.issuer).toBe(`https://${domainName}`);
      expect(body.token_endpoint).toBe(`https://${domainName}/oauth2/token`);
      expect(result?.headers).toEqual({
        'Cache-Control': 'public, max-age=3600',
        'Content-Type': 'application/json',
      });
    }
  });

  it('every route of the route table has a handler', () => {
    expect([...handlers.keys()].sort()).toEqual(HTTP_FUNCTIONS.map((route) => route.name).sort());
    for (const handler of handlers.values()) expect(typeof handler).toBe('function');
  });
});
