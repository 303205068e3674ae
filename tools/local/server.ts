import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Context } from 'aws-lambda';
import type { Dependencies } from '#commons/dependencies.ts';
import type { HttpApiEvent, HttpApiResult } from '#commons/http/handler.ts';
import { logger } from '#commons/log.ts';
import { HTTP_FUNCTIONS, type HttpFunction as Route, routeKey } from '#commons/manifest.ts';
import { createDemo, DEMO_METHOD, DEMO_PATH } from './demo-whoami.ts';
import { buildHandler } from './factories.ts';
import { type Invocation, invocations } from './invocations.ts';
import { type AdminCredentials, checkSigV4 } from './sigv4.ts';

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
  const source = route.trigger.path
    .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
    .replace(/\\?\{(\w+)\\?\}/g, (_m, name: string) => {
      params.push(name);
      return '([^/]+)';
    });
  return { route, pattern: new RegExp(`^${source}$`), params, handler };
}

/** Every handler of the route table, each built by its function's factory from the one set of dependencies. */
function buildRoutes(deps: Dependencies): CompiledRoute[] {
  return HTTP_FUNCTIONS.map((route) => compile(route, buildHandler<LambdaHandler>(route.name, deps)));
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

/** The Lambda context of one local invocation of a manifest function (HTTP routes and stream readers). */
export function lambdaContext(route: { readonly name: string }, requestId: string): Context {
  const deadline = Date.now() + 30_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `local-${route.name}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT}:function:local-${route.name}`,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/local-${route.name}`,
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

/** API Gateway's route key for a request that matches no route. */
const NO_ROUTE = '$default';

/**
 * The log line of a request the server answers itself, in the shape of the handlers' request lines.
 * `reason` names the check that failed; nothing of the request (path, headers, body) goes in.
 */
function logAnswer(route: string, status: number, reason: string): void {
  logger.info('request', { route, status, reason });
}

/** Answers (and logs) a request the server refuses itself, with API Gateway's `{"message"}` body. */
function refuse(response: ServerResponse, route: string, status: number, text: string, reason: string): void {
  logAnswer(route, status, reason);
  message(response, status, text);
}

/** Node's own answer to each parser failure (see node:_http_server), kept but with a JSON body. */
const PARSER_STATUS: Record<string, readonly [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'Payload Too Large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
};

/**
 * A request Node's HTTP parser refused (bad method, bad header, ...): answered like any refused request,
 * with a JSON message and a log line naming the parser's error code.
 */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, text] = PARSER_STATUS[error.code ?? ''] ?? [400, 'Bad Request'];
  const body = JSON.stringify({ message: text });
  logAnswer(NO_ROUTE, status, `unparseable request (${error.code ?? 'unknown parser error'})`);
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** The request target as a URL, or undefined when it is not one (e.g. `//[`), which is the client's fault. */
function parseTarget(target: string): URL | undefined {
  try {
    return new URL(target, 'http://localhost');
  } catch {
    return undefined;
  }
}

/** Request headers as API Gateway passes them in a payload 2.0 event: lower-case names, one string each. */
function lowerCaseHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return headers;
}

/**
 * An HTTP server that serves the route table the way API Gateway's HTTP API does: it turns each request
 * into a payload 2.0 event, checks SigV4 on `iam` routes (standing in for the IAM authorizer), invokes the
 * route's Lambda handler (built from `deps`) and writes its result back. Every request it answers itself (refused signature,
 * unknown route, too large, unparseable) gets one log line of its own.
 */
export async function createLocalServer(admin: AdminCredentials, deps: Dependencies): Promise<Server> {
  const routes = buildRoutes(deps);
  const demo = await createDemo(deps);
  const server = createServer((request, response) => {
    // Every line logged while answering names this request (the human output's method, path and time).
    const invocation: Invocation = {
      functionName: '',
      method: request.method ?? 'GET',
      path: request.url ?? '/',
      startedAt: performance.now(),
    };
    return invocations.run(invocation, () => answerRequest(request, response, invocation));
  });
  const answerRequest = async (
    request: IncomingMessage,
    response: ServerResponse,
    invocation: Invocation,
  ) => {
    let route = NO_ROUTE;
    try {
      const target = request.url ?? '/';
      const url = parseTarget(target);
      if (!url) {
        // Drain the body so the connection stays usable for the next request.
        request.resume();
        return refuse(response, route, 400, 'Bad Request', 'unparseable request target');
      }
      const rawPath = target.split('?')[0] ?? '/';
      const rawQuery = url.search.slice(1);
      let params: Record<string, string> = {};
      const match = routes.find((candidate) => {
        if (candidate.route.trigger.method !== request.method) return false;
        const found = candidate.pattern.exec(rawPath);
        if (!found) return false;
        params = Object.fromEntries(
          candidate.params.map((name, i) => [name, decodePathSegment(found[i + 1] ?? '')]),
        );
        return true;
      });
      if (match) route = routeKey(match.route);
      const body = await readBody(request);
      if (!body)
        return refuse(response, route, 413, 'Request Entity Too Large', 'body over the 10 MiB payload limit');
      if (!match && request.method === DEMO_METHOD && rawPath === DEMO_PATH) {
        const answer = await demo(lowerCaseHeaders(request), request.socket.remoteAddress ?? '127.0.0.1');
        return send(response, answer.status, answer.headers, answer.body);
      }
      if (!match) return refuse(response, route, 404, 'Not Found', 'no route for this method and path');

      const headers = lowerCaseHeaders(request);
      let authorizer: HttpApiEvent['requestContext']['authorizer'];
      if (match.route.trigger.auth === 'iam') {
        const method = request.method ?? 'GET';
        const signature = checkSigV4({ method, rawPath, rawQuery, headers, body }, admin, SIGV4_SCOPE);
        if ('refused' in signature)
          return refuse(response, route, 403, 'Forbidden', `signature refused: ${signature.refused}`);
        authorizer = {
          iam: { accessKey: signature.keyId, userArn: `arn:aws:iam::${LOCAL_ACCOUNT}:user/local-admin` },
        };
      }
      const requestId = randomUUID();
      const base64 = body.length > 0 && !isTextual(headers['content-type']);
      const now = new Date();
      const event = {
        version: '2.0',
        routeKey: route,
        rawPath,
        rawQueryString: rawQuery,
        // API Gateway adds X-Forwarded-Proto; this server speaks plain http, whatever the caller claims.
        headers: { ...headers, 'x-forwarded-proto': 'http' },
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
          routeKey: route,
          stage: '$default',
          time: now.toISOString(),
          timeEpoch: now.getTime(),
          ...(authorizer && { authorizer }),
        },
        body: body.length === 0 ? undefined : body.toString(base64 ? 'base64' : 'utf8'),
        isBase64Encoded: base64,
      } as HttpApiEvent;
      invocation.functionName = match.route.name;
      invocation.requestId = requestId;
      invocation.correlationId = requestId;
      const result = await match.handler(event, lambdaContext(match.route, requestId));
      const out = Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
      const outHeaders = Object.fromEntries(
        Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)]),
      );
      send(response, result.statusCode ?? 200, outHeaders, out);
    } catch (error) {
      // Handlers map their own errors; reaching here is a bug in this adapter. Say nothing more than AWS
      // would, and log the error's class only: its message may quote the request.
      if (!response.headersSent) {
        const name = error instanceof Error ? error.name : typeof error;
        refuse(response, route, 500, 'Internal Server Error', `local server fault (${name})`);
      }
    }
  };
  server.on('clientError', answerClientError);
  return server;
}
