import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { idPrefix } from './domain/secrets.ts';
import { forbidden, HttpError, serverError } from './errors.ts';
import { logger } from './log.ts';
import { observe } from './observability.ts';
import { ROUTES, type Route, routeKey } from './routes.ts';

/** API Gateway HTTP API (payload 2.0) event, with the IAM authorizer's identity when there is one. */
export type HttpApiEvent = APIGatewayProxyEventV2 & {
  requestContext: { authorizer?: { iam?: { userArn?: string; accessKey?: string } } };
};
export type HttpApiResult = APIGatewayProxyStructuredResultV2;

/** Per-request fields of the request log line. Never raw tokens: token ids (hashes) are cut to a prefix. */
export interface LogFields {
  clientId?: string;
  tokenId?: string;
  principal?: string;
}

export interface HttpRequest {
  readonly route: Route;
  /** `METHOD /path/{param}`, as API Gateway's routeKey. */
  readonly routeKey: string;
  /** Lower-case header names, as API Gateway delivers them. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
  readonly pathParameters: Readonly<Record<string, string | undefined>>;
  /** The verified IAM principal ARN, on `iam` routes. */
  readonly principal: string | undefined;
  readonly log: LogFields;
}

export interface HttpResult {
  readonly statusCode: number;
  /** Serialized as JSON; absent means an empty body. */
  readonly json?: unknown;
  readonly headers?: Record<string, string>;
}

/** RFC 6749 5.1 / RFC 6750: no response of this service may be cached. */
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

function toLambdaResult(result: HttpResult): HttpApiResult {
  const headers: Record<string, string> = { ...NO_STORE, ...result.headers };
  if (result.json === undefined) return { statusCode: result.statusCode, headers, body: '' };
  headers['Content-Type'] = 'application/json';
  return { statusCode: result.statusCode, headers, body: JSON.stringify(result.json) };
}

function errorResult(error: unknown): HttpResult {
  const known = error instanceof HttpError ? error : serverError();
  return { statusCode: known.statusCode, json: known.body(), headers: known.headers };
}

function findRoute(handler: string): Route {
  const route = ROUTES.find((r) => r.handler === handler);
  if (!route) throw new Error(`no route in the route table has handler "${handler}"`);
  return route;
}

type RequestContext = Context & { log?: LogFields };

/**
 * Wraps a route's logic into a middy Lambda handler: builds the request from the payload 2.0 event,
 * refuses `iam` routes without an IAM identity, maps every error through the one error model (unexpected
 * ones become a bare 500), adds the no-store headers, and writes one log line per request.
 */
export function httpHandler(handlerName: string, fn: (request: HttpRequest) => Promise<HttpResult>) {
  const route = findRoute(handlerName);
  const key = routeKey(route);
  const responses: middy.MiddlewareObj<HttpApiEvent, HttpApiResult, Error, RequestContext> = {
    before: (request) => {
      request.context.log = {};
    },
    after: (request) => {
      logRequest(key, request.response?.statusCode ?? 200, request.context.log);
    },
    onError: (request) => {
      const { error } = request;
      const status = error instanceof HttpError ? error.statusCode : 500;
      if (status >= 500) {
        // The cause's name and message only: SDK errors carry no token, and request data is never attached.
        const cause = error instanceof HttpError ? error.cause : error;
        logger.error('request failed', {
          route: key,
          status,
          cause: cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause),
        });
      }
      request.response = toLambdaResult(errorResult(error));
      logRequest(key, request.response.statusCode ?? status, request.context.log);
    },
  };
  return middy<HttpApiEvent, HttpApiResult, Error, RequestContext>()
    .use(observe(handlerName))
    .use(responses)
    .handler(async (event, context) => {
      const principal = event.requestContext.authorizer?.iam?.userArn;
      const log = context.log ?? {};
      if (route.auth === 'iam') {
        if (!principal) throw forbidden();
        log.principal = principal;
      }
      const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
      const request: HttpRequest = {
        route,
        routeKey: key,
        headers: event.headers ?? {},
        body,
        pathParameters: event.pathParameters ?? {},
        principal,
        log,
      };
      return toLambdaResult(await fn(request));
    });
}

function logRequest(route: string, status: number, fields: LogFields = {}) {
  logger.info('request', {
    route,
    status,
    ...(fields.clientId !== undefined && { clientId: fields.clientId }),
    ...(fields.principal !== undefined && { principal: fields.principal }),
    ...(fields.tokenId !== undefined && { tokenIdPrefix: idPrefix(fields.tokenId) }),
  });
}

/** A JSON response. */
export const jsonResult = (statusCode: number, json: unknown): HttpResult => ({ statusCode, json });
/** An empty 200 response. */
export const emptyResult = (): HttpResult => ({ statusCode: 200 });
