import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Context } from 'aws-lambda';
import type { HttpApiEvent, HttpApiResult } from '#commons/http.ts';
import { ROUTES, type Route, routeKey } from '#commons/routes.ts';
import { type AdminCredentials, verifySigV4 } from './sigv4.ts';

type LambdaHandler = (event: HttpApiEvent, context: Context) => Promise<HttpApiResult>;

/** API Gateway HTTP API's own payload limit. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
const LOCAL_ACCOUNT = '000000000000';
export const SIGV4_SCOPE = { region: 'us-east-1', service: 'execute-api' } as const;

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  params: string[];
  handler: LambdaHandler;
}

function compile(route: Route, handler: LambdaHandler): CompiledRoute {
  const params: string[] = [];
  const source = route.path
    .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
    .replace(/\\?\{(\w+)\\?\}/g, (_m, name: string) => {
      params.push(name);
      return '([^/]+)';
    });
  return { route, pattern: new RegExp(`^${source}$`), params, handler };
}

/** Loads every handler of the route table (after the environment they read at load time is set). */
async function loadRoutes(): Promise<CompiledRoute[]> {
  return Promise.all(
    ROUTES.map(async (route) => {
      const module = (await import(`../../functions/${route.handler}/index.ts`)) as {
        handler: LambdaHandler;
      };
      return compile(route, module.handler);
    }),
  );
}

/**
 * A path parameter's value. Malformed percent-encoding is passed on as sent, so the signature check and
 * the handler's own validation judge it, instead of a URIError turning it into a 500.
 */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_PAYLOAD_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** API Gateway base64-encodes bodies unless they are text or JSON; form bodies arrive base64-encoded. */
function isTextual(contentType: string | undefined): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  return type.startsWith('text/') || type === 'application/json';
}

function lambdaContext(route: Route, requestId: string): Context {
  const deadline = Date.now() + 30_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `local-${route.handler}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT}:function:local-${route.handler}`,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/local-${route.handler}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function send(
  response: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: Buffer | string,
) {
  response.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}

const message = (response: ServerResponse, status: number, text: string) =>
  send(response, status, { 'Content-Type': 'application/json' }, JSON.stringify({ message: text }));

/**
 * An HTTP server that serves the route table the way API Gateway's HTTP API does: it turns each request
 * into a payload 2.0 event, checks SigV4 on `iam` routes (standing in for the IAM authorizer), invokes the
 * route's Lambda handler and writes its result back.
 */
export async function createLocalServer(admin: AdminCredentials): Promise<Server> {
  const routes = await loadRoutes();
  return createServer(async (request, response) => {
    try {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const rawPath = (request.url ?? '/').split('?')[0] ?? '/';
      const rawQuery = url.search.slice(1);
      let params: Record<string, string> = {};
      const match = routes.find((candidate) => {
        if (candidate.route.method !== request.method) return false;
        const found = candidate.pattern.exec(rawPath);
        if (!found) return false;
        params = Object.fromEntries(
          candidate.params.map((name, i) => [name, decodePathSegment(found[i + 1] ?? '')]),
        );
        return true;
      });
      const body = await readBody(request);
      if (!body) return message(response, 413, 'Request Entity Too Large');
      if (!match) return message(response, 404, 'Not Found');

      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
      }
      const key = routeKey(match.route);
      let authorizer: HttpApiEvent['requestContext']['authorizer'];
      if (match.route.auth === 'iam') {
        const method = request.method ?? 'GET';
        const keyId = verifySigV4({ method, rawPath, rawQuery, headers, body }, admin, SIGV4_SCOPE);
        if (!keyId) return message(response, 403, 'Forbidden');
        authorizer = { iam: { accessKey: keyId, userArn: `arn:aws:iam::${LOCAL_ACCOUNT}:user/local-admin` } };
      }
      const requestId = randomUUID();
      const base64 = body.length > 0 && !isTextual(headers['content-type']);
      const now = new Date();
      const event = {
        version: '2.0',
        routeKey: key,
        rawPath,
        rawQueryString: rawQuery,
        headers,
        queryStringParameters: rawQuery ? Object.fromEntries(url.searchParams) : undefined,
        pathParameters: match.params.length > 0 ? params : undefined,
        requestContext: {
          accountId: LOCAL_ACCOUNT,
          apiId: 'local',
          domainName: headers.host ?? 'localhost',
          domainPrefix: 'localhost',
          http: {
            method: request.method ?? 'GET',
            path: rawPath,
            protocol: `HTTP/${request.httpVersion}`,
            sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
            userAgent: headers['user-agent'] ?? '',
          },
          requestId,
          routeKey: key,
          stage: '$default',
          time: now.toISOString(),
          timeEpoch: now.getTime(),
          ...(authorizer && { authorizer }),
        },
        body: body.length === 0 ? undefined : body.toString(base64 ? 'base64' : 'utf8'),
        isBase64Encoded: base64,
      } as HttpApiEvent;
      const result = await match.handler(event, lambdaContext(match.route, requestId));
      const out = Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
      const outHeaders = Object.fromEntries(
        Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)]),
      );
      send(response, result.statusCode ?? 200, outHeaders, out);
    } catch {
      // Handlers map their own errors; reaching here is a bug in this adapter. Say nothing more than AWS would.
      if (!response.headersSent) message(response, 500, 'Internal Server Error');
    }
  });
}
