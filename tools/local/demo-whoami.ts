import { randomUUID } from 'node:crypto';
import type { APIGatewayRequestAuthorizerEventV2, Context } from 'aws-lambda';
import type { AuthorizerEvent, HttpApiAuthorizerResult } from '#commons/authorizer/decision.ts';
import type { Dependencies } from '#commons/dependencies.ts';
import { logger } from '#commons/log.ts';
import { functionEntry } from '#commons/manifest.ts';
import { buildHandler } from './factories.ts';
import { invocations } from './invocations.ts';

/** The demo route: an API of "your own" behind the service's authorizer, as `examples/protected-api`. */
export const DEMO_METHOD = 'GET';
export const DEMO_PATH = '/demo/whoami';
const ROUTE_KEY = `${DEMO_METHOD} ${DEMO_PATH}`;

/** RFC 6750 3.1: the bare challenge without a credential, `invalid_token` for one that is not active. */
const CHALLENGE = 'Bearer realm="oauth"';
const INVALID_TOKEN = 'Bearer realm="oauth", error="invalid_token"';

export interface DemoResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

type Authorizer = (event: AuthorizerEvent, context: Context) => Promise<HttpApiAuthorizerResult>;
type Integration = (event: unknown) => Promise<{ statusCode?: number; headers?: unknown; body?: string }>;

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

function unauthorized(challenge: string): DemoResponse {
  return {
    status: 401,
    headers: { ...NO_STORE, 'Content-Type': 'application/json', 'WWW-Authenticate': challenge },
    body: JSON.stringify({ message: 'Unauthorized' }),
  };
}

/**
 * Serves `GET /demo/whoami` the way an HTTP API with the TokenAuthorizer does: no Authorization header
 * is refused before the authorizer runs (API Gateway's identity source check); otherwise the authorizer
 * function (the manifest's `authorizer` entry, the code the construct deploys) decides, and the example's
 * integration answers with the context it passed on. Where API Gateway would answer a refused token 403
 * without a challenge, the demo answers RFC 6750's 401 `invalid_token`, so a newcomer sees why.
 */
export async function createDemo(
  deps: Dependencies,
): Promise<(headers: Record<string, string>, sourceIp: string) => Promise<DemoResponse>> {
  const entry = functionEntry('authorizer');
  const authorizer = buildHandler<Authorizer>(entry.name, deps);
  const integration = (
    (await import('../../examples/protected-api/whoami/index.ts')) as { handler: Integration }
  ).handler;

  return async (headers, sourceIp) => {
    const authorization = headers.authorization;
    if (authorization === undefined || authorization === '') {
      logger.info('request', { route: ROUTE_KEY, status: 401, reason: 'no Authorization header' });
      return unauthorized(CHALLENGE);
    }
    const requestId = randomUUID();
    const now = new Date();
    const requestContext = {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: { method: DEMO_METHOD, path: DEMO_PATH, protocol: 'HTTP/1.1', sourceIp, userAgent: '' },
      requestId,
      routeKey: ROUTE_KEY,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    };
    const event: APIGatewayRequestAuthorizerEventV2 = {
      version: '2.0',
      type: 'REQUEST',
      routeArn: `arn:aws:execute-api:us-east-1:000000000000:local/$default/${DEMO_METHOD}${DEMO_PATH}`,
      identitySource: [authorization],
      routeKey: ROUTE_KEY,
      rawPath: DEMO_PATH,
      rawQueryString: '',
      cookies: [],
      headers,
      queryStringParameters: {},
      requestContext,
      pathParameters: {},
      stageVariables: {},
    };
    const decision = await invocations.run({ functionName: entry.name, requestId }, () =>
      authorizer(event, { awsRequestId: requestId } as Context),
    );
    if (!decision.isAuthorized) {
      logger.info('request', { route: ROUTE_KEY, status: 401, reason: 'authorizer refused the token' });
      return unauthorized(INVALID_TOKEN);
    }
    const result = await integration({
      version: '2.0',
      routeKey: ROUTE_KEY,
      rawPath: DEMO_PATH,
      rawQueryString: '',
      headers,
      isBase64Encoded: false,
      requestContext: { ...requestContext, authorizer: { lambda: decision.context } },
    });
    const status = result.statusCode ?? 200;
    logger.info('request', { route: ROUTE_KEY, status, clientId: decision.context.clientId });
    return {
      status,
      headers: Object.fromEntries(
        Object.entries((result.headers ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
      ),
      body: result.body ?? '',
    };
  };
}
