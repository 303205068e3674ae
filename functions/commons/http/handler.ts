import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { HttpSettings } from '../config.ts';
import { Forbidden } from '../domain/errors.ts';
import type { Revoker } from '../domain/events.ts';
import { idPrefix } from '../domain/secrets.ts';
import { logger } from '../log.ts';
import { expectRequestLine, observe, takeAudits } from '../observability.ts';
import { principalAllowed } from '../principals.ts';
import { loggableClientId } from '../redact.ts';
import { type HttpTrigger, httpTrigger, routeKeyOf } from '../routes.ts';
import { type ErrorProfile, errorResponse } from './errors.ts';

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
  /** The function's route (routes.ts). */
  readonly route: HttpTrigger;
  /** `METHOD /path/{param}`, as API Gateway's routeKey. */
  readonly routeKey: string;
  /** Lower-case header names, as API Gateway delivers them. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
  readonly pathParameters: Readonly<Record<string, string | undefined>>;
  /** The query string's parameters (API Gateway joins a repeated one with commas). */
  readonly query: Readonly<Record<string, string | undefined>>;
  /** The query string as sent, undecoded (`rawQueryString`: repeated parameters stay apart). */
  readonly rawQueryString: string;
  /** The verified IAM principal ARN, on `iam` routes. */
  readonly principal: string | undefined;
  /** `requestContext.domainName`: the host the caller reached (the API's domain on AWS). */
  readonly domainName: string;
  /** `requestContext.http.sourceIp`: the caller's address as API Gateway saw it. */
  readonly sourceIp: string;
  readonly log: LogFields;
}

/** An admin route's revocations are made by its verified IAM principal. */
export function iamRevoker(request: HttpRequest): Revoker {
  return { actor: { type: 'iam', id: request.principal ?? '' }, route: request.routeKey };
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
  // A result that sets its own Cache-Control (RFC 8414 metadata, which may be cached) drops the pair.
  const cacheable = result.headers?.['Cache-Control'] !== undefined;
  const headers: Record<string, string> = { ...(cacheable ? {} : NO_STORE), ...result.headers };
  if (result.json === undefined) return { statusCode: result.statusCode, headers, body: '' };
  headers['Content-Type'] = 'application/json';
  return { statusCode: result.statusCode, headers, body: JSON.stringify(result.json) };
}

// The route table, not the manifest: a bundle carries the one, never the other (routes.ts).
function findRoute(name: string): HttpTrigger {
  const trigger = httpTrigger(name);
  if (!trigger) throw new Error(`function "${name}" has no http trigger in routes.ts`);
  return trigger;
}

type RequestContext = Context & { log?: LogFields; startedAt?: number };

export interface HttpHandlerOptions {
  /** The wire format of the route's errors. */
  readonly errors: ErrorProfile;
  /** The function's settings (its composition root reads them): Retry-After, the admin allow-list. */
  readonly settings: HttpSettings;
}

/**
 * Wraps a route's logic into a middy Lambda handler: builds the request from the payload 2.0 event,
 * refuses `iam` routes without an IAM identity, maps every error through the one mapper (unexpected
 * ones become a bare 500), adds the no-store headers, and writes one log line per request.
 */
export function httpHandler(
  name: string,
  options: HttpHandlerOptions,
  fn: (request: HttpRequest) => Promise<HttpResult>,
) {
  const route = findRoute(name);
  const key = routeKeyOf(route);
  const { retryAfterSeconds, adminPrincipals } = options.settings;
  const responses: middy.MiddlewareObj<HttpApiEvent, HttpApiResult, Error, RequestContext> = {
    before: (request) => {
      request.context.log = {};
      request.context.startedAt = performance.now();
      expectRequestLine();
    },
    after: (request) => {
      logRequest(key, request.response?.statusCode ?? 200, request.context);
    },
    onError: (request) => {
      const { error } = request;
      const response = errorResponse(error, options.errors, retryAfterSeconds);
      if (response.statusCode >= 500) {
        // The cause's name and message only: SDK errors carry no token, and request data is never attached.
        const cause = error?.cause ?? error;
        logger.error('request failed', {
          route: key,
          status: response.statusCode,
          error: error?.name,
          cause: cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause),
        });
      }
      request.response = toLambdaResult(response);
      logRequest(key, response.statusCode, request.context);
    },
  };
  return middy<HttpApiEvent, HttpApiResult, Error, RequestContext>()
    .use(observe(name))
    .use(responses)
    .handler(async (event, context) => {
      const principal = event.requestContext.authorizer?.iam?.userArn;
      const log = context.log ?? {};
      if (route.auth === 'iam') {
        if (!principal) throw new Forbidden();
        log.principal = principal;
        // IAM let the caller in; the allow-list, when configured, narrows that to the listed principals.
        if (adminPrincipals && !principalAllowed(principal, adminPrincipals)) throw new Forbidden();
      }
      const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
      const request: HttpRequest = {
        route,
        routeKey: key,
        headers: event.headers ?? {},
        body,
        pathParameters: event.pathParameters ?? {},
        query: event.queryStringParameters ?? {},
        rawQueryString: event.rawQueryString ?? '',
        principal,
        domainName: event.requestContext.domainName,
        sourceIp: event.requestContext.http.sourceIp,
        log,
      };
      return toLambdaResult(await fn(request));
    });
}

/**
 * The one INFO line of a request: route, status, client id, principal, token id prefix and duration, on
 * top of the logger's request ids, and the audit fields of the revocations it made (`audit`). A client id
 * or principal may come from the path (admin routes), so each is logged only when it looks like one
 * (loggableId), its short hash otherwise.
 */
function logRequest(route: string, status: number, context: RequestContext) {
  const fields = context.log ?? {};
  const line = {
    route,
    status,
    // Admin routes take the client id from the path: the caller's input until a read found the client.
    ...(fields.clientId !== undefined && { clientId: loggableClientId(fields.clientId) }),
    ...(fields.principal !== undefined && { principal: fields.principal }),
    ...(fields.tokenId !== undefined && { tokenIdPrefix: idPrefix(fields.tokenId) }),
    ...(context.startedAt !== undefined && { durationMs: Math.round(performance.now() - context.startedAt) }),
  };
  const audits = takeAudits().map((audit) => withoutRepeats(audit, line));
  logger.info('request', {
    ...line,
    ...(audits.length > 0 && { audit: audits.length === 1 ? audits[0] : audits }),
  });
}

/**
 * A revocation's audit fields less what its request line already says: the route, the client id and the
 * token id prefix when they are the line's, and who did it (`who`, `actorType`) when that is the line's
 * caller: its principal (an admin's revocation), else its client (a client's). So an `audit` without
 * `who` was made by the line's caller, one without `route`, `clientId` or `tokenIdPrefix` has the line's,
 * and one with `null` there has none although the line has one. Every audit field is on the line, and the
 * line stays under 512 bytes.
 */
function withoutRepeats(
  audit: Record<string, unknown>,
  line: { route: string; clientId?: string; principal?: string; tokenIdPrefix?: string },
): Record<string, unknown> {
  const { route, clientId, tokenIdPrefix, who, actorType, ...rest } = audit;
  const byCaller = line.principal
    ? actorType === 'iam' && who === line.principal
    : actorType === 'client' && who === line.clientId;
  return {
    ...rest,
    ...(!byCaller && { who, actorType }),
    ...unlessRepeated('route', route, line.route),
    ...unlessRepeated('clientId', clientId, line.clientId),
    ...unlessRepeated('tokenIdPrefix', tokenIdPrefix, line.tokenIdPrefix),
  };
}

/** An audit field, absent when the line holds the same value, `null` when only the line has one. */
function unlessRepeated(name: string, value: unknown, onLine: string | undefined): Record<string, unknown> {
  if (value === onLine) return {};
  return { [name]: value ?? null };
}

/** A JSON response. */
export const jsonResult = (statusCode: number, json: unknown): HttpResult => ({ statusCode, json });
/** An empty 200 response. */
export const emptyResult = (): HttpResult => ({ statusCode: 200 });
